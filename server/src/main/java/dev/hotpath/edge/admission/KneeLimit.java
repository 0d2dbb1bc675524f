package dev.hotpath.edge.admission;

import com.netflix.concurrency.limits.Limit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The adaptive concurrency limit: Gradient2's rule (the limit shrinks when a window's latency rises
 * above {@code tolerance} times its long-term level, and grows by about the square root of itself
 * while it does not), except that the long-term level is learnt only from windows in which
 * admission had room. Under sustained overload every window is saturated (requests held, queued or
 * refused), and the level stays what the server did when it was not overloaded, so the limit keeps
 * the requests in flight near the knee: as many as the server serves without queueing beyond the
 * tolerance.
 *
 * <p>Why not Gradient2 itself: its long-term level is an average of every window (600 of them),
 * overloaded ones included. Through a 3x spike (60 s and more of saturated windows) that average
 * climbed towards the overloaded latency, the gradient went back to 1 and the limit grew a little
 * each window, past the knee: more in flight than the server could serve at low latency, each
 * admitted request waiting behind them (admitted p99 7-11x the unloaded one in the quiet 3x runs of
 * 2026-12-06, with no request shed).
 *
 * <p>At its floor the level learns from saturated windows too: the limit can come down no further,
 * and a server that is slower for good would otherwise keep it at the floor for as long as the
 * server stayed busy. A window whose latency is under half the level (load fell, or the mix got
 * cheaper) brings the level down at once by 5 % per window, saturated or not, as Gradient2 does.
 * Thread-safe: samples come from every event loop, a few times a second each.
 */
final class KneeLimit implements Limit {
  /** Windows the long-term level averages over (Gradient2's default). */
  static final int LONG_WINDOWS = 600;

  /** Windows averaged plainly before the level becomes an exponential average. */
  private static final int WARMUP_WINDOWS = 10;

  /** Slots added to each window's estimate (Gradient2's default queue size). */
  private static final int QUEUE = 4;

  /** How much of a new estimate a window moves the limit by (Gradient2's default). */
  private static final double SMOOTHING = 0.2;

  private final int minLimit;
  private final int maxLimit;
  private final double tolerance;
  private final List<Consumer<Integer>> listeners = new CopyOnWriteArrayList<>();
  private volatile int limit;
  private double estimated;

  /** The long-term latency of windows with room, in nanoseconds; 0 until the first one. */
  private double level;

  private int learnt;

  KneeLimit(int initialLimit, int minLimit, int maxLimit, double tolerance) {
    this.minLimit = minLimit;
    this.maxLimit = maxLimit;
    this.tolerance = tolerance;
    this.estimated = Math.max(minLimit, Math.min(maxLimit, initialLimit));
    this.limit = (int) estimated;
  }

  @Override
  public int getLimit() {
    return limit;
  }

  @Override
  public void notifyOnChange(Consumer<Integer> consumer) {
    listeners.add(consumer);
  }

  /** A window in which admission had room (see {@link #sample}). */
  @Override
  public void onSample(long startNanos, long rttNanos, int inFlight, boolean didDrop) {
    sample(rttNanos, inFlight, false);
  }

  /** The long-term level, in nanoseconds (0 before any window with room). */
  synchronized double level() {
    return level;
  }

  /**
   * One window: its average latency (from admission to the response's end), the most requests in
   * flight during it, and whether admission was saturated in it (a request found no slot: held,
   * queued or refused).
   */
  synchronized void sample(long rttNanos, int inFlight, boolean saturated) {
    double rtt = rttNanos;
    if (level == 0) {
      if (saturated) {
        return; // nothing to compare with yet: the limit stays where it started
      }
      level = rtt;
      learnt = 1;
    } else if (!saturated || estimated <= minLimit) {
      // at its floor the limit cannot shed more: a server slower for good (a heavier mix, a slower
      // database) would keep it there, saturated, for as long as the level stayed; there the level
      // learns as it does with room
      learnt++;
      double weight = learnt <= WARMUP_WINDOWS ? 1.0 / learnt : 2.0 / (LONG_WINDOWS + 1);
      level += (rtt - level) * weight;
    }
    if (level / rtt > 2) {
      level *= 0.95; // latency well under the level: the level comes down, whatever the load
    }
    double before = estimated;
    if (inFlight < before / 2) {
      return; // most of the limit unused: the window says nothing about it
    }
    double gradient = Math.max(0.5, Math.min(1.0, tolerance * level / rtt));
    double next = before * gradient + QUEUE;
    next = before * (1 - SMOOTHING) + next * SMOOTHING;
    estimated = Math.max(minLimit, Math.min(maxLimit, next));
    int now = (int) estimated;
    if (now != limit) {
      limit = now;
      for (Consumer<Integer> listener : listeners) {
        listener.accept(now);
      }
    }
  }
}
