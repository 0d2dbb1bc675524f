package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessLogSettingsTest {
  @Test
  void theAccessLogIsBoundedAndSampledByDefault() {
    AccessLogSettings s = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).accessLog();

    assertThat(s.target()).isEqualTo("data/access.log");
    assertThat(s.maxBytes()).isEqualTo(512L << 20);
    assertThat(s.maxFiles()).isEqualTo(5);
    assertThat(s.maxAge()).isEqualTo(Duration.ofDays(7));
    assertThat(s.sampleAbove()).isEqualTo(100);
    assertThat(s.sampleOneIn()).isEqualTo(100);
  }

  @Test
  void readsEveryAccessLogSetting() {
    AccessLogSettings s =
        Settings.fromEnvironment(
                Map.of(
                    "HOTPATH_AUTH", "off",
                    "HOTPATH_ACCESS_LOG", "logs/a.log",
                    "HOTPATH_ACCESS_LOG_MAX_BYTES", "10000000000",
                    "HOTPATH_ACCESS_LOG_MAX_FILES", "10",
                    "HOTPATH_ACCESS_LOG_MAX_AGE_H", "24",
                    "HOTPATH_ACCESS_LOG_SAMPLE_ABOVE", "0",
                    "HOTPATH_ACCESS_LOG_SAMPLE_ONE_IN", "1"))
            .accessLog();

    assertThat(s)
        .isEqualTo(
            new AccessLogSettings("logs/a.log", 10_000_000_000L, 10, Duration.ofHours(24), 0, 1));
  }

  @Test
  void namesEveryBadAccessLogSetting() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_ACCESS_LOG_MAX_BYTES", "2000",
                        "HOTPATH_ACCESS_LOG_MAX_FILES", "4",
                        "HOTPATH_ACCESS_LOG_SAMPLE_ONE_IN", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining(
            "HOTPATH_ACCESS_LOG_MAX_BYTES=2000 must be at least 1024 bytes per file (4096)")
        .hasMessageContaining("HOTPATH_ACCESS_LOG_SAMPLE_ONE_IN=0 is out of range");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_ACCESS_LOG_MAX_BYTES", "lots")))
        .hasMessageContaining("HOTPATH_ACCESS_LOG_MAX_BYTES=lots is not a whole number of bytes");
  }
}
