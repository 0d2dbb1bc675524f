package dev.hotpath.store.seed;

import java.time.Instant;
import java.util.SplittableRandom;

/**
 * What the rows of every table are written with: the plan, its seed as text (in unique columns),
 * the rows per COPY statement and where progress goes; and the seeded history's time line.
 */
record SeedRun(SeedPlan plan, String seedText, int batchRows, Progress progress) {
  /** Rows per COPY statement and per progress update, unless a test asks for fewer. */
  static final int BATCH_ROWS = 50_000;

  static final long BASE_MICROS =
      Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
  static final long SPAN_MICROS = 730L * 86_400_000_000L;
  static final long START_MICROS = BASE_MICROS - SPAN_MICROS;

  /** Whether a batch ends after row {@code done} (1-based) of {@code total}. */
  boolean due(int done, int total) {
    return done % batchRows == 0 || done == total;
  }

  /** Reports {@code done} of {@code total} rows of {@code phase} when run. */
  Runnable report(String phase, int done, int total) {
    return () -> progress.update(phase, done, total);
  }

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
