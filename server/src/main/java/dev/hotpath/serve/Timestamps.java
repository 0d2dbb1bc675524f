package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** RFC 3339 timestamps in UTC, and the microsecond keys that cursors carry. */
public final class Timestamps {
  private Timestamps() {}

  static void writeField(JsonGenerator gen, String name, OffsetDateTime value) throws IOException {
    gen.writeStringField(name, value.toInstant().toString());
  }

  /** Microseconds since the epoch: PostgreSQL's own precision, so a round trip is exact. */
  public static long micros(OffsetDateTime t) {
    return t.toEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  public static OffsetDateTime fromMicros(long micros) {
    return Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L)
        .atOffset(ZoneOffset.UTC);
  }
}
