package dev.hotpath.serve;

import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Params;
import dev.hotpath.http.Responses;
import dev.hotpath.store.Statements;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ObjLongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /v1/jobs/{id}} (status, progress, result link) and {@code GET /v1/jobs/{id}/events},
 * which streams the same representation as Server-Sent Events whenever it changes, until the job
 * has succeeded or died. The streams poll the job's row by primary key at a fixed interval, one
 * read per job per interval on each event loop however many streams watch it (a {@link Watch}), so
 * that a client that opens many streams on one job adds connections, not database reads. One
 * instance per event loop: its watches are touched on that loop only.
 */
public final class JobReads {
  private static final String BY_ID =
      "SELECT " + JobRepresentation.COLUMNS + " FROM jobs WHERE id = $1 AND kind = ANY($2)";
  // x-owner: creator. Another's job is a 404, exactly like a job that does not exist.
  private static final String BY_ID_FOR = BY_ID + " AND ($3::text IS NULL OR created_by = $3)";
  private static final Duration HEARTBEAT = Duration.ofSeconds(15);

  private final Statements db;
  private final Duration poll;
  private final Map<Long, Watch> watches = new HashMap<>();

  public JobReads(Statements db, Duration poll) {
    this.db = db;
    this.poll = poll;
  }

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
          Stream stream = new Stream(ctx);
          if (stream.send(job)) {
            Watch watch = watches.get(id);
            if (watch == null) {
              watch = new Watch(id, ctx.vertx());
              watches.put(id, watch);
            }
            watch.streams.add(stream);
          }
        });
  }

  /**
   * The streams of this event loop that watch one job: one read of the job per interval, sent to
   * each of them; the watch ends when the job is done or gone, or when no stream is left.
   */
  private final class Watch {
    private final long id;
    private final Vertx vertx;
    private final List<Stream> streams = new ArrayList<>();

    Watch(long id, Vertx vertx) {
      this.id = id;
      this.vertx = vertx;
      schedule();
    }

    private void schedule() {
      vertx.setTimer(poll.toMillis(), t -> poll());
    }

    private void poll() {
      streams.removeIf(s -> s.closed);
      if (streams.isEmpty()) {
        watches.remove(id);
        return;
      }
      // each stream's owner was checked when it opened
      db.first(BY_ID, Tuple.of(id).addArrayOfString(JobRepresentation.PUBLIC_KIND_NAMES))
          .onComplete(
              ar -> {
                if (ar.failed() || ar.result().isEmpty()) {
                  // the job vanished or the database failed: end the streams; clients reconnect
                  streams.forEach(s -> s.ctx.response().end());
                  streams.clear();
                } else {
                  Row row = ar.result().get();
                  streams.removeIf(s -> !s.send(row));
                }
                if (streams.isEmpty()) {
                  watches.remove(id);
                } else {
                  schedule();
                }
              });
    }
  }

  /** One SSE stream: sends the job when it changed, ends after a terminal state. */
  private static final class Stream {
    private final RoutingContext ctx;
    private @Nullable Buffer last;
    private long sent;
    private long lastWrite = System.nanoTime();
    private boolean closed;

    Stream(RoutingContext ctx) {
      this.ctx = ctx;
      ctx.response().closeHandler(v -> closed = true);
    }

    /** Sends the job if it changed (or a heartbeat); false once the stream has ended. */
    boolean send(Row row) {
      if (closed) {
        return false;
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
        return false;
      }
      return true;
    }

    private void write(Buffer chunk) {
      lastWrite = System.nanoTime();
      ctx.response().write(chunk);
    }
  }
}
