package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.config.AdmissionSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The concurrency limit: thresholds by criticality, and the adaptive limit's response to latency.
 */
class AdmissionTest {
  private static AdmissionSettings settings(OptionalInt fixed, int min, int max) {
    return new AdmissionSettings(
        true,
        Duration.ofSeconds(10),
        0,
        0,
        0,
        100,
        true,
        fixed,
        min,
        min,
        max,
        16,
        Duration.ofMillis(1),
        Duration.ofMillis(10),
        Duration.ofMillis(100),
        Duration.ZERO);
  }

  private static Admission fixed(int limit) {
    return new Admission(settings(OptionalInt.of(limit), 1, 1000), new SimpleMeterRegistry());
  }

  @Test
  void lessCriticalClassesAreRefusedFirstAsRequestsPileUp() {
    Admission admission = fixed(8);
    // low: half the limit, normal: three quarters, high: all of it
    for (int i = 1; i <= 4; i++) {
      assertThat(admission.tryAcquire(Criticality.LOW)).isEqualTo(i);
    }
    assertThat(admission.tryAcquire(Criticality.LOW)).isZero();
    assertThat(admission.tryAcquire(Criticality.NORMAL)).isEqualTo(5);
    assertThat(admission.tryAcquire(Criticality.NORMAL)).isEqualTo(6);
    assertThat(admission.tryAcquire(Criticality.NORMAL)).isZero();
    assertThat(admission.tryAcquire(Criticality.HIGH)).isEqualTo(7);
    assertThat(admission.tryAcquire(Criticality.HIGH)).isEqualTo(8);
    assertThat(admission.tryAcquire(Criticality.HIGH)).isZero();
    assertThat(admission.inFlight()).isEqualTo(8);
    admission.release();
    assertThat(admission.hasRoom(Criticality.HIGH)).isTrue();
    assertThat(admission.hasRoom(Criticality.NORMAL)).isFalse();
  }

  @Test
  void everyClassButCriticalHasAThresholdOfAtLeastOne() {
    assertThat(Criticality.LOW.threshold(1)).isEqualTo(1);
    assertThat(Criticality.NORMAL.threshold(1)).isEqualTo(1);
    assertThat(Criticality.HIGH.threshold(1)).isEqualTo(1);
    assertThat(Criticality.CRITICAL.threshold(1)).isEqualTo(Integer.MAX_VALUE);
    assertThat(Criticality.of("normal")).isEqualTo(Criticality.NORMAL);
  }

  @Test
  void theAdaptiveLimitShrinksWhenLatencyRisesAndNeverBelowItsFloor() {
    Admission admission =
        new Admission(settings(OptionalInt.empty(), 20, 400), new SimpleMeterRegistry());
    assertThat(admission.limit()).isEqualTo(20);
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    // steady latency with the limit in use: it grows
    for (int i = 0; i < 200; i++) {
      admission.sample(0, 2 * ms, admission.limit(), false);
    }
    int grown = admission.limit();
    assertThat(grown).isGreaterThan(20);
    // latency four times its long-term level: queueing; the limit comes down
    for (int i = 0; i < 20; i++) {
      admission.sample(0, 8 * ms, admission.limit(), false);
    }
    assertThat(admission.limit()).isLessThan(grown).isGreaterThanOrEqualTo(20);
  }
}
