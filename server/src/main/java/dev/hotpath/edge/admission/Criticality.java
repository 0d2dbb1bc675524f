package dev.hotpath.edge.admission;

import java.util.Locale;

/**
 * How much a kind of request matters when the server has to refuse some: each operation declares
 * one as {@code x-criticality} in the contract. A class is admitted while the requests in flight
 * stay below its share of the concurrency limit, so as load grows the least critical work is
 * refused first and the most critical last.
 */
public enum Criticality {
  /** Health, metrics and admin: never shed, not counted against the limit. */
  CRITICAL(0, 0),
  /** Reads and writes of single resources: admitted up to the whole limit, then may queue. */
  HIGH(1, 1),
  /** Lists and search: admitted up to three quarters of the limit. */
  NORMAL(3, 4),
  /** Reports, imports, jobs and docs: admitted up to half of the limit. */
  LOW(1, 2);

  private final int numerator;
  private final int denominator;

  Criticality(int numerator, int denominator) {
    this.numerator = numerator;
    this.denominator = denominator;
  }

  /** The in-flight count below which this class is admitted under {@code limit}; at least 1. */
  public int threshold(int limit) {
    if (this == CRITICAL) {
      return Integer.MAX_VALUE;
    }
    return Math.max(1, (int) ((long) limit * numerator / denominator));
  }

  /** The lower-case name the contract and the metrics use. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The class named {@code key} in the contract.
   *
   * @throws IllegalArgumentException for a name that is not a class
   */
  public static Criticality of(String key) {
    for (Criticality c : values()) {
      if (c.key().equals(key)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "x-criticality must be critical, high, normal or low, was '" + key + "'");
  }
}
