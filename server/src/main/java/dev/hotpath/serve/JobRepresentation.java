package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.hotpath.http.JsonOutput;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.Map;

/**
 * The public JSON form of an asynchronous job (reports, imports): status, progress and, once it
 * succeeded, where its result is. Jobs of other kinds (maintenance, webhooks) are internal and not
 * served. {@link #COLUMNS} selects what {@link #write} reads.
 */
public final class JobRepresentation {
  public static final String COLUMNS =
      "id, kind, status, progress, attempts, last_error, created_at, updated_at, finished_at";

  /** Job kinds clients may see, and the path prefix of their result. */
  public static final Map<String, String> PUBLIC_KINDS =
      Map.of("report.sales", "/v1/reports/", "orders.import", "/v1/orders/imports/");

  public static final String[] PUBLIC_KIND_NAMES = PUBLIC_KINDS.keySet().toArray(new String[0]);

  private JobRepresentation() {}

  public static Buffer encode(Row row) {
    return JsonOutput.write(320, gen -> write(gen, row));
  }

  public static boolean terminal(Row row) {
    String status = row.getString(2);
    return status.equals("succeeded") || status.equals("dead");
  }

  public static void write(JsonGenerator gen, Row row) throws IOException {
    long id = row.getLong(0);
    String kind = row.getString(1);
    String status = row.getString(2);
    gen.writeStartObject();
    gen.writeNumberField("id", id);
    gen.writeStringField("kind", kind);
    gen.writeStringField("status", status);
    gen.writeNumberField("progress", row.getShort(3));
    gen.writeNumberField("attempts", row.getInteger(4));
    gen.writeFieldName("result_url");
    if (status.equals("succeeded") && PUBLIC_KINDS.containsKey(kind)) {
      gen.writeString(PUBLIC_KINDS.get(kind) + id);
    } else {
      gen.writeNull();
    }
    gen.writeFieldName("error");
    if (status.equals("dead") && row.getString(5) != null) {
      gen.writeString(row.getString(5));
    } else {
      gen.writeNull();
    }
    Timestamps.writeField(gen, "created_at", row.getOffsetDateTime(6));
    Timestamps.writeField(gen, "updated_at", row.getOffsetDateTime(7));
    OffsetDateTime finished = row.getOffsetDateTime(8);
    if (finished == null) {
      gen.writeNullField("finished_at");
    } else {
      Timestamps.writeField(gen, "finished_at", finished);
    }
    gen.writeEndObject();
  }
}
