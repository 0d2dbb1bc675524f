package dev.hotpath.load;

import java.util.Map;

/** The measurements of one step, per request class (classes that sent nothing are absent). */
public record StepResult(Step step, Map<RequestClass, ClassStats> classes) {
  public StepResult {
    classes = Map.copyOf(classes);
  }

  public long count() {
    return classes.values().stream().mapToLong(ClassStats::count).sum();
  }

  /** Requests per second actually started in this step (the offered rate is {@code step.rate}). */
  public double achievedRate() {
    return count() / (step.duration().toMillis() / 1000.0);
  }
}
