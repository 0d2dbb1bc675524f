package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.Fields;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.List;

/**
 * The JSON object of a row whose i-th column is the i-th field: each field's name and how its
 * column is written. Immutable.
 */
final class RowFields {
  /** How a column is written as the value of its field. */
  @FunctionalInterface
  interface Column {
    void write(JsonGenerator gen, String name, Row row, int i) throws IOException;

    Column LONG = (gen, name, row, i) -> gen.writeNumberField(name, row.getLong(i));
    Column INT = (gen, name, row, i) -> gen.writeNumberField(name, row.getInteger(i));
    Column TEXT = (gen, name, row, i) -> gen.writeStringField(name, row.getString(i));

    /** A timestamp, in RFC 3339 and UTC. */
    Column TIME = (gen, name, row, i) -> Timestamps.writeField(gen, name, row.getOffsetDateTime(i));

    /** A JSON document kept as text, written as it is; null when absent. */
    Column JSON = RowFields::writeJson;
  }

  /** A field: its name, and how its column is written. */
  record Field(String name, Column column) {}

  private final List<Field> fields;
  private final Fields selectable;

  RowFields(Field... fields) {
    this.fields = List.of(fields);
    this.selectable = Fields.of(this.fields.stream().map(Field::name).toList());
  }

  static Field field(String name, Column column) {
    return new Field(name, column);
  }

  /** The fields, for the {@code fields=} parameter. */
  Fields selectable() {
    return selectable;
  }

  private static void writeJson(JsonGenerator gen, String name, Row row, int i) throws IOException {
    gen.writeFieldName(name);
    String json = row.getString(i);
    if (json == null) {
      gen.writeNull();
    } else {
      gen.writeRawValue(json);
    }
  }

  /** Writes the object of the fields {@code sel} selects from {@code row}. */
  void write(JsonGenerator gen, Row row, Fields.Selection sel) throws IOException {
    gen.writeStartObject();
    for (int i = 0; i < fields.size(); i++) {
      if (sel.has(i)) {
        Field f = fields.get(i);
        f.column().write(gen, f.name(), row, i);
      }
    }
    gen.writeEndObject();
  }
}
