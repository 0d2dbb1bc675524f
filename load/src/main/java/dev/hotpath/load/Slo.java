package dev.hotpath.load;

/** Latency objective of one request class: 95% and 99% of requests under these bounds. */
public record Slo(RequestClass requestClass, double p95Ms, double p99Ms) {
  public Slo {
    if (!(p95Ms > 0) || !(p99Ms > 0)) {
      throw new IllegalArgumentException(
          requestClass.key() + ": p95_ms and p99_ms must be > 0, were " + p95Ms + ", " + p99Ms);
    }
    if (p99Ms < p95Ms) {
      throw new IllegalArgumentException(
          requestClass.key() + ": p99_ms (" + p99Ms + ") must be >= p95_ms (" + p95Ms + ")");
    }
  }

  /** True when both percentiles are within the objective. */
  public boolean heldBy(double p95, double p99) {
    return p95 <= p95Ms && p99 <= p99Ms;
  }

  /** How far over the objective a step went: 1.0 at the bound, above 1 when breached. */
  public double overshoot(double p95, double p99) {
    return Math.max(p95 / p95Ms, p99 / p99Ms);
  }
}
