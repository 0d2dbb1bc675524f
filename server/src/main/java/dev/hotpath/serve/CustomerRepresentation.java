package dev.hotpath.serve;

import static dev.hotpath.serve.RowFields.Column.INT;
import static dev.hotpath.serve.RowFields.Column.JSON;
import static dev.hotpath.serve.RowFields.Column.LONG;
import static dev.hotpath.serve.RowFields.Column.TEXT;
import static dev.hotpath.serve.RowFields.Column.TIME;
import static dev.hotpath.serve.RowFields.field;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.Optional;

/**
 * The JSON form of a customer. {@link #COLUMNS} selects, in field order, exactly what {@link
 * #write} needs, so the i-th column is the i-th field.
 */
public final class CustomerRepresentation {
  private static final RowFields ROW =
      new RowFields(
          field("id", LONG),
          field("email", TEXT),
          field("name", TEXT),
          field("status", TEXT),
          field("address", JSON),
          field("version", INT),
          field("created_at", TIME),
          field("updated_at", TIME));

  public static final Fields FIELDS = ROW.selectable();
  public static final String COLUMNS =
      "id, email, name, status, address::text, version, created_at, updated_at";

  /** Position of {@code version} in {@link #COLUMNS}. */
  static final int VERSION_COLUMN = 5;

  private CustomerRepresentation() {}

  /** The entity tag of a customer row in the fieldset {@code sel}: {@code c<id>v<version>...}. */
  public static String tag(Row row, Fields.Selection sel) {
    return Tags.resource(TAG_PREFIX, row.getLong(0), row.getInteger(VERSION_COLUMN), sel);
  }

  /** Seconds since the epoch of the row's {@code updated_at}. */
  public static long lastModified(Row row) {
    return row.getOffsetDateTime(7).toEpochSecond();
  }

  /** What a customer's entity tags start with, before the id. */
  public static final String TAG_PREFIX = "c";

  /** The fieldset {@code sel} of a customer row, as the body of a response. */
  public static Buffer encode(Row row, Fields.Selection sel) {
    return JsonOutput.write(384, gen -> write(gen, row, sel));
  }

  /** The fieldset {@code sel} of a customer row, to cache; owned by that customer. */
  static Representation cached(Row row, Fields.Selection sel) {
    return Representation.cached(
        encode(row, sel), tag(row, sel), lastModified(row), Optional.empty(), row.getLong(0));
  }

  public static void write(JsonGenerator gen, Row row, Fields.Selection sel) throws IOException {
    ROW.write(gen, row, sel);
  }
}
