package dev.hotpath.outside;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RatioBudgetTest {
  @Test
  void grantsExtrasUpToTheRatioOfCalls() {
    RatioBudget budget = new RatioBudget(0.1, Duration.ofMinutes(1));
    int granted = 0;
    for (int i = 0; i < 1000; i++) {
      budget.call();
      if (budget.tryExtra()) {
        granted++;
      }
    }
    assertThat(granted).isBetween(99, 100);
    assertThat(budget.window()).containsExactly(1000, granted);
  }

  @Test
  void grantsNothingWithoutCalls() {
    RatioBudget budget = new RatioBudget(0.1, Duration.ofMinutes(1));
    assertThat(budget.tryExtra()).isFalse();
  }

  @Test
  void aZeroRatioGrantsNothing() {
    RatioBudget budget = new RatioBudget(0, Duration.ofMinutes(1));
    for (int i = 0; i < 100; i++) {
      budget.call();
    }
    assertThat(budget.tryExtra()).isFalse();
  }
}
