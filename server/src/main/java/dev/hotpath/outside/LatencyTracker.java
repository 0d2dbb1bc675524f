package dev.hotpath.outside;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A cheap, decaying latency distribution of one service, for the hedging delay: log-scale buckets
 * (four per power of two, so a quantile is within 19% of the truth) over two rotating windows, the
 * current one and the one before it, so the estimate follows the service as it changes and forgets
 * what is older than two windows. Recording is two atomic increments; a quantile reads the buckets.
 * Thread-safe and lock-free but for the rotation, which happens once a window.
 */
public final class LatencyTracker {
  private static final int SUB_BITS = 2;
  private static final int SUB = 1 << SUB_BITS;

  /** Microsecond values up to 2^40 (12 days): far beyond any timeout. */
  private static final int BUCKETS = 41 * SUB;

  private final long windowNanos;
  private final int minSamples;
  private volatile Window current;
  private volatile Window previous;

  private static final class Window {
    final long start;
    final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    Window(long start) {
      this.start = start;
    }
  }

  /**
   * @param window how long one window lasts; the estimate covers one to two windows
   * @param minSamples samples needed before {@link #quantileNanos} answers
   */
  public LatencyTracker(Duration window, int minSamples) {
    this.windowNanos = window.toNanos();
    this.minSamples = minSamples;
    long now = System.nanoTime();
    this.current = new Window(now);
    this.previous = new Window(now - windowNanos);
  }

  /** Records one call that took {@code nanos}. */
  public void record(long nanos) {
    Window w = window(System.nanoTime());
    w.counts.incrementAndGet(bucket(Math.max(1, nanos / 1_000)));
  }

  /**
   * The {@code q} quantile (0..1) in nanoseconds, as the upper bound of its bucket; -1 while fewer
   * than the minimum number of samples were seen in the last two windows.
   */
  public long quantileNanos(double q) {
    Window cur = window(System.nanoTime());
    Window prev = previous;
    long total = 0;
    long[] merged = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      merged[i] = cur.counts.get(i) + prev.counts.get(i);
      total += merged[i];
    }
    if (total < minSamples || total == 0) {
      return -1;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += merged[i];
      if (seen >= rank) {
        return upperMicros(i) * 1_000;
      }
    }
    return upperMicros(BUCKETS - 1) * 1_000;
  }

  private Window window(long now) {
    Window w = current;
    if (now - w.start < windowNanos) {
      return w;
    }
    synchronized (this) {
      w = current;
      if (now - w.start >= windowNanos) {
        // a window of silence forgets everything; otherwise the current one becomes the previous
        previous = now - w.start >= 2 * windowNanos ? new Window(now - windowNanos) : w;
        w = new Window(now);
        current = w;
      }
      return w;
    }
  }

  /** Bucket of a value in microseconds (>= 1): power of two and the next two bits. */
  static int bucket(long micros) {
    int power = 63 - Long.numberOfLeadingZeros(micros);
    // 1 to 3 microseconds: one bucket per power of two is precise enough
    int sub = power < SUB_BITS ? 0 : (int) (micros >>> (power - SUB_BITS)) & (SUB - 1);
    return Math.min(BUCKETS - 1, power * SUB + sub);
  }

  /** The largest microsecond value of a bucket. */
  static long upperMicros(int bucket) {
    int power = bucket / SUB;
    int sub = bucket % SUB;
    if (power < SUB_BITS) {
      // 1 to 3 microseconds: one bucket per power of two
      return (2L << power) - 1;
    }
    return (((long) (SUB + sub + 1)) << (power - SUB_BITS)) - 1;
  }
}
