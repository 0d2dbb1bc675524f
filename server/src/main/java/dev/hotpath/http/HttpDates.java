package dev.hotpath.http;

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

  /** {@code epochSeconds} as an IMF-fixdate, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
  public static String format(long epochSeconds) {
    return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSeconds));
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
