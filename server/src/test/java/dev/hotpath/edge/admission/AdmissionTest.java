package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
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

  @Test
  void saturatedWindowsDoNotTeachTheLimitTheirLatency() {
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    KneeLimit knee = new KneeLimit(100, 20, 1000, Admission.RTT_TOLERANCE);
    Limit gradient2 =
        Gradient2Limit.newBuilder()
            .initialLimit(100)
            .minLimit(20)
            .maxConcurrency(1000)
            .rttTolerance(Admission.RTT_TOLERANCE)
            .build();
    // with room: 2 ms with 20 in flight, the server's latency unloaded
    for (int i = 0; i < 50; i++) {
      knee.sample(2 * ms, 20, false);
      gradient2.onSample(0, 2 * ms, 20, false);
    }
    assertThat(knee.level()).isEqualTo(2.0 * ms);
    // sustained overload: a server that serves 10,000 requests a second whatever is in flight, so
    // a window's latency is what is in flight over that rate, the limit always full; 1,000
    // windows (about two minutes of a two-loop server's windows)
    for (int i = 0; i < 1000; i++) {
      int k = knee.getLimit();
      knee.sample(Math.max(2 * ms, k * ms / 10), k, true);
      int g = gradient2.getLimit();
      gradient2.onSample(0, Math.max(2 * ms, g * ms / 10), g, false);
    }
    // the level stays the unloaded one, and the limit near the knee: about twice the unloaded
    // latency's worth in flight
    assertThat(knee.level()).isEqualTo(2.0 * ms);
    assertThat(knee.getLimit()).isBetween(30, 60);
    // Gradient2 averages the overloaded windows into its level, and its limit climbs past them
    assertThat(gradient2.getLimit()).isGreaterThan(300);
    // saturated but within the tolerance of the level: the limit grows
    int before = knee.getLimit();
    for (int i = 0; i < 20; i++) {
      knee.sample(3 * ms, knee.getLimit(), true);
    }
    assertThat(knee.getLimit()).isGreaterThan(before);
    // latency far under the level brings the level down, saturated or not
    for (int i = 0; i < 20; i++) {
      knee.sample(ms / 2, knee.getLimit(), true);
    }
    assertThat(knee.level()).isLessThan(2.0 * ms);
  }

  @Test
  void atItsFloorTheLimitLearnsASlowerServer() {
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    KneeLimit knee = new KneeLimit(100, 20, 1000, Admission.RTT_TOLERANCE);
    for (int i = 0; i < 50; i++) {
      knee.sample(2 * ms, 20, false);
    }
    // the server is four times slower for good, whatever is in flight, and stays saturated: the
    // limit falls to its floor, and there the level learns the new latency (as far as the floor
    // needs: once the limit leaves the floor, it is frozen again)
    boolean floored = false;
    for (int i = 0; i < 1000; i++) {
      knee.sample(8 * ms, knee.getLimit(), true);
      floored |= knee.getLimit() == 20;
    }
    assertThat(floored).isTrue();
    assertThat(knee.level()).isGreaterThan(3.0 * ms);
    assertThat(knee.getLimit()).isGreaterThanOrEqualTo(20);
  }
}
