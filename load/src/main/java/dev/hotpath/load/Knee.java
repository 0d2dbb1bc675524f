package dev.hotpath.load;

import java.util.List;
import java.util.Optional;

/**
 * Where a run bent. {@code breachStep} is the first step in which any class broke its SLO, {@code
 * bentFirst} the class that broke then (the one furthest over its objective when several did),
 * {@code lastHeldStep} the last judged step before it in which every class held: the knee.
 */
public record Knee(
    List<ClassKnee> classes,
    Optional<Step> lastHeldStep,
    Optional<Step> breachStep,
    Optional<RequestClass> bentFirst,
    Optional<String> bendReason) {

  public Knee {
    classes = List.copyOf(classes);
  }

  public boolean breached() {
    return breachStep.isPresent();
  }

  /**
   * One class: the highest offered rate (whole run, and this class's own share of it) at which it
   * held before it first broke, and where and why it broke, if it did.
   */
  public record ClassKnee(
      RequestClass requestClass,
      Optional<Slo> slo,
      Optional<Double> heldUpToRate,
      Optional<Double> heldUpToClassRate,
      Optional<Step> firstBreach,
      Optional<String> breachReason) {}
}
