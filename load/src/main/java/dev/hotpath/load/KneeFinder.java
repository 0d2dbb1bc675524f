package dev.hotpath.load;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the knee of a run from its step results. Stateless. */
public final class KneeFinder {
  private final SloSet slos;
  private final double errorBudget;

  /**
   * @param errorBudget the share of errors (0..1) a step may have and still hold its SLO
   */
  public KneeFinder(SloSet slos, double errorBudget) {
    if (errorBudget < 0 || errorBudget > 1) {
      throw new IllegalArgumentException("error budget must be within 0..1, was " + errorBudget);
    }
    this.slos = slos;
    this.errorBudget = errorBudget;
  }

  /** The verdict of every class that sent requests in {@code result}. */
  public Map<RequestClass, Verdict> judge(StepResult result) {
    Map<RequestClass, Verdict> verdicts = new EnumMap<>(RequestClass.class);
    result
        .classes()
        .forEach(
            (c, stats) ->
                verdicts.put(
                    c, Verdict.of(c, stats, slos.of(c), errorBudget, result.step().judged())));
    return verdicts;
  }

  /** The knee of {@code results} (steps in run order). */
  public Knee find(List<StepResult> results) {
    List<Map<RequestClass, Verdict>> verdicts = results.stream().map(this::judge).toList();
    int breachAt = -1;
    for (int i = 0; i < results.size() && breachAt < 0; i++) {
      if (verdicts.get(i).values().stream().anyMatch(Verdict::breached)) {
        breachAt = i;
      }
    }
    Optional<RequestClass> bentFirst = Optional.empty();
    Optional<String> bendReason = Optional.empty();
    if (breachAt >= 0) {
      Optional<Verdict> worst = Verdict.worst(verdicts.get(breachAt).values());
      bentFirst = worst.map(Verdict::requestClass);
      bendReason = worst.map(Verdict::reason);
    }
    int end = breachAt >= 0 ? breachAt : results.size();
    Optional<Step> lastHeld = Optional.empty();
    for (int i = 0; i < end; i++) {
      if (results.get(i).step().judged()) {
        lastHeld = Optional.of(results.get(i).step());
      }
    }
    List<Knee.ClassKnee> classes = new ArrayList<>();
    for (RequestClass c : RequestClass.values()) {
      classKnee(c, results, verdicts).ifPresent(classes::add);
    }
    return new Knee(
        classes,
        lastHeld,
        breachAt >= 0 ? Optional.of(results.get(breachAt).step()) : Optional.empty(),
        bentFirst,
        bendReason);
  }

  private Optional<Knee.ClassKnee> classKnee(
      RequestClass c, List<StepResult> results, List<Map<RequestClass, Verdict>> verdicts) {
    boolean seen = false;
    Double heldRate = null;
    Double heldClassRate = null;
    for (int i = 0; i < results.size(); i++) {
      Verdict v = verdicts.get(i).get(c);
      if (v == null) {
        continue;
      }
      seen = true;
      if (v.breached()) {
        return Optional.of(
            new Knee.ClassKnee(
                c,
                slos.of(c),
                Optional.ofNullable(heldRate),
                Optional.ofNullable(heldClassRate),
                Optional.of(results.get(i).step()),
                Optional.of(v.reason())));
      }
      if (v.kind() == Verdict.Kind.HELD || v.kind() == Verdict.Kind.NO_SLO) {
        double rate = results.get(i).step().rate();
        if (heldRate == null || rate > heldRate) {
          heldRate = rate;
          heldClassRate = results.get(i).classes().get(c).rate();
        }
      }
    }
    if (!seen) {
      return Optional.empty();
    }
    return Optional.of(
        new Knee.ClassKnee(
            c,
            slos.of(c),
            Optional.ofNullable(heldRate),
            Optional.ofNullable(heldClassRate),
            Optional.empty(),
            Optional.empty()));
  }
}
