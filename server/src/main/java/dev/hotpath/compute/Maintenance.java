package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.Duration;

/**
 * The recurring {@value #KIND} job: deletes expired idempotency keys and succeeded jobs older than
 * {@link #KEEP_FINISHED_JOBS}, in bounded batches so no statement holds locks for long. Dead jobs
 * stay for the operator. Idempotent: deleting what is already gone does nothing.
 */
public final class Maintenance implements JobHandler {
  public static final String KIND = "maintenance.purge";
  public static final Duration EVERY = Duration.ofMinutes(5);
  static final Duration KEEP_FINISHED_JOBS = Duration.ofDays(7);
  static final int BATCH = 10_000;

  private static final String PURGE_KEYS =
      "DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM idempotency_keys"
          + " WHERE expires_at <= now() LIMIT "
          + BATCH
          + "))";
  private static final String PURGE_JOBS =
      "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 'succeeded'"
          + " AND finished_at < now() - interval '"
          + KEEP_FINISHED_JOBS.toDays()
          + " days' LIMIT "
          + BATCH
          + ")";

  @Override
  public Future<String> handle(Job job) {
    return purge(job.pool(), PURGE_KEYS, 0)
        .compose(
            keys ->
                purge(job.pool(), PURGE_JOBS, 0)
                    .map(jobs -> "{\"idempotency_keys\":" + keys + ",\"jobs\":" + jobs + "}"));
  }

  private static Future<Long> purge(Pool pool, String sql, long sofar) {
    return pool.query(sql)
        .execute()
        .compose(
            rows -> {
              long total = sofar + rows.rowCount();
              return rows.rowCount() < BATCH
                  ? Future.succeededFuture(total)
                  : purge(pool, sql, total);
            });
  }
}
