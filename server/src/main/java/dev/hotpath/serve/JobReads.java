package dev.hotpath.serve;

import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Params;
import dev.hotpath.http.Responses;
import dev.hotpath.store.Statements;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Optional;
import java.util.function.ObjLongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /v1/jobs/{id}} (status, progress, result link) and {@code GET /v1/jobs/{id}/events},
 * which streams the same representation as Server-Sent Events whenever it changes, until the job
 * has succeeded or died. The stream polls the job's row by primary key at a fixed interval: one
 * indexed read per stream per interval, whatever instance runs the job.
 */
public record JobReads(Statements db, Duration poll) {
  private static final String BY_ID =
      "SELECT " + JobRepresentation.COLUMNS + " FROM jobs WHERE id = $1 AND kind = ANY($2)";
  // x-owner: creator. Another's job is a 404, exactly like a job that does not exist.
  private static final String BY_ID_FOR = BY_ID + " AND ($3::text IS NULL OR created_by = $3)";
  private static final Duration HEARTBEAT = Duration.ofSeconds(15);

  /** The job when {@code principal} created it or is an admin. */
  private Future<Optional<Row>> find(long id, Principal principal) {
    return db.first(
        BY_ID_FOR,
        Tuple.of(id)
            .addArrayOfString(JobRepresentation.PUBLIC_KIND_NAMES)
            .addString(principal.admin() ? null : principal.subject()));
  }

  /** Finds the path's job for the caller (another's is a 404), then runs {@code then}. */
  private void withJob(RoutingContext ctx, ObjLongConsumer<Row> then) {
    long id = Params.onlyPathId(ctx);
    Responses.whenFound(ctx, find(id, Principal.of(ctx)), "Job", id, job -> then.accept(job, id));
  }

  public void get(RoutingContext ctx) {
    withJob(ctx, (job, id) -> Responses.uncached(ctx, JobRepresentation.encode(job)));
  }

  public void events(RoutingContext ctx) {
    withJob(
        ctx,
        (job, id) -> {
          HttpServerResponse response = ctx.response();
          response
              .setChunked(true)
              .putHeader("Content-Type", "text/event-stream")
              .putHeader("Cache-Control", "no-store")
              .putHeader("X-Accel-Buffering", "no");
          new Stream(ctx, id).send(job);
        });
  }

  /** One SSE stream: sends the job when it changed, ends after a terminal state. */
  private final class Stream {
    private final RoutingContext ctx;
    private final long id;
    private @Nullable Buffer last;
    private long sent;
    private long lastWrite = System.nanoTime();
    private boolean closed;

    Stream(RoutingContext ctx, long id) {
      this.ctx = ctx;
      this.id = id;
      ctx.response().closeHandler(v -> closed = true);
    }

    void send(Row row) {
      if (closed) {
        return;
      }
      Buffer json = JobRepresentation.encode(row);
      boolean done = JobRepresentation.terminal(row);
      if (last == null || !last.equals(json)) {
        last = json;
        sent++;
        write(
            Buffer.buffer("event: " + (done ? "done" : "progress") + "\nid: " + sent + "\ndata: ")
                .appendBuffer(json)
                .appendString("\n\n"));
      } else if (System.nanoTime() - lastWrite > HEARTBEAT.toNanos()) {
        write(Buffer.buffer(": keep-alive\n\n"));
      }
      if (done) {
        ctx.response().end();
        return;
      }
      ctx.vertx().setTimer(poll.toMillis(), t -> poll());
    }

    private void write(Buffer chunk) {
      lastWrite = System.nanoTime();
      ctx.response().write(chunk);
    }

    private void poll() {
      if (closed) {
        return;
      }
      find(id, Principal.of(ctx))
          .onComplete(
              ar -> {
                if (ar.failed() || ar.result().isEmpty()) {
                  // the job vanished or the database failed: end the stream; clients reconnect
                  ctx.response().end();
                } else {
                  send(ar.result().get());
                }
              });
    }
  }
}
