package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.Responses;
import dev.hotpath.store.Statements;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The result of a bulk import: {@code GET /v1/orders/imports/{id}} (counts and state) and {@code
 * GET /v1/orders/imports/{id}/lines} (the per-line report, by line number, keyset-paged, optionally
 * only one outcome).
 */
public record ImportReports(Statements db, CursorCodec cursors) {
  private static final String SUMMARY =
      "SELECT i.id, i.format, i.workers, i.lines, i.lines_done, i.imported, i.rejected, j.status"
          + " FROM order_imports i JOIN jobs j ON j.id = i.id WHERE i.id = $1"
          // x-owner: creator (another's import is a 404, like one that does not exist)
          + " AND ($2::text IS NULL OR j.created_by = $2)";
  private static final String LINES =
      "SELECT line_no, outcome, order_id, errors::text FROM order_import_lines"
          + " WHERE import_id = $1 AND line_no > $2 AND ($3::text IS NULL OR outcome = $3)"
          + " ORDER BY line_no LIMIT $4";
  private static final Set<String> OUTCOMES = Set.of("imported", "rejected");

  /** The creator an import must have to be shown to this request's principal; null for an admin. */
  private static @Nullable String creatorFilter(RoutingContext ctx) {
    Principal principal = Principal.of(ctx);
    return principal.admin() ? null : principal.subject();
  }

  public void summary(RoutingContext ctx) {
    long id = Params.onlyPathId(ctx);
    Responses.whenFound(
        ctx,
        db.first(SUMMARY, Tuple.of(id, creatorFilter(ctx))),
        "Import",
        id,
        r -> {
          Buffer body =
              JsonOutput.write(
                  256,
                  gen -> {
                    gen.writeStartObject();
                    gen.writeNumberField("id", r.getLong(0));
                    gen.writeStringField("format", r.getString(1));
                    gen.writeStringField("status", r.getString(7));
                    gen.writeNumberField("workers", r.getInteger(2));
                    gen.writeNumberField("lines", r.getInteger(3));
                    // file lines done, less the CSV header: on the scale of lines
                    gen.writeNumberField(
                        "lines_done",
                        Math.max(0, r.getInteger(4) - ("csv".equals(r.getString(1)) ? 1 : 0)));
                    gen.writeNumberField("imported", r.getInteger(5));
                    gen.writeNumberField("rejected", r.getInteger(6));
                    gen.writeStringField("lines_url", "/v1/orders/imports/" + id + "/lines");
                    gen.writeEndObject();
                  });
          Responses.uncached(ctx, body);
        });
  }

  public void lines(RoutingContext ctx) {
    Params params = Params.of(ctx, Set.of("limit", "cursor", "outcome"));
    long id = params.pathId("id");
    int limit = params.limit();
    Optional<String> outcome = params.oneOf("outcome", OUTCOMES);
    Optional<String> cursor = params.string("cursor");
    params.check();
    String scope = "import-lines:" + id + ":" + outcome.orElse("");
    long after = cursor.map(c -> cursors.decode(scope, c, 1)[0]).orElse(0L);
    Replies.withRows(
        ctx,
        db.run(SUMMARY, Tuple.of(id, creatorFilter(ctx)))
            .compose(
                found -> {
                  if (found.size() == 0) {
                    throw ProblemException.notFound("Import " + id);
                  }
                  return db.run(LINES, Tuple.of(id, (int) after, outcome.orElse(null), limit + 1));
                }),
        rows -> {
          Optional<String> link =
              Replies.cut(rows, limit)
                  ? Optional.of(cursors.encode(scope, rows.get(rows.size() - 1).getInteger(0)))
                  : Optional.empty();
          Responses.page(ctx, Pages.encode(rows, link, 160, ImportReports::writeLine), link);
        });
  }

  /** One line of the report: {@code line, outcome, order_id} (or null), {@code errors} ([]). */
  private static void writeLine(JsonGenerator gen, Row r) throws IOException {
    gen.writeStartObject();
    gen.writeNumberField("line", r.getInteger(0));
    gen.writeStringField("outcome", r.getString(1));
    gen.writeFieldName("order_id");
    if (r.getLong(2) == null) {
      gen.writeNull();
    } else {
      gen.writeNumber(r.getLong(2));
    }
    gen.writeFieldName("errors");
    if (r.getString(3) == null) {
      gen.writeStartArray();
      gen.writeEndArray();
    } else {
      gen.writeRawValue(r.getString(3));
    }
    gen.writeEndObject();
  }
}
