package dev.hotpath.load;

import java.time.Duration;

/**
 * One stretch of a run at a constant arrival rate. {@code offset} is its start from the start of
 * the run; a step that is not {@code judged} (the warm-up) is measured but never held against the
 * SLOs.
 */
public record Step(
    int index, String label, double rate, Duration offset, Duration duration, boolean judged) {
  public Step {
    if (!(rate > 0)) {
      throw new IllegalArgumentException("step " + label + ": rate must be > 0, was " + rate);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(
          "step " + label + ": duration must be > 0, was " + duration);
    }
  }

  public Duration end() {
    return offset.plus(duration);
  }

  /** True when a request that started {@code millis} after the run started belongs here. */
  public boolean contains(long millis) {
    return millis >= offset.toMillis() && millis < end().toMillis();
  }
}
