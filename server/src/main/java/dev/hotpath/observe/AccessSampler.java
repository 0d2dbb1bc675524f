package dev.hotpath.observe;

import java.util.HashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Decides which access-log lines a busy route writes. Up to {@code perSecond} lines a second per
 * route are all written; past that, of the requests that may be sampled (successful, fast, without
 * an idempotency key: the caller says which) one in {@code oneIn} is written, weighted with the
 * requests it stands for: itself and those left out since the route's last written sampled line. So
 * the weights of a route's lines add up to its requests, less at most {@code oneIn - 1} left out at
 * the very end, on each thread. Thread-safe: each thread counts its own requests.
 */
final class AccessSampler {
  private final int perSecond;
  private final int oneIn;
  private final LongSupplier nanoClock;

  /**
   * Each thread's windows: a route's requests are counted by the event loop that serves them, with
   * no lock and no shared cache line (so a route may write up to {@code perSecond} lines a second
   * on each event loop); the weights still add up to the requests.
   */
  private final ThreadLocal<HashMap<String, Window>> windows =
      ThreadLocal.withInitial(HashMap::new);

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
    HashMap<String, Window> mine = windows.get();
    Window w = mine.get(route);
    if (w == null) {
      w = new Window();
      mine.put(route, w);
    }
    long second = nanoClock.getAsLong() / 1_000_000_000L;
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

  /** Lines left out so far. */
  long leftOut() {
    return leftOut.sum();
  }
}
