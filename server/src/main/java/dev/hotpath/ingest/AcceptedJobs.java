package dev.hotpath.ingest;

import dev.hotpath.compute.JobQueue;
import dev.hotpath.serve.JobRepresentation;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * Work accepted as a job ({@code 202 Accepted} with {@code Location: /v1/jobs/{id}}), in one
 * idempotent {@link WriteTransaction}: the job is enqueued, then the work's own row (keyed by the
 * job's id) is inserted, and the answer is the job's representation as that transaction sees it.
 */
record AcceptedJobs(WriteTransaction transaction, JobQueue jobs) {
  private static final String JOB =
      "SELECT " + JobRepresentation.COLUMNS + " FROM jobs WHERE id = $1";

  JobQueue queue() {
    return jobs;
  }

  /**
   * Enqueues {@code spec} for {@code creator} under {@code key}, then runs {@code insert} with the
   * arguments {@code row} gives for the job's id, and answers the request.
   */
  void accept(
      RoutingContext ctx,
      IdempotencyStore.Key key,
      JobQueue.Spec spec,
      Optional<String> creator,
      String insert,
      LongFunction<Tuple> row) {
    transaction.execute(ctx, key, command(spec, creator, insert, row));
  }

  /** As {@link #accept}, for a request whose body was streamed: its fingerprint is given. */
  void accept(
      RoutingContext ctx,
      IdempotencyStore.Key key,
      byte[] fingerprint,
      JobQueue.Spec spec,
      Optional<String> creator,
      String insert,
      LongFunction<Tuple> row) {
    transaction.execute(ctx, key, fingerprint, command(spec, creator, insert, row));
  }

  private WriteTransaction.Command command(
      JobQueue.Spec spec, Optional<String> creator, String insert, LongFunction<Tuple> row) {
    return (conn, claimed) ->
        claimed
            .compose(ours -> jobs.enqueue(conn, spec, creator))
            .map(Optional::orElseThrow)
            .compose(
                id ->
                    conn.preparedQuery(insert)
                        .execute(row.apply(id))
                        .compose(x -> conn.preparedQuery(JOB).execute(Tuple.of(id))))
            .map(
                rows -> {
                  var job = rows.iterator().next();
                  return IdempotencyStore.Stored.accepted(
                      job.getLong(0), JobRepresentation.encode(job));
                });
  }
}
