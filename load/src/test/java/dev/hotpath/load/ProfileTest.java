package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileTest {
  private static Profile.Shape shape(double rate) {
    return new Profile.Shape(
        rate, Duration.ofSeconds(5), Duration.ofSeconds(150), Duration.ofSeconds(60), 0.10, 4, 5);
  }

  @Test
  void rampGrowsTenPercentPerStepAfterAnUnjudgedWarmUp() {
    List<Step> steps = Profile.RAMP.steps(shape(100));

    assertThat(steps).hasSize(5);
    assertThat(steps.get(0).judged()).isFalse();
    assertThat(steps.stream().skip(1).map(Step::rate))
        .containsExactly(100.0, 110.00000000000001, 121.00000000000003, 133.10000000000005);
    assertThat(steps.get(2).offset()).isEqualTo(Duration.ofSeconds(65));
  }

  @Test
  void spikeJumpsToFiveTimesTheRateAtOnceAndComesBack() {
    List<Step> steps = Profile.SPIKE.steps(shape(40));

    assertThat(steps.stream().map(Step::label))
        .containsExactly("warm-up", "base", "spike", "recovery");
    assertThat(steps.stream().map(Step::rate)).containsExactly(40.0, 40.0, 200.0, 40.0);
  }

  @Test
  void soakIsJudgedPerWindowOverExactlyItsDuration() {
    List<Step> steps = Profile.SOAK.steps(shape(10));

    assertThat(steps.stream().skip(1).map(Step::duration))
        .containsExactly(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(30));
    assertThat(steps.get(steps.size() - 1).end()).isEqualTo(Duration.ofSeconds(155));
  }

  @Test
  void smokeIsOneJudgedStepAtTheRate() {
    List<Step> steps = Profile.SMOKE.steps(shape(50));

    assertThat(steps).hasSize(2);
    assertThat(steps.get(1).duration()).isEqualTo(Duration.ofSeconds(150));
    assertThat(steps.get(1).judged()).isTrue();
  }

  @Test
  void rejectsAnUnknownProfileNamingTheKnownOnes() {
    assertThatThrownBy(() -> Profile.fromName("stress"))
        .hasMessageContaining("smoke, ramp, soak, spike");
  }
}
