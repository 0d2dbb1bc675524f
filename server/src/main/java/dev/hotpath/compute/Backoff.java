package dev.hotpath.compute;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter (the AWS Architecture Blog's "full jitter"): the delay
 * before retry {@code n} (1-based) is uniform in {@code [0, min(cap, base * 2^(n-1)))}. Spreading
 * retries over the whole window keeps failing jobs from retrying in lockstep.
 */
public record Backoff(Duration base, Duration cap) {
  public Backoff {
    if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < base <= cap, was base " + base + " and cap " + cap);
    }
  }

  /** The upper bound of the delay before retry {@code attempt}. */
  public long boundMillis(int attempt) {
    long limit = cap.toMillis();
    long bound = base.toMillis();
    for (int i = 1; i < attempt && bound < limit; i++) {
      bound *= 2;
    }
    return Math.min(bound, limit);
  }

  /** A delay drawn uniformly from {@code [0, boundMillis(attempt))}. */
  public long delayMillis(int attempt, RandomGenerator random) {
    return random.nextLong(boundMillis(attempt));
  }
}
