package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Representation;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The JSON form of a customer. {@link #COLUMNS} selects, in field order, exactly what {@link
 * #write} needs, so the i-th column is the i-th field.
 */
public final class CustomerRepresentation {
  public static final Fields FIELDS =
      Fields.of(
          List.of(
              "id", "email", "name", "status", "address", "version", "created_at", "updated_at"));
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
    gen.writeStartObject();
    if (sel.has(0)) gen.writeNumberField("id", row.getLong(0));
    if (sel.has(1)) gen.writeStringField("email", row.getString(1));
    if (sel.has(2)) gen.writeStringField("name", row.getString(2));
    if (sel.has(3)) gen.writeStringField("status", row.getString(3));
    if (sel.has(4)) {
      gen.writeFieldName("address");
      String address = row.getString(4);
      if (address == null) {
        gen.writeNull();
      } else {
        gen.writeRawValue(address);
      }
    }
    if (sel.has(5)) gen.writeNumberField("version", row.getInteger(5));
    if (sel.has(6)) Timestamps.writeField(gen, "created_at", row.getOffsetDateTime(6));
    if (sel.has(7)) Timestamps.writeField(gen, "updated_at", row.getOffsetDateTime(7));
    gen.writeEndObject();
  }
}
