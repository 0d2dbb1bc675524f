package dev.hotpath.observe.analyze;

/**
 * Percentiles of latencies in fixed memory: buckets growing 2% each from 10 µs to about an hour, so
 * a percentile is exact to within 2%. Not thread-safe.
 */
final class LatencyHistogram {
  private static final double SMALLEST_MS = 0.01;
  private static final double GROWTH = 1.02;
  private static final int BUCKETS =
      1 + (int) Math.ceil(Math.log(3_600_000 / SMALLEST_MS) / Math.log(GROWTH));

  private final long[] counts = new long[BUCKETS];
  private long total;
  private double sum;

  void add(double ms) {
    add(ms, 1);
  }

  /** {@code ms}, {@code times} times over (a sampled line standing for several requests). */
  void add(double ms, long times) {
    int i =
        ms <= SMALLEST_MS
            ? 0
            : Math.min(BUCKETS - 1, 1 + (int) (Math.log(ms / SMALLEST_MS) / Math.log(GROWTH)));
    counts[i] += times;
    total += times;
    sum += ms * times;
  }

  long count() {
    return total;
  }

  double mean() {
    return total == 0 ? 0 : sum / total;
  }

  /** The latency (upper bound of its bucket) under which a share {@code q} of requests fell. */
  double percentile(double q) {
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return i == 0 ? SMALLEST_MS : SMALLEST_MS * Math.pow(GROWTH, i);
      }
    }
    return SMALLEST_MS * Math.pow(GROWTH, BUCKETS - 1);
  }
}
