package dev.hotpath;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.compute.JobQueue;
import dev.hotpath.edge.Routes;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Responses;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * Operator routes of the job queue, outside /v1: its numbers (depth, oldest age, failures), the
 * dead-letter list, and retrying a dead job. They need a token with the contract's {@code admin}
 * scope, and are not mounted at all when authentication is off ({@code HOTPATH_AUTH=off}).
 */
public record AdminRoutes(Pool pool, JobQueue jobs) {
  /** Mounts the job admin routes; {@link Routes} applies the contract's {@code admin} scope. */
  public void mount(Routes routes) {
    routes.get("/admin/jobs/stats").produces("application/json").handler(this::stats);
    routes.get("/admin/jobs/dead").produces("application/json").handler(this::dead);
    routes.post("/admin/jobs/:id/retry").produces("application/json").handler(this::retry);
  }

  private void stats(RoutingContext ctx) {
    Params.of(ctx, Set.of()).check();
    Responses.whenDone(
        ctx,
        jobs.stats(pool),
        s -> {
          Buffer body =
              JsonOutput.write(
                  256,
                  gen -> {
                    gen.writeStartObject();
                    gen.writeNumberField("ready", s.ready());
                    gen.writeNumberField("scheduled", s.scheduled());
                    gen.writeNumberField("running", s.running());
                    gen.writeNumberField("dead", s.dead());
                    gen.writeNumberField("oldest_ready_age_ms", s.oldestReadyAgeMs());
                    gen.writeObjectFieldStart("this_process");
                    gen.writeNumberField("claimed", s.claimed());
                    gen.writeNumberField("succeeded", s.succeeded());
                    gen.writeNumberField("failed_attempts", s.failedAttempts());
                    gen.writeNumberField("dead_lettered", s.deadLettered());
                    gen.writeEndObject();
                    gen.writeEndObject();
                  });
          Responses.uncached(ctx, body);
        });
  }

  private void dead(RoutingContext ctx) {
    Params params = Params.of(ctx, Set.of("limit"));
    int limit = params.limit();
    params.check();
    Responses.whenDone(
        ctx,
        jobs.dead(pool, limit),
        rows ->
            Responses.uncached(
                ctx,
                JsonOutput.write(
                    128 + 300 * rows.size(),
                    gen -> {
                      gen.writeStartObject();
                      gen.writeArrayFieldStart("data");
                      for (Row row : rows) {
                        writeJob(gen, row);
                      }
                      gen.writeEndArray();
                      gen.writeEndObject();
                    })));
  }

  private void retry(RoutingContext ctx) {
    long id = Params.onlyPathId(ctx);
    Responses.whenDone(
        ctx,
        jobs.retry(pool, id),
        retried -> {
          if (retried.isPresent()) {
            Responses.json(ctx, 200, JsonOutput.write(256, g -> writeJob(g, retried.get())));
            return;
          }
          Responses.whenFound(
              ctx,
              jobs.status(pool, id),
              "Job",
              id,
              status -> {
                throw new ProblemException(
                    ProblemType.CONFLICT,
                    "Job " + id + " is " + status + "; only dead jobs can be retried");
              });
        });
  }

  /** A row of {@link JobQueue#JOB_COLUMNS}, every field, for operators. */
  static void writeJob(JsonGenerator gen, Row row) throws IOException {
    gen.writeStartObject();
    gen.writeNumberField("id", row.getLong(0));
    gen.writeStringField("kind", row.getString(1));
    gen.writeStringField("status", row.getString(2));
    gen.writeNumberField("priority", row.getShort(3));
    gen.writeNumberField("attempts", row.getInteger(4));
    gen.writeNumberField("max_attempts", row.getInteger(5));
    gen.writeNumberField("progress", row.getShort(6));
    gen.writeFieldName("last_error");
    if (row.getString(7) == null) {
      gen.writeNull();
    } else {
      gen.writeString(row.getString(7));
    }
    gen.writeFieldName("result");
    if (row.getString(8) == null) {
      gen.writeNull();
    } else {
      gen.writeRawValue(row.getString(8));
    }
    time(gen, "run_at", row.getOffsetDateTime(9));
    time(gen, "created_at", row.getOffsetDateTime(10));
    time(gen, "updated_at", row.getOffsetDateTime(11));
    time(gen, "finished_at", row.getOffsetDateTime(12));
    gen.writeEndObject();
  }

  private static void time(JsonGenerator gen, String name, OffsetDateTime t) throws IOException {
    gen.writeFieldName(name);
    if (t == null) {
      gen.writeNull();
    } else {
      gen.writeString(DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t));
    }
  }
}
