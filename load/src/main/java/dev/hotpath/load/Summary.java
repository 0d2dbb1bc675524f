package dev.hotpath.load;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of a run: every step with its verdicts and resources, the knee, and what the target
 * was short of at the knee.
 *
 * @param kneeResources the target's resources during the step that bent (the last step when none
 *     did)
 * @param metricsExposure whether and where {@code /metrics} was read, in words
 */
public record Summary(
    Profile profile,
    String target,
    String sloSource,
    double errorBudget,
    Instant startedAt,
    List<StepResult> results,
    List<Map<RequestClass, Verdict>> verdicts,
    List<List<Resources.Reading>> stepResources,
    Knee knee,
    List<Resources.Reading> kneeResources,
    double loadGeneratorCpu,
    String metricsExposure,
    Optional<String> stopReason,
    Optional<Path> gatlingReport) {

  public Summary {
    results = List.copyOf(results);
    verdicts = List.copyOf(verdicts);
    stepResources = List.copyOf(stepResources);
    kneeResources = List.copyOf(kneeResources);
  }

  /** True when any judged step broke an SLO (what {@code --assert} fails on). */
  public boolean breached() {
    return knee.breached();
  }

  /** Requests that got an error (5xx, no answer, or a 4xx the harness should never cause). */
  public long errors() {
    return results.stream()
        .flatMap(r -> r.classes().values().stream())
        .mapToLong(ClassStats::errors)
        .sum();
  }

  public long requests() {
    return results.stream().mapToLong(StepResult::count).sum();
  }

  /** The step whose resources {@link #kneeResources} describe. */
  public Optional<Step> kneeMoment() {
    return knee.breachStep()
        .or(
            () ->
                results.isEmpty()
                    ? Optional.empty()
                    : Optional.of(results.get(results.size() - 1).step()));
  }
}
