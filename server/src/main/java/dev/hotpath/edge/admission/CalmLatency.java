package dev.hotpath.edge.admission;

/**
 * The p99 latency of the requests one event loop admitted while admission had room (in flight at
 * most half of their class's threshold when admitted): what a request costs here when it does not
 * queue, learnt by the server itself, so that a held HTTP/2 stream is held no longer than the
 * admitted latency the overload goal allows (twice that p99) before it is refused.
 *
 * <p>Latencies go into a histogram of buckets a quarter of a power of two wide (about 19 %), over
 * sampling windows of the admission gate; a window with at least {@link #MIN_SAMPLES} calm requests
 * replaces the p99 (its bucket's upper bound), and one with fewer leaves it as it was. So under
 * sustained overload, when nearly every request is admitted with the slots taken, the value stays
 * the one learnt before: it is meant to be the unloaded latency, not the loaded one. Until a first
 * window has enough calm requests there is no value, and the longest hold applies.
 *
 * <p>What it is not: a limit. It bounds how long an excess stream waits to be admitted; a closed
 * loop within the limit is never held, whatever it says. Confined to its event loop.
 */
final class CalmLatency {
  static final int MIN_SAMPLES = 50;

  /** Buckets: index = 4 * log2(nanos), so bucket i holds latencies below 2^((i + 1) / 4) ns. */
  private static final int BUCKETS = 4 * 40;

  private final int[] counts = new int[BUCKETS];
  private int samples;
  private long p99Nanos = -1;

  /** One admitted request's latency; {@code calm} when admission had room as it was admitted. */
  void record(long rttNanos, boolean calm) {
    if (calm && rttNanos > 0) {
      counts[bucket(rttNanos)]++;
      samples++;
    }
  }

  /** The sampling window ended: a window of enough calm requests sets the p99. */
  void windowEnded() {
    if (samples >= MIN_SAMPLES) {
      int rank = samples - samples / 100; // the 99th percentile's rank, 1-based
      int seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += counts[i];
        if (seen >= rank) {
          p99Nanos = upperBound(i);
          break;
        }
      }
    }
    if (samples > 0) {
      java.util.Arrays.fill(counts, 0);
      samples = 0;
    }
  }

  /** The calm p99 in nanoseconds, or -1 while none was learnt. */
  long p99Nanos() {
    return p99Nanos;
  }

  /**
   * How long an excess HTTP/2 stream is held: twice the calm p99, at least {@code floorNanos} and
   * at most {@code maxNanos} (the longest hold), which is also the answer while nothing was learnt.
   */
  long holdNanos(long floorNanos, long maxNanos) {
    if (p99Nanos < 0) {
      return maxNanos;
    }
    return Math.min(maxNanos, Math.max(floorNanos, 2 * p99Nanos));
  }

  static int bucket(long nanos) {
    int log2 = 63 - Long.numberOfLeadingZeros(nanos);
    // the two bits below the leading one pick the quarter
    int quarter = log2 >= 2 ? (int) ((nanos >>> (log2 - 2)) & 3) : 0;
    return Math.min(BUCKETS - 1, 4 * log2 + quarter);
  }

  static long upperBound(int bucket) {
    int log2 = bucket / 4;
    int quarter = bucket % 4;
    if (log2 < 2) {
      return 1L << (log2 + 1); // below 4 ns there are no quarters
    }
    // [2^log2 * (1 + quarter / 4), 2^log2 * (1 + (quarter + 1) / 4))
    return (1L << log2) + ((quarter + 1L) << log2) / 4;
  }
}
