package dev.hotpath.store;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The circuit breaker in front of the database, as a state machine without threads or timers of its
 * own. It opens after {@code threshold} connection failures in a row; while open, requests fail
 * fast and no statement is sent; every {@code probeEvery} one probe may run ({@link #tryProbe}),
 * and the first probe that reaches the database closes it. Time comes from the clock it is given
 * ({@link System#nanoTime} in production, a fake one in tests). Thread-safe: state is read without
 * a lock on every statement, and changed under one.
 */
public final class DatabaseBreaker {
  /** The states a client can see: closed lets statements through, the others fail them fast. */
  public enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  /** Told of every change of state, on the thread that caused it, outside the breaker's lock. */
  public interface Listener {
    void changed(State from, State to, Throwable lastFailure);
  }

  private final int threshold;
  private final long probeEveryNanos;
  private final LongSupplier clock;
  private final Listener listener;

  private volatile State state = State.CLOSED;
  private volatile int failuresInARow;
  private long openedAt;

  public DatabaseBreaker(
      int threshold, Duration probeEvery, LongSupplier clock, Listener listener) {
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold must be at least 1, was " + threshold);
    }
    if (probeEvery.isNegative() || probeEvery.isZero()) {
      throw new IllegalArgumentException("probe interval must be positive, was " + probeEvery);
    }
    this.threshold = threshold;
    this.probeEveryNanos = probeEvery.toNanos();
    this.clock = clock;
    this.listener = listener;
  }

  public State state() {
    return state;
  }

  /** Whether a statement may be sent now (the breaker is closed). */
  public boolean permits() {
    return state == State.CLOSED;
  }

  /** A statement or connection attempt reached the database. */
  public void success() {
    if (state == State.CLOSED && failuresInARow == 0) {
      return; // every statement reports; the common case takes no lock
    }
    State from;
    synchronized (this) {
      failuresInARow = 0;
      from = state;
      if (from == State.CLOSED) {
        return;
      }
      state = State.CLOSED;
    }
    listener.changed(from, State.CLOSED, null);
  }

  /** A statement or connection attempt failed because the database could not be reached. */
  public void failure(Throwable cause) {
    State from;
    synchronized (this) {
      from = state;
      if (from == State.OPEN) {
        return;
      }
      if (from == State.CLOSED && ++failuresInARow < threshold) {
        return;
      }
      state = State.OPEN;
      openedAt = clock.getAsLong();
    }
    listener.changed(from, State.OPEN, cause);
  }

  /**
   * Moves an open breaker to half-open when a probe is due, and says whether the caller is the one
   * to send it; the caller reports the probe with {@link #success} or {@link #failure}.
   */
  public boolean tryProbe() {
    synchronized (this) {
      if (state != State.OPEN || clock.getAsLong() - openedAt < probeEveryNanos) {
        return false;
      }
      state = State.HALF_OPEN;
    }
    listener.changed(State.OPEN, State.HALF_OPEN, null);
    return true;
  }
}
