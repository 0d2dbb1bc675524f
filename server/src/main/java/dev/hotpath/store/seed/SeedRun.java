package dev.hotpath.store.seed;

import java.time.Instant;
import java.util.SplittableRandom;

/**
 * What the rows of every table are written with: the plan, its seed as text (in unique columns),
 * the reusable row buffer and where full batches go; and the seeded history's time line.
 */
record SeedRun(SeedPlan plan, String seedText, Sink sink, CopyBatches out) {
  static final long BASE_MICROS =
      Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
  static final long SPAN_MICROS = 730L * 86_400_000_000L;
  static final long START_MICROS = BASE_MICROS - SPAN_MICROS;

  /**
   * The timestamp of row {@code index} of {@code total}: rows are spread evenly over the two years
   * before the base instant, each with a random offset inside its own slot, so later rows are
   * newer.
   */
  static long spread(int index, int total, SplittableRandom random) {
    long slot = Math.max(1, SPAN_MICROS / total);
    return START_MICROS + (long) ((double) index * SPAN_MICROS / total) + random.nextLong(slot);
  }
}
