package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecorderTest {
  private final List<Step> steps =
      List.of(
          new Step(0, "warm-up", 10, Duration.ZERO, Duration.ofSeconds(5), false),
          new Step(1, "step 1", 10, Duration.ofSeconds(5), Duration.ofSeconds(10), true));

  @Test
  void putsARequestInTheStepItStartedInHoweverLateItAnswers() {
    Recorder recorder = new Recorder(steps);
    recorder.markStart(1_000_000);

    recorder.record(RequestClass.READS, 1_000_000 + 4_999, 30_000, 200);
    recorder.record(RequestClass.READS, 1_000_000 + 5_000, 5, 200);

    assertThat(recorder.result(0).classes().get(RequestClass.READS).count()).isEqualTo(1);
    assertThat(recorder.result(0).classes().get(RequestClass.READS).max()).isEqualTo(30_000);
    assertThat(recorder.result(1).classes().get(RequestClass.READS).count()).isEqualTo(1);
  }

  @Test
  void countsBusinessRefusalsAsAnsweredAndErrorsApart() {
    Recorder recorder = new Recorder(steps);
    recorder.markStart(0);
    for (int i = 1; i <= 100; i++) {
      recorder.record(RequestClass.WRITES, 6_000, i, i <= 90 ? 201 : 422);
    }
    recorder.record(RequestClass.WRITES, 6_000, 9_999, 500);
    recorder.record(RequestClass.WRITES, 6_000, 9_999, 0);

    ClassStats writes = recorder.result(1).classes().get(RequestClass.WRITES);

    assertThat(writes.count()).isEqualTo(102);
    assertThat(writes.ok()).isEqualTo(90);
    assertThat(writes.business()).isEqualTo(10);
    assertThat(writes.errors()).isEqualTo(2);
    assertThat(writes.p95()).isEqualTo(95);
    assertThat(writes.p99()).isEqualTo(99);
    assertThat(writes.statuses()).containsEntry(422, 10L).containsEntry(0, 1L);
    assertThat(writes.rate()).isEqualTo(10.2);
  }

  @Test
  void anchorsTheStepsAtTheFirstArrival() {
    Recorder recorder = new Recorder(steps);
    recorder.markStart(1_000);
    recorder.arrived(1_300);
    recorder.arrived(9_999);

    recorder.record(RequestClass.READS, 1_300 + 4_999, 1, 200);

    assertThat(recorder.startMillis()).isEqualTo(1_300);
    assertThat(recorder.result(0).classes()).containsKey(RequestClass.READS);
  }

  @Test
  void leavesOutStepsThatSentNothing() {
    Recorder recorder = new Recorder(steps);
    recorder.markStart(0);
    recorder.record(RequestClass.LISTS, 100, 3, 200);

    assertThat(recorder.results()).extracting(r -> r.step().label()).containsExactly("warm-up");
  }
}
