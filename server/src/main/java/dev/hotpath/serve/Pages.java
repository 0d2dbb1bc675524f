package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.Message;
import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.http.JsonOutput;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** The envelope every list answers with: {@code {"data":[...],"next_cursor":...}}. */
final class Pages {
  private Pages() {}

  /** Writes the item of one row. */
  @FunctionalInterface
  interface Item {
    void write(JsonGenerator gen, Row row) throws IOException;
  }

  /** Encodes {@code rows} in the fieldset {@code sel} of {@code writer}; see the other form. */
  static Buffer encode(
      List<Row> rows,
      Optional<String> next,
      int bytesPerRow,
      IdOrderedList.RowWriter writer,
      Fields.Selection sel) {
    return encode(rows, next, bytesPerRow, (gen, row) -> writer.write(gen, row, sel));
  }

  /**
   * Encodes {@code rows}, one item each, then the next cursor (null on the last page); {@code
   * bytesPerRow} sizes the buffer.
   */
  static Buffer encode(List<Row> rows, Optional<String> next, int bytesPerRow, Item item) {
    return JsonOutput.write(128 + bytesPerRow * rows.size(), envelope(rows, next, item));
  }

  /**
   * Encodes {@code rows} as the other form does, in {@code format}: a protobuf page is written as
   * {@code page}'s message straight from the same calls (see {@link ProtobufForms#write}).
   */
  static Buffer encode(
      Format format,
      Message page,
      List<Row> rows,
      Optional<String> next,
      int bytesPerRow,
      Item item) {
    return ProtobufForms.write(
        format, 128 + bytesPerRow * rows.size(), page, envelope(rows, next, item));
  }

  private static JsonOutput.Writer envelope(List<Row> rows, Optional<String> next, Item item) {
    return gen -> {
      gen.writeStartObject();
      gen.writeArrayFieldStart("data");
      for (Row row : rows) {
        item.write(gen, row);
      }
      end(gen, next);
    };
  }

  /**
   * Closes the envelope after its last item: ends {@code data}, writes {@code next_cursor} (null on
   * the last page) and ends the object.
   */
  static void end(JsonGenerator gen, Optional<String> next) throws IOException {
    gen.writeEndArray();
    gen.writeFieldName("next_cursor");
    if (next.isPresent()) {
      gen.writeString(next.get());
    } else {
      gen.writeNull();
    }
    gen.writeEndObject();
  }
}
