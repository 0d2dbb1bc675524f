package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KneeFinderTest {
  private static final SloSet SLOS =
      new SloSet(
          Map.of(
              RequestClass.READS, new Slo(RequestClass.READS, 100, 200),
              RequestClass.WRITES, new Slo(RequestClass.WRITES, 200, 500),
              RequestClass.LISTS, new Slo(RequestClass.LISTS, 500, 1000)));

  private final KneeFinder finder = new KneeFinder(SLOS, 0.01);

  /** Synthetic steps: {@code p95/p99} of reads, writes, lists per step, 10 s each. */
  private static List<StepResult> ramp(double[][] readsWritesLists) {
    List<StepResult> results = new ArrayList<>();
    double rate = 100;
    for (int i = 0; i < readsWritesLists.length; i++) {
      double[] row = readsWritesLists[i];
      Step step =
          new Step(
              i,
              "step " + (i + 1),
              rate,
              Duration.ofSeconds(10L * i),
              Duration.ofSeconds(10),
              true);
      Map<RequestClass, ClassStats> classes = new EnumMap<>(RequestClass.class);
      classes.put(RequestClass.READS, ClassStats.synthetic(600, 0, rate * 0.6, row[0], row[1]));
      classes.put(RequestClass.WRITES, ClassStats.synthetic(300, 0, rate * 0.3, row[2], row[3]));
      classes.put(RequestClass.LISTS, ClassStats.synthetic(100, 0, rate * 0.1, row[4], row[5]));
      results.add(new StepResult(step, classes));
      rate *= 1.1;
    }
    return results;
  }

  @Test
  void namesTheLastStepThatHeldAndTheClassThatBentFirst() {
    List<StepResult> steps =
        ramp(
            new double[][] {
              {10, 20, 30, 60, 100, 200},
              {12, 25, 35, 70, 120, 250},
              {15, 30, 40, 90, 700, 1400}, // lists break at step 3
              {150, 300, 400, 900, 900, 2000},
            });

    Knee knee = finder.find(steps);

    assertThat(knee.breached()).isTrue();
    assertThat(knee.lastHeldStep()).map(Step::label).contains("step 2");
    assertThat(knee.breachStep()).map(Step::label).contains("step 3");
    assertThat(knee.bentFirst()).contains(RequestClass.LISTS);
    assertThat(knee.bendReason())
        .hasValueSatisfying(r -> assertThat(r).contains("p95 700 ms/500 ms"));
  }

  @Test
  void theStopLineAndTheKneeNameTheClassThatBentWorstNotTheFirstInEnumOrder() {
    List<StepResult> steps =
        ramp(
            new double[][] {
              {10, 20, 30, 60, 100, 200},
              {110, 210, 40, 90, 900, 3000}, // reads 1.1x over, lists 3x over
            });

    Knee knee = finder.find(steps);
    java.util.Optional<String> stop =
        LoadRun.stopReason(steps.get(1).step(), finder.judge(steps.get(1)));

    assertThat(knee.bentFirst()).contains(RequestClass.LISTS);
    assertThat(stop).contains("SLO broke at step 2 (lists)");
  }

  @Test
  void aTieInOvershootGoesToTheFirstClassInEnumOrder() {
    Verdict lists = new Verdict(RequestClass.LISTS, Verdict.Kind.BREACHED, 2.0, "l");
    Verdict reads = new Verdict(RequestClass.READS, Verdict.Kind.BREACHED, 2.0, "r");
    Verdict held = new Verdict(RequestClass.WRITES, Verdict.Kind.HELD, 9.0, "w");

    assertThat(Verdict.worst(List.of(lists, held, reads))).contains(reads);
    assertThat(Verdict.worst(List.of(held))).isEmpty();
  }

  @Test
  void givesEachClassTheHighestRateAtWhichItsSloHeldBeforeItFirstBroke() {
    List<StepResult> steps =
        ramp(
            new double[][] {
              {10, 20, 30, 60, 100, 200},
              {12, 25, 35, 70, 120, 250},
              {15, 30, 40, 90, 700, 1400},
              {150, 300, 400, 900, 900, 2000},
            });

    Knee knee = finder.find(steps);

    Map<RequestClass, Knee.ClassKnee> byClass = new EnumMap<>(RequestClass.class);
    knee.classes().forEach(k -> byClass.put(k.requestClass(), k));
    assertThat(byClass.get(RequestClass.LISTS).heldUpToRate().orElseThrow())
        .isCloseTo(110.0, within());
    assertThat(byClass.get(RequestClass.LISTS).firstBreach()).map(Step::label).contains("step 3");
    assertThat(byClass.get(RequestClass.READS).heldUpToRate().orElseThrow())
        .isCloseTo(121.0, within());
    assertThat(byClass.get(RequestClass.READS).heldUpToClassRate().orElseThrow())
        .isCloseTo(72.6, within());
    assertThat(byClass.get(RequestClass.READS).firstBreach()).map(Step::label).contains("step 4");
    assertThat(byClass.get(RequestClass.WRITES).firstBreach()).map(Step::label).contains("step 4");
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-6);
  }

  @Test
  void picksTheClassFurthestOverItsObjectiveWhenSeveralBendInTheSameStep() {
    List<StepResult> steps =
        ramp(
            new double[][] {
              {10, 20, 30, 60, 100, 200},
              {110, 190, 30, 60, 100, 200}, // reads: p95 1.1x over
              {10, 20, 30, 60, 100, 200},
            });
    List<StepResult> both = new ArrayList<>(steps);
    StepResult second = steps.get(1);
    Map<RequestClass, ClassStats> classes = new EnumMap<>(second.classes());
    classes.put(RequestClass.WRITES, ClassStats.synthetic(300, 0, 33, 190, 1500)); // 3x over p99
    both.set(1, new StepResult(second.step(), classes));

    Knee knee = finder.find(both);

    assertThat(knee.bentFirst()).contains(RequestClass.WRITES);
    assertThat(knee.lastHeldStep()).map(Step::label).contains("step 1");
  }

  @Test
  void findsNoKneeWhenEverySloHeldToTheHighestRate() {
    List<StepResult> steps =
        ramp(new double[][] {{10, 20, 30, 60, 100, 200}, {12, 25, 35, 70, 120, 250}});

    Knee knee = finder.find(steps);

    assertThat(knee.breached()).isFalse();
    assertThat(knee.bentFirst()).isEmpty();
    assertThat(knee.lastHeldStep()).map(Step::label).contains("step 2");
    assertThat(knee.classes()).allSatisfy(k -> assertThat(k.firstBreach()).isEmpty());
  }

  @Test
  void errorsOverTheBudgetBreakTheSloEvenWhenLatencyIsFine() {
    List<StepResult> steps =
        ramp(new double[][] {{10, 20, 30, 60, 100, 200}, {10, 20, 30, 60, 100, 200}});
    StepResult second = steps.get(1);
    Map<RequestClass, ClassStats> classes = new EnumMap<>(second.classes());
    classes.put(RequestClass.WRITES, ClassStats.synthetic(300, 9, 33, 30, 60)); // 3% errors
    List<StepResult> withErrors = List.of(steps.get(0), new StepResult(second.step(), classes));

    Knee knee = finder.find(withErrors);

    assertThat(knee.bentFirst()).contains(RequestClass.WRITES);
    assertThat(knee.bendReason()).hasValueSatisfying(r -> assertThat(r).contains("errors 3.00%"));
  }

  @Test
  void neverJudgesTheWarmUp() {
    Step warmup = new Step(0, "warm-up", 100, Duration.ZERO, Duration.ofSeconds(5), false);
    StepResult cold =
        new StepResult(
            warmup, Map.of(RequestClass.READS, ClassStats.synthetic(300, 0, 60, 900, 2000)));
    List<StepResult> steps = new ArrayList<>();
    steps.add(cold);
    steps.addAll(ramp(new double[][] {{10, 20, 30, 60, 100, 200}}));

    Knee knee = finder.find(steps);

    assertThat(knee.breached()).isFalse();
    assertThat(finder.judge(cold).get(RequestClass.READS).kind())
        .isEqualTo(Verdict.Kind.NOT_JUDGED);
  }

  @Test
  void measuresAClassWithoutAnSloButNeverLetsItBend() {
    KneeFinder readsOnly =
        new KneeFinder(
            new SloSet(Map.of(RequestClass.READS, new Slo(RequestClass.READS, 100, 200))), 0.01);
    List<StepResult> steps = ramp(new double[][] {{10, 20, 3000, 6000, 100, 200}});

    Knee knee = readsOnly.find(steps);

    assertThat(knee.breached()).isFalse();
    assertThat(readsOnly.judge(steps.get(0)).get(RequestClass.WRITES).kind())
        .isEqualTo(Verdict.Kind.NO_SLO);
  }
}
