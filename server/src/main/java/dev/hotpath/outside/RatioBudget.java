package dev.hotpath.outside;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Extra calls (retries, hedges) allowed as a share of the calls made, over a sliding window: an
 * extra call is granted only while {@code extras + 1 <= ratio * calls} over the last window. So
 * when a service fails every call, retries add at most {@code ratio} to the load on it instead of
 * multiplying it. The window is ten slots of a tenth of it each; old slots are cleared as time
 * moves on. Thread-safe and lock-free; two racing grants may overshoot by one.
 */
public final class RatioBudget {
  private static final int SLOTS = 10;

  private final double ratio;
  private final long slotNanos;
  private final long origin = System.nanoTime();

  /** Per slot: its epoch (slot number since origin), calls, extras. */
  private final AtomicLongArray slots = new AtomicLongArray(SLOTS * 3);

  public RatioBudget(double ratio, Duration window) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("ratio must be within [0, 1], was " + ratio);
    }
    this.ratio = ratio;
    this.slotNanos = Math.max(1, window.toNanos() / SLOTS);
  }

  /** Counts one call (a first attempt). */
  public void call() {
    slots.addAndGet(slot(epoch()) * 3 + 1, 1);
  }

  /** Grants one extra call and counts it, or refuses when the window has no room. */
  public boolean tryExtra() {
    long epoch = epoch();
    long[] window = window(epoch);
    if (window[1] + 1 > ratio * window[0]) {
      return false;
    }
    slots.addAndGet(slot(epoch) * 3 + 2, 1);
    return true;
  }

  /** Calls and extras in the current window, for tests and metrics. */
  public long[] window() {
    return window(epoch());
  }

  private long[] window(long epoch) {
    long calls = 0;
    long extras = 0;
    for (int i = 0; i < SLOTS; i++) {
      long e = slots.get(i * 3);
      if (epoch - e < SLOTS && e <= epoch) {
        calls += slots.get(i * 3 + 1);
        extras += slots.get(i * 3 + 2);
      }
    }
    return new long[] {calls, extras};
  }

  private long epoch() {
    return (System.nanoTime() - origin) / slotNanos + 1;
  }

  private int slot(long epoch) {
    int i = (int) (epoch % SLOTS);
    long seen = slots.get(i * 3);
    if (seen != epoch && slots.compareAndSet(i * 3, seen, epoch)) {
      // this thread moved the slot to a new epoch: start it empty
      slots.set(i * 3 + 1, 0);
      slots.set(i * 3 + 2, 0);
    }
    return i;
  }
}
