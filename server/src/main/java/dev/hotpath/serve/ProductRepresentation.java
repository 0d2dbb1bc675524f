package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** The JSON form of a product; the i-th column of {@link #COLUMNS} is the i-th field. */
public final class ProductRepresentation {
  public static final Fields FIELDS =
      Fields.of(
          List.of(
              "id",
              "sku",
              "name",
              "description",
              "category",
              "price_minor",
              "currency",
              "stock",
              "status",
              "version",
              "created_at",
              "updated_at"));
  public static final String COLUMNS =
      "id, sku, name, description, category, price_minor, currency, stock, status, version, created_at, updated_at";

  /** Position of {@code version} in {@link #COLUMNS}. */
  static final int VERSION_COLUMN = 9;

  private ProductRepresentation() {}

  /** The fieldset {@code sel} of a product row, to cache; public, so owned by no one. */
  static Representation cached(Row row, Fields.Selection sel) {
    return Representation.cached(
        JsonOutput.write(512, gen -> write(gen, row, sel)),
        Tags.resource("p", row.getLong(0), row.getInteger(VERSION_COLUMN), sel),
        row.getOffsetDateTime(11).toEpochSecond(),
        Optional.empty());
  }

  public static void write(JsonGenerator gen, Row row, Fields.Selection sel) throws IOException {
    gen.writeStartObject();
    if (sel.has(0)) gen.writeNumberField("id", row.getLong(0));
    if (sel.has(1)) gen.writeStringField("sku", row.getString(1));
    if (sel.has(2)) gen.writeStringField("name", row.getString(2));
    if (sel.has(3)) gen.writeStringField("description", row.getString(3));
    if (sel.has(4)) gen.writeStringField("category", row.getString(4));
    if (sel.has(5)) gen.writeNumberField("price_minor", row.getLong(5));
    if (sel.has(6)) gen.writeStringField("currency", row.getString(6));
    if (sel.has(7)) gen.writeNumberField("stock", row.getInteger(7));
    if (sel.has(8)) gen.writeStringField("status", row.getString(8));
    if (sel.has(9)) gen.writeNumberField("version", row.getInteger(9));
    if (sel.has(10)) Timestamps.writeField(gen, "created_at", row.getOffsetDateTime(10));
    if (sel.has(11)) Timestamps.writeField(gen, "updated_at", row.getOffsetDateTime(11));
    gen.writeEndObject();
  }
}
