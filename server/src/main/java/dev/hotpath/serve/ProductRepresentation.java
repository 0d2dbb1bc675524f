package dev.hotpath.serve;

import static dev.hotpath.serve.RowFields.Column.INT;
import static dev.hotpath.serve.RowFields.Column.LONG;
import static dev.hotpath.serve.RowFields.Column.TEXT;
import static dev.hotpath.serve.RowFields.Column.TIME;
import static dev.hotpath.serve.RowFields.field;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.Optional;

/** The JSON form of a product; the i-th column of {@link #COLUMNS} is the i-th field. */
public final class ProductRepresentation {
  private static final RowFields ROW =
      new RowFields(
          field("id", LONG),
          field("sku", TEXT),
          field("name", TEXT),
          field("description", TEXT),
          field("category", TEXT),
          field("price_minor", LONG),
          field("currency", TEXT),
          field("stock", INT),
          field("status", TEXT),
          field("version", INT),
          field("created_at", TIME),
          field("updated_at", TIME));

  public static final Fields FIELDS = ROW.selectable();
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
        Optional.empty(),
        Representation.NO_OWNER);
  }

  public static void write(JsonGenerator gen, Row row, Fields.Selection sel) throws IOException {
    ROW.write(gen, row, sel);
  }
}
