package dev.hotpath.store;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/**
 * Ids that carry their month, as the database's {@code month_id(ts, n)} makes them (migration V12):
 * {@code month_key << 40 | n}, where {@code month_key} counts months from January 2000 (UTC) and
 * {@code n} is a sequence number. Orders, order lines and outbox events are partitioned by ranges
 * of these ids, one partition per month.
 */
public final class MonthIds {
  /** Bits of the sequence number. */
  public static final int NUMBER_BITS = 40;

  public static final long NUMBER_MASK = (1L << NUMBER_BITS) - 1;

  private static final long MICROS_PER_DAY = 86_400_000_000L;

  private MonthIds() {}

  /** The months from January 2000 to the month (UTC) of {@code epochMicros}. */
  public static long monthKey(long epochMicros) {
    YearMonth month =
        YearMonth.from(
            Instant.EPOCH
                .plusSeconds(Math.floorDiv(epochMicros, MICROS_PER_DAY) * 86_400L)
                .atOffset(ZoneOffset.UTC));
    return monthKey(month);
  }

  /** The months from January 2000 to {@code month}. */
  public static long monthKey(YearMonth month) {
    return (month.getYear() - 2000L) * 12 + month.getMonthValue() - 1;
  }

  /** The id of a row created at {@code epochMicros} with sequence number {@code number}. */
  public static long id(long epochMicros, long number) {
    return (monthKey(epochMicros) << NUMBER_BITS) | (number & NUMBER_MASK);
  }

  /** The month an id carries. */
  public static YearMonth month(long id) {
    long key = id >>> NUMBER_BITS;
    return YearMonth.of((int) (2000 + key / 12), (int) (key % 12) + 1);
  }
}
