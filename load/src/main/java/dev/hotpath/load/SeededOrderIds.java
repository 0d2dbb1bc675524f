package dev.hotpath.load;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The id of the n-th order of a fresh database seeded with {@code total} orders ({@code hotpath
 * seed}): order ids carry their month ({@code month_key << 40 | n}, months counted from January
 * 2000, see docs/data-at-scale.md), and the seed spreads its orders evenly over the two years
 * before 2026-01-01. Exact but for the few orders whose random offset crosses a month's end.
 */
final class SeededOrderIds {
  private static final long SPAN = 730L * 86_400;
  // as store/seed/SeedRun: 730 days before 2026-01-01 is 2024-01-02 (2024 has 366 days)
  private static final long START = Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() - SPAN;

  private SeededOrderIds() {}

  static long id(long n, long total) {
    long second = START + (long) ((double) (n - 1) * SPAN / total);
    ZonedDateTime at = Instant.ofEpochSecond(second).atZone(ZoneOffset.UTC);
    long monthKey = (at.getYear() - 2000L) * 12 + at.getMonthValue() - 1;
    return (monthKey << 40) | n;
  }
}
