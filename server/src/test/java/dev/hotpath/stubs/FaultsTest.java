package dev.hotpath.stubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FaultsTest {
  @Test
  void readsKnobsAndKeepsTheRestHealthy() {
    Faults f =
        Faults.HEALTHY.with("latency=longtail, ms=5, tail=0.02, tail-ms=400, error-rate=0.1");
    assertThat(f.latency()).isEqualTo("longtail");
    assertThat(f.ms()).isEqualTo(5);
    assertThat(f.tail()).isEqualTo(0.02);
    assertThat(f.errorRate()).isEqualTo(0.1);
    assertThat(f.outage()).isEqualTo("none");
    assertThat(Faults.HEALTHY.with("")).isEqualTo(Faults.HEALTHY);
    assertThat(Faults.HEALTHY.with("lost-rate=0.25").lostRate()).isEqualTo(0.25);
  }

  @Test
  void refusesUnknownKnobsAndBadValuesNamingThem() {
    assertThatThrownBy(() -> Faults.HEALTHY.with("speed=3")).hasMessageContaining("speed");
    assertThatThrownBy(() -> Faults.HEALTHY.with("ms=fast")).hasMessageContaining("ms=fast");
    assertThatThrownBy(() -> Faults.HEALTHY.with("error-rate=2"))
        .hasMessageContaining("error-rate");
    assertThatThrownBy(() -> Faults.HEALTHY.with("outage=sometimes"))
        .hasMessageContaining("outage");
    assertThatThrownBy(() -> Faults.HEALTHY.with("lost-rate=-0.1"))
        .hasMessageContaining("lost-rate");
  }

  @Test
  void aLongTailIsMostlyTheBody() {
    Faults f = Faults.HEALTHY.with("latency=longtail,ms=10,sd=1,tail=0.05,tail-ms=500");
    SplittableRandom random = new SplittableRandom(1);
    int slow = 0;
    for (int i = 0; i < 10_000; i++) {
      if (f.drawMillis(random) >= 500) {
        slow++;
      }
    }
    assertThat(slow).isBetween(350, 650);
  }
}
