package dev.hotpath.serve;

import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.Responses;
import dev.hotpath.store.Statements;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * {@code GET /v1/customers/{id}/summary}: reads only the {@code customer_order_summary} read model
 * (one primary-key range), never the orders. The model follows the event log, so it lags a write by
 * the consumer's poll interval. A customer without a summary row costs a second query, to tell "no
 * orders yet" from "no such customer".
 */
public record CustomerSummaryReads(Statements db) {
  private static final String SUMMARY =
      "SELECT currency, order_count, total_spent_minor, last_order_at"
          + " FROM customer_order_summary WHERE customer_id = $1 ORDER BY currency";
  private static final String CUSTOMER_EXISTS = "SELECT 1 FROM customers WHERE id = $1";

  public void get(RoutingContext ctx) {
    long id = Params.onlyPathId(ctx);
    Replies.withRows(
        ctx,
        db.run(SUMMARY, Tuple.of(id)),
        rows -> {
          if (!rows.isEmpty()) {
            Responses.json(ctx, 200, encode(id, rows));
            return;
          }
          Replies.withRows(
              ctx,
              db.run(CUSTOMER_EXISTS, Tuple.of(id)),
              exists -> {
                if (exists.isEmpty()) {
                  throw ProblemException.notFound("Customer " + id);
                }
                Responses.json(ctx, 200, encode(id, rows));
              });
        });
  }

  private static Buffer encode(long customerId, List<Row> rows) {
    return JsonOutput.write(
        128 + 96 * rows.size(),
        gen -> {
          long orders = 0;
          OffsetDateTime last = null;
          for (Row row : rows) {
            orders += row.getLong(1);
            OffsetDateTime at = row.getOffsetDateTime(3);
            if (at != null && (last == null || at.isAfter(last))) {
              last = at;
            }
          }
          gen.writeStartObject();
          gen.writeNumberField("customer_id", customerId);
          gen.writeNumberField("order_count", orders);
          if (last == null) {
            gen.writeNullField("last_order_at");
          } else {
            Timestamps.writeField(gen, "last_order_at", last);
          }
          gen.writeArrayFieldStart("totals");
          for (Row row : rows) {
            gen.writeStartObject();
            gen.writeStringField("currency", row.getString(0));
            gen.writeNumberField("order_count", row.getLong(1));
            gen.writeNumberField("total_spent_minor", row.getLong(2));
            gen.writeEndObject();
          }
          gen.writeEndArray();
          gen.writeEndObject();
        });
  }
}
