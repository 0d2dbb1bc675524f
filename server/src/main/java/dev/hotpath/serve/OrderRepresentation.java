package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Fields;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.List;

/**
 * The JSON form of an order with its lines. Orders are read as {@link #COLUMNS} (13 columns, field
 * order without {@code items}, the payment's two columns last); lines as {@link #ITEM_COLUMNS},
 * from {@code offset} in a row. {@code payment} is null for orders placed without an authorization
 * (seeded, imported, or while no payments provider is configured).
 */
public final class OrderRepresentation {
  public static final Fields FIELDS =
      Fields.withItems(
          List.of(
              "id",
              "customer_id",
              "status",
              "currency",
              "subtotal_minor",
              "total_minor",
              "item_count",
              "shipping_address",
              "items",
              "version",
              "created_at",
              "updated_at",
              "payment"),
          List.of(
              "line_no",
              "product_id",
              "product_name",
              "unit_price_minor",
              "quantity",
              "line_total_minor"));
  public static final String COLUMNS =
      "id, customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address::text, version, created_at, updated_at, payment_status, payment_authorization";
  public static final String ITEM_COLUMNS =
      "line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor";
  public static final int ORDER_COLUMN_COUNT = 13;

  /** Where {@code version} and {@code updated_at} are in {@link #COLUMNS}. */
  public static final int VERSION = 8, UPDATED_AT = 10;

  private static final int ITEMS = 8;

  private OrderRepresentation() {}

  /**
   * Lines of one order; {@code size} rows from {@code from}, each with item columns at {@code
   * offset}.
   */
  public interface Lines {
    int size();

    Row row(int i);

    int offset();
  }

  public static void write(JsonGenerator gen, Row order, Lines lines, Fields.Selection sel)
      throws IOException {
    gen.writeStartObject();
    if (sel.has(0)) gen.writeNumberField("id", order.getLong(0));
    if (sel.has(1)) gen.writeNumberField("customer_id", order.getLong(1));
    if (sel.has(2)) gen.writeStringField("status", order.getString(2));
    if (sel.has(3)) gen.writeStringField("currency", order.getString(3));
    if (sel.has(4)) gen.writeNumberField("subtotal_minor", order.getLong(4));
    if (sel.has(5)) gen.writeNumberField("total_minor", order.getLong(5));
    if (sel.has(6)) gen.writeNumberField("item_count", order.getInteger(6));
    if (sel.has(7)) {
      gen.writeFieldName("shipping_address");
      gen.writeRawValue(order.getString(7));
    }
    if (sel.has(ITEMS)) {
      gen.writeArrayFieldStart("items");
      int o = lines.offset();
      for (int i = 0, n = lines.size(); i < n; i++) {
        Row line = lines.row(i);
        gen.writeStartObject();
        if (sel.hasItem(0)) gen.writeNumberField("line_no", line.getInteger(o));
        if (sel.hasItem(1)) gen.writeNumberField("product_id", line.getLong(o + 1));
        if (sel.hasItem(2)) gen.writeStringField("product_name", line.getString(o + 2));
        if (sel.hasItem(3)) gen.writeNumberField("unit_price_minor", line.getLong(o + 3));
        if (sel.hasItem(4)) gen.writeNumberField("quantity", line.getInteger(o + 4));
        if (sel.hasItem(5)) gen.writeNumberField("line_total_minor", line.getLong(o + 5));
        gen.writeEndObject();
      }
      gen.writeEndArray();
    }
    if (sel.has(9)) gen.writeNumberField("version", order.getInteger(8));
    if (sel.has(10)) Timestamps.writeField(gen, "created_at", order.getOffsetDateTime(9));
    if (sel.has(11)) Timestamps.writeField(gen, "updated_at", order.getOffsetDateTime(10));
    if (sel.has(12)) writePayment(gen, order.getString(11), order.getString(12));
    gen.writeEndObject();
  }

  private static void writePayment(JsonGenerator gen, String status, String authorization)
      throws IOException {
    if (status == null) {
      gen.writeNullField("payment");
      return;
    }
    gen.writeObjectFieldStart("payment");
    gen.writeStringField("status", status);
    if (authorization == null) {
      gen.writeNullField("authorization_id");
    } else {
      gen.writeStringField("authorization_id", authorization);
    }
    gen.writeEndObject();
  }

  /** Lines held in a list of rows. */
  public record RowLines(List<Row> rows, int from, int to, int offset) implements Lines {
    @Override
    public int size() {
      return to - from;
    }

    @Override
    public Row row(int i) {
      return rows.get(from + i);
    }
  }
}
