package dev.hotpath.observe;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Decides which access-log lines a busy route writes. Up to {@code perSecond} lines a second per
 * route are all written; past that, of the requests that may be sampled (successful, fast, without
 * an idempotency key: the caller says which) one in {@code oneIn} is written, weighted with the
 * requests it stands for: itself and those left out since the route's last written sampled line. So
 * the weights of a route's lines add up to its requests, less at most {@code oneIn - 1} left out at
 * the very end. Thread-safe: one small lock per route, held for a few field updates.
 */
final class AccessSampler {
  private final int perSecond;
  private final int oneIn;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<String, Window> routes = new ConcurrentHashMap<>();
  private final LongAdder leftOut = new LongAdder();

  AccessSampler(int perSecond, int oneIn, LongSupplier nanoClock) {
    this.perSecond = perSecond;
    this.oneIn = oneIn;
    this.nanoClock = nanoClock;
  }

  /** The requests of one route in the current second, and those left out and not yet weighed. */
  private static final class Window {
    long second = Long.MIN_VALUE;
    int seen;
    int skipped;
  }

  /**
   * The weight of the line of one request of {@code route}: 0 leaves it out, {@code n >= 1} writes
   * it standing for {@code n} requests. Only a {@code sampleable} request is ever left out.
   */
  int weigh(String route, boolean sampleable) {
    if (oneIn == 1) {
      return 1;
    }
    Window w = routes.get(route);
    if (w == null) {
      w = routes.computeIfAbsent(route, r -> new Window());
    }
    long second = nanoClock.getAsLong() / 1_000_000_000L;
    synchronized (w) {
      if (w.second != second) {
        w.second = second;
        w.seen = 0;
      }
      w.seen++;
      if (!sampleable) {
        return 1;
      }
      if (w.seen <= perSecond) {
        int weight = 1 + w.skipped;
        w.skipped = 0;
        return weight;
      }
      if (++w.skipped < oneIn) {
        leftOut.increment();
        return 0;
      }
      int weight = w.skipped;
      w.skipped = 0;
      return weight;
    }
  }

  /** Lines left out so far. */
  long leftOut() {
    return leftOut.sum();
  }
}
