package dev.hotpath.load;

import java.util.Optional;

/**
 * How one request class fared against its SLO in one step. {@code overshoot} is 1.0 at the bound
 * and above 1 when breached (latency over the objective, or errors over the budget).
 */
public record Verdict(RequestClass requestClass, Kind kind, double overshoot, String reason) {
  public enum Kind {
    HELD,
    BREACHED,
    /** Measured, but the SLO file sets no objective for this class. */
    NO_SLO,
    /** Not judged: the warm-up. */
    NOT_JUDGED
  }

  /**
   * Judges {@code stats} against {@code slo}: held when p95 and p99 are within it and the error
   * ratio is within {@code errorBudget}.
   */
  public static Verdict of(
      RequestClass c, ClassStats stats, Optional<Slo> slo, double errorBudget, boolean judged) {
    if (!judged) {
      return new Verdict(c, Kind.NOT_JUDGED, 0, "warm-up");
    }
    double errorOvershoot = errorBudget > 0 ? stats.errorRatio() / errorBudget : 0;
    boolean errorsOver = stats.errorRatio() > errorBudget;
    if (slo.isEmpty()) {
      return errorsOver
          ? new Verdict(c, Kind.BREACHED, errorOvershoot, errorText(stats, errorBudget))
          : new Verdict(c, Kind.NO_SLO, 0, "no SLO for " + c.key());
    }
    Slo s = slo.get();
    double latencyOvershoot = s.overshoot(stats.p95(), stats.p99());
    String latency =
        "p95 "
            + Format.ms(stats.p95())
            + "/"
            + Format.ms(s.p95Ms())
            + ", p99 "
            + Format.ms(stats.p99())
            + "/"
            + Format.ms(s.p99Ms());
    if (!s.heldBy(stats.p95(), stats.p99())) {
      return new Verdict(
          c,
          Kind.BREACHED,
          Math.max(latencyOvershoot, errorOvershoot),
          latency + (errorsOver ? "; " + errorText(stats, errorBudget) : ""));
    }
    if (errorsOver) {
      return new Verdict(c, Kind.BREACHED, errorOvershoot, errorText(stats, errorBudget));
    }
    return new Verdict(c, Kind.HELD, latencyOvershoot, latency);
  }

  private static String errorText(ClassStats stats, double budget) {
    return "errors "
        + Format.percent(stats.errorRatio())
        + " > budget "
        + Format.percent(budget)
        + " ("
        + stats.errors()
        + " of "
        + stats.count()
        + ")";
  }

  public boolean breached() {
    return kind == Kind.BREACHED;
  }

  /**
   * The class that bent worst among {@code verdicts}: the breached one furthest over its objective
   * (ties go to the first in {@link RequestClass} order). The one rule by which the stop line and
   * the knee name a class.
   */
  public static Optional<Verdict> worst(java.util.Collection<Verdict> verdicts) {
    Verdict worst = null;
    for (Verdict v : verdicts) {
      if (v.breached()
          && (worst == null
              || v.overshoot > worst.overshoot
              || (v.overshoot == worst.overshoot
                  && v.requestClass.ordinal() < worst.requestClass.ordinal()))) {
        worst = v;
      }
    }
    return Optional.ofNullable(worst);
  }
}
