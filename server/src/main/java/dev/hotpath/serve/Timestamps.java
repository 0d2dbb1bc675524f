package dev.hotpath.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.jspecify.annotations.Nullable;

/** RFC 3339 timestamps in UTC, and the microsecond keys that cursors carry. */
public final class Timestamps {
  private Timestamps() {}

  /**
   * {@code "name": "text(value)"}, the text's bytes handed to the generator as they are written (no
   * String in between).
   */
  static void writeField(JsonGenerator gen, String name, OffsetDateTime value) throws IOException {
    byte[] b = bytes(value);
    if (b == null) {
      gen.writeStringField(name, value.toInstant().toString());
    } else {
      gen.writeFieldName(name);
      gen.writeUTF8String(b, 0, b.length);
    }
  }

  /**
   * {@code t.toInstant().toString()} (ISO-8601 in UTC, seconds always, the fraction in groups of
   * three digits as needed), written straight into its bytes rather than through {@link
   * java.time.format.DateTimeFormatter}: every answer with orders writes two per order, and the
   * formatter was about 2% of the server's CPU on a page of orders (#22). Years outside 0-9999 go
   * through {@link Instant#toString} itself. TimestampsTest compares the two.
   */
  public static String text(OffsetDateTime t) {
    byte[] b = bytes(t);
    return b == null ? t.toInstant().toString() : new String(b, StandardCharsets.ISO_8859_1);
  }

  /** The ASCII bytes of {@link #text}; null for a year outside 0-9999. */
  private static byte @Nullable [] bytes(OffsetDateTime t) {
    long seconds = t.toEpochSecond();
    int nano = t.getNano();
    long day = Math.floorDiv(seconds, 86_400L);
    int secondOfDay = (int) Math.floorMod(seconds, 86_400L);
    // the civil date of a day count (proleptic Gregorian, eras of 400 years from 0000-03-01)
    long z = day + 719_468L;
    long era = Math.floorDiv(z, 146_097L);
    long dayOfEra = z - era * 146_097L;
    long yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
    long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    long shiftedMonth = (5 * dayOfYear + 2) / 153;
    int dayOfMonth = (int) (dayOfYear - (153 * shiftedMonth + 2) / 5 + 1);
    int month = (int) (shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9);
    long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {
      return null;
    }
    int digits = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
    byte[] b = new byte[20 + (digits == 0 ? 0 : digits + 1)];
    put(b, 0, (int) year, 4);
    b[4] = '-';
    put(b, 5, month, 2);
    b[7] = '-';
    put(b, 8, dayOfMonth, 2);
    b[10] = 'T';
    put(b, 11, secondOfDay / 3_600, 2);
    b[13] = ':';
    put(b, 14, secondOfDay / 60 % 60, 2);
    b[16] = ':';
    put(b, 17, secondOfDay % 60, 2);
    int at = 19;
    if (digits > 0) {
      b[at++] = '.';
      put(b, at, digits == 3 ? nano / 1_000_000 : digits == 6 ? nano / 1_000 : nano, digits);
      at += digits;
    }
    b[at] = 'Z';
    return b;
  }

  /** {@code value} as {@code width} decimal digits, zero-padded, at {@code at}. */
  private static void put(byte[] b, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      b[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
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
