package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdmissionSettingsTest {
  @Test
  void defaultsLimitEachClientAndAddressAndAdaptTheConcurrencyLimit() {
    AdmissionSettings a = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).admission();
    assertThat(a.rateLimits()).isTrue();
    assertThat(a.rateWindow()).isEqualTo(Duration.ofSeconds(10));
    assertThat(a.perClient()).isEqualTo(10_000);
    assertThat(a.perAddress()).isEqualTo(50_000);
    assertThat(a.global()).isEqualTo(1_000_000);
    assertThat(a.admission()).isTrue();
    assertThat(a.fixedLimit()).isEmpty();
    assertThat(a.minLimit()).isEqualTo(20);
    assertThat(a.startLimit()).isEqualTo(100);
    assertThat(a.maxLimit()).isEqualTo(1000);
    assertThat(a.queue()).isEqualTo(16);
    assertThat(a.queueWait()).isEqualTo(Duration.ofMillis(1));
    assertThat(a.burstWait()).isEqualTo(Duration.ofMillis(10));
    assertThat(a.standing()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void readsEveryAdmissionSetting() {
    AdmissionSettings a =
        Settings.fromEnvironment(
                Map.ofEntries(
                    Map.entry("HOTPATH_AUTH", "off"),
                    Map.entry("HOTPATH_RATE_LIMITS", "off"),
                    Map.entry("HOTPATH_RATE_WINDOW_S", "60"),
                    Map.entry("HOTPATH_RATE_CLIENT", "600"),
                    Map.entry("HOTPATH_RATE_IP", "0"),
                    Map.entry("HOTPATH_RATE_GLOBAL", "6000"),
                    Map.entry("HOTPATH_RATE_KEYS", "5000"),
                    Map.entry("HOTPATH_ADMISSION", "off"),
                    Map.entry("HOTPATH_ADMISSION_LIMIT", "8"),
                    Map.entry("HOTPATH_ADMISSION_QUEUE", "0"),
                    Map.entry("HOTPATH_ADMISSION_QUEUE_WAIT_MS", "250"),
                    Map.entry("HOTPATH_ADMISSION_START_LIMIT", "300"),
                    Map.entry("HOTPATH_ADMISSION_QUEUE_BURST_WAIT_MS", "40"),
                    Map.entry("HOTPATH_ADMISSION_QUEUE_STANDING_MS", "500")))
            .admission();
    assertThat(a.rateLimits()).isFalse();
    assertThat(a.rateWindow()).isEqualTo(Duration.ofSeconds(60));
    assertThat(a.perClient()).isEqualTo(600);
    assertThat(a.perAddress()).isZero();
    assertThat(a.global()).isEqualTo(6000);
    assertThat(a.trackedKeys()).isEqualTo(5000);
    assertThat(a.admission()).isFalse();
    assertThat(a.fixedLimit()).hasValue(8);
    assertThat(a.queue()).isZero();
    assertThat(a.queueWait()).isEqualTo(Duration.ofMillis(250));
    assertThat(a.startLimit()).isEqualTo(300);
    assertThat(a.burstWait()).isEqualTo(Duration.ofMillis(40));
    assertThat(a.standing()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void namesBadAdmissionSettings() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_ADMISSION_LIMIT", "lots",
                        "HOTPATH_ADMISSION_MIN_LIMIT", "500",
                        "HOTPATH_ADMISSION_MAX_LIMIT", "50",
                        "HOTPATH_ADMISSION_QUEUE_WAIT_MS", "0",
                        "HOTPATH_RATE_CLIENT", "-1")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_ADMISSION_LIMIT=lots is not a whole number")
        .hasMessageContaining("HOTPATH_ADMISSION_MIN_LIMIT=500 must not exceed")
        .hasMessageContaining("HOTPATH_ADMISSION_QUEUE_WAIT_MS=0 is out of range")
        .hasMessageContaining("HOTPATH_RATE_CLIENT=-1 is out of range");
  }
}
