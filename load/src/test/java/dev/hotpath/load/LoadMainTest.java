package dev.hotpath.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LoadMainTest {
  private static LoadPlan plan(String... args) {
    LoadMain main = new LoadMain();
    new CommandLine(main).parseArgs(args);
    return main.plan(List.of("garden"));
  }

  private static final String SLO = System.getProperty("hotpath.slo", "../ops/slo.yaml");

  @Test
  void smokeDefaultsToTwentySecondsAtTwentyRequestsPerSecondOverTheDemoIds() {
    LoadPlan plan = plan("smoke", "--slo", SLO);

    assertThat(plan.steps()).hasSize(2);
    assertThat(plan.steps().get(1).rate()).isEqualTo(20.0);
    assertThat(plan.steps().get(1).duration()).isEqualTo(Duration.ofSeconds(20));
    assertThat(plan.ids()).isEqualTo(IdSpace.DEMO);
    assertThat(plan.mix()).isEqualTo(Mix.DEFAULT);
  }

  @Test
  void soakLongerThanADayIsRefused() {
    assertThatThrownBy(() -> plan("soak", "--duration", "25h", "--slo", SLO))
        .hasMessageContaining("at most 24h");
  }

  @Test
  void rampStepsFollowTheFlags() {
    LoadPlan plan =
        plan(
            "ramp",
            "--rate",
            "200",
            "--step",
            "10s",
            "--max-steps",
            "3",
            "--warmup",
            "0s",
            "--slo",
            SLO);

    assertThat(plan.steps().stream().map(Step::rate)).hasSize(3).first().isEqualTo(200.0);
    assertThat(plan.duration()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aMissingSloFileIsNamed() {
    assertThatThrownBy(() -> plan("smoke", "--slo", "no/such/slo.yaml"))
        .hasMessageContaining("no/such/slo.yaml");
  }
}
