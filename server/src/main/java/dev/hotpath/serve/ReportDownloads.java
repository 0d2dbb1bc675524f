package dev.hotpath.serve;

import dev.hotpath.http.Conditional;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Responses;
import dev.hotpath.store.Statements;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /v1/reports/{id}}: the report as CSV, streamed page by page (keyset on row number, so
 * memory stays flat whatever the report's size, and the next page is read only when the client has
 * taken the previous one), gzip-compressed on a worker thread when the client accepts it. A
 * finished report never changes, so its entity tag is its id ({@code "r42"}, {@code "r42.gz"}
 * gzip-coded) and a revalidation is a 304 after the one query that finds the report finished.
 *
 * <p>Queries: one for the report's state, then one per {@link #PAGE} rows. The contract's budget of
 * 3 holds up to twice that (a year by day and a thousand products is about 1,400 rows); a larger
 * report counts as over budget, which is what streaming it in bounded pages costs.
 */
public record ReportDownloads(Statements db) {
  static final int PAGE = 5_000;
  private static final String STATE =
      "SELECT j.status, j.progress FROM reports r JOIN jobs j ON j.id = r.id WHERE r.id = $1";
  private static final String ROWS =
      "SELECT row_no, dimension, value, currency, orders, units, revenue_minor FROM report_rows"
          + " WHERE report_id = $1 AND row_no > $2 ORDER BY row_no LIMIT "
          + PAGE;
  static final String HEADER = "dimension,value,currency,orders,units,revenue_minor\n";

  public void download(RoutingContext ctx) {
    long id = Params.onlyPathId(ctx);
    Responses.whenFound(
        ctx,
        db.first(STATE, Tuple.of(id)),
        "Report",
        id,
        state -> {
          if (!"succeeded".equals(state.getString(0))) {
            throw new ProblemException(
                ProblemType.CONFLICT,
                "Report "
                    + id
                    + " is not ready (job "
                    + state.getString(0)
                    + ", "
                    + state.getShort(1)
                    + "%); follow /v1/jobs/"
                    + id);
          }
          String accept = ctx.request().getHeader("Accept-Encoding");
          GzipStream gzip = acceptsGzip(accept) ? new GzipStream() : null;
          HttpServerResponse response = ctx.response();
          AsciiString tag = AsciiString.of("\"r" + id + "\"");
          AsciiString gzipTag = AsciiString.of("\"r" + id + ".gz\"");
          // reports and their customers' data are private; each use revalidates (a 304)
          response
              .putHeader("ETag", gzip != null ? gzipTag : tag)
              .putHeader("Cache-Control", "private, no-cache")
              .putHeader("Vary", "Accept-Encoding");
          String noneMatch = ctx.request().getHeader("If-None-Match");
          if (noneMatch != null && Conditional.listsAny(noneMatch, tag, gzipTag)) {
            Responses.notModified(ctx); // a 304 costs no quota
            response.setStatusCode(304).end();
            return;
          }
          response
              .setChunked(true)
              .putHeader("Content-Type", "text/csv; charset=utf-8")
              .putHeader(
                  "Content-Disposition", "attachment; filename=\"sales-report-" + id + ".csv\"");
          if (gzip != null) {
            response.putHeader("Content-Encoding", "gzip");
          }
          send(ctx, gzip, HEADER.getBytes(StandardCharsets.UTF_8))
              .onComplete(sent -> page(ctx, gzip, id, 0));
        });
  }

  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.split(",")) {
      String[] coding = part.trim().split(";");
      if (coding[0].trim().equalsIgnoreCase("gzip")) {
        return coding.length == 1 || !coding[1].replace(" ", "").matches("q=0(\\.0*)?");
      }
    }
    return false;
  }

  private void page(RoutingContext ctx, @Nullable GzipStream gzip, long id, int after) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return;
    }
    db.run(ROWS, Tuple.of(id, after))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                // the head is out: cut the connection so the client sees a truncated download
                ctx.request().connection().close();
                return;
              }
              StringBuilder csv = new StringBuilder(64 * ar.result().size());
              int last = after;
              for (Row r : ar.result()) {
                last = r.getInteger(0);
                cell(csv, r.getString(1)).append(',');
                cell(csv, r.getString(2)).append(',');
                cell(csv, r.getString(3))
                    .append(',')
                    .append(r.getLong(4))
                    .append(',')
                    .append(r.getLong(5))
                    .append(',')
                    .append(r.getLong(6))
                    .append('\n');
              }
              boolean more = ar.result().size() == PAGE;
              int next = last;
              Future<Void> written =
                  send(ctx, gzip, csv.toString().getBytes(StandardCharsets.UTF_8));
              written.onComplete(
                  w -> {
                    if (more) {
                      if (response.writeQueueFull()) {
                        response.drainHandler(v -> page(ctx, gzip, id, next));
                      } else {
                        page(ctx, gzip, id, next);
                      }
                    } else if (gzip == null) {
                      response.end();
                    } else {
                      ctx.vertx()
                          .executeBlocking(gzip::finish, true)
                          .onComplete(f -> response.end(f.result()));
                    }
                  });
            });
  }

  /**
   * Appends a text cell so that no spreadsheet reads it as a formula or as more than one cell
   * (OWASP's CSV injection): a cell starting with {@code =}, {@code +}, {@code -}, {@code @}, a tab
   * or a carriage return is written quoted, prefixed with a single quote ({@code "'=1+2"}); one
   * holding a comma, a quote or a line break is quoted (RFC 4180, quotes doubled). Every other
   * cell, and the counts the server computes, are written as they are. Today's text cells hold only
   * what the server writes (the dimension, a date or a product id, the catalogue's currency), none
   * of which a client sets; this keeps it so should a client's text ever reach a report.
   */
  static StringBuilder cell(StringBuilder csv, String text) {
    if (text.isEmpty()) {
      return csv;
    }
    char first = text.charAt(0);
    boolean formula =
        first == '='
            || first == '+'
            || first == '-'
            || first == '@'
            || first == '\t'
            || first == '\r';
    boolean quote = formula;
    for (int i = 0; i < text.length() && !quote; i++) {
      char c = text.charAt(i);
      quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote) {
      return csv.append(text);
    }
    csv.append('"');
    if (formula) {
      csv.append('\'');
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"') {
        csv.append('"');
      }
      csv.append(c);
    }
    return csv.append('"');
  }

  private static Future<Void> send(RoutingContext ctx, @Nullable GzipStream gzip, byte[] bytes) {
    if (gzip == null) {
      return ctx.response().write(Buffer.buffer(bytes));
    }
    return ctx.vertx()
        .executeBlocking(() -> gzip.write(bytes), true)
        .compose(
            chunk -> chunk.length() == 0 ? Future.succeededFuture() : ctx.response().write(chunk));
  }
}
