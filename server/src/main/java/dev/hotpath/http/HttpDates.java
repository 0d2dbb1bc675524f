package dev.hotpath.http;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * HTTP-dates (RFC 9110 section 5.6.7): written as IMF-fixdate, read in all three forms a recipient
 * must accept (IMF-fixdate, the obsolete RFC 850 form and asctime). Thread-safe.
 */
public final class HttpDates {
  /** What {@link #parse} returns for a value that is not an HTTP-date. */
  public static final long INVALID = Long.MIN_VALUE;

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM uuuu HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC)
          .withResolverStyle(ResolverStyle.STRICT);

  /** Two-digit years from 70 are read as 19xx, the rest as 20xx (the epoch is the earliest). */
  private static final DateTimeFormatter RFC_850 =
      new DateTimeFormatterBuilder()
          .appendPattern("EEEE, dd-MMM-")
          .appendValueReduced(ChronoField.YEAR, 2, 2, LocalDate.of(1970, 1, 1))
          .appendPattern(" HH:mm:ss 'GMT'")
          .toFormatter(Locale.US)
          .withZone(ZoneOffset.UTC)
          .withResolverStyle(ResolverStyle.STRICT);

  private static final DateTimeFormatter ASCTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.US)
          .withZone(ZoneOffset.UTC)
          .withResolverStyle(ResolverStyle.STRICT);

  private HttpDates() {}

  private static final byte[] DAYS = "ThuFriSatSunMonTueWed".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MONTHS =
      "JanFebMarAprMayJunJulAugSepOctNovDec".getBytes(StandardCharsets.US_ASCII);

  /** {@code epochSeconds} as an IMF-fixdate, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
  public static String format(long epochSeconds) {
    byte[] b = imfFixdate(epochSeconds);
    return b == null
        ? IMF_FIXDATE.format(Instant.ofEpochSecond(epochSeconds))
        : new String(b, StandardCharsets.US_ASCII);
  }

  /**
   * {@link #format} as header text: its bytes, wrapped without a copy. Every read that misses the
   * response cache sends one (its {@code Last-Modified}); {@link DateTimeFormatter} took about 2.6
   * % of the event loops' CPU samples of an uncached order read.
   */
  public static AsciiString ascii(long epochSeconds) {
    byte[] b = imfFixdate(epochSeconds);
    return b == null ? new AsciiString(format(epochSeconds)) : new AsciiString(b, false);
  }

  /**
   * The 29 bytes of the IMF-fixdate of {@code epochSeconds}, written out (the proleptic Gregorian
   * calendar, as the formatter's); null for a year outside 0000-9999, which the formatter writes
   * (HttpDatesTest compares the two).
   */
  static byte @Nullable [] imfFixdate(long epochSeconds) {
    long day = Math.floorDiv(epochSeconds, 86_400L);
    int secondOfDay = (int) Math.floorMod(epochSeconds, 86_400L);
    // the civil date of a day count (eras of 400 years from 0000-03-01)
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
    byte[] b = new byte[29];
    int weekday = (int) Math.floorMod(day, 7L); // 1970-01-01 was a Thursday
    System.arraycopy(DAYS, weekday * 3, b, 0, 3);
    b[3] = ',';
    b[4] = ' ';
    put(b, 5, dayOfMonth, 2);
    b[7] = ' ';
    System.arraycopy(MONTHS, (month - 1) * 3, b, 8, 3);
    b[11] = ' ';
    put(b, 12, (int) year, 4);
    b[16] = ' ';
    put(b, 17, secondOfDay / 3_600, 2);
    b[19] = ':';
    put(b, 20, secondOfDay / 60 % 60, 2);
    b[22] = ':';
    put(b, 23, secondOfDay % 60, 2);
    b[25] = ' ';
    b[26] = 'G';
    b[27] = 'M';
    b[28] = 'T';
    return b;
  }

  private static void put(byte[] b, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      b[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
  }

  /** Seconds since the epoch of an HTTP-date in any of its three forms, or {@link #INVALID}. */
  public static long parse(String value) {
    String s = value.trim();
    if (s.length() < 24 || s.length() > 40) {
      return INVALID;
    }
    DateTimeFormatter format;
    if (s.indexOf(',') == 3) {
      format = IMF_FIXDATE;
    } else if (s.indexOf(',') > 3) {
      format = RFC_850;
    } else {
      format = ASCTIME;
    }
    try {
      // strict resolution rejects a day the month lacks, and a weekday the date does not have
      return ZonedDateTime.parse(s, format).toEpochSecond();
    } catch (DateTimeException e) {
      return INVALID;
    }
  }
}
