package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetentionSettingsTest {
  @Test
  void byDefaultNothingOfTheOutboxGoesAndMaintenanceRunsEveryFiveMinutes() {
    RetentionSettings r = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).retention();
    assertThat(r)
        .isEqualTo(
            new RetentionSettings(3, 0, Duration.ZERO, Duration.ofDays(7), Duration.ofMinutes(5)));
    assertThat(r.dropsOutbox()).isFalse();
    assertThat(r.purgesOutboxEvents()).isFalse();
  }

  @Test
  void theReadmeSettingsTableNamesEveryRetentionSettingWithItsDefault() throws IOException {
    RetentionSettings d = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).retention();
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme)
        .contains("| `HOTPATH_PARTITIONS_AHEAD` | " + d.partitionsAhead() + " |")
        .contains("| `HOTPATH_OUTBOX_RETAIN_MONTHS` | " + d.outboxMonths() + " |")
        .contains("| `HOTPATH_OUTBOX_RETAIN_S` | " + d.outboxEvents().toSeconds() + " |")
        .contains("| `HOTPATH_JOBS_RETAIN_S` | " + d.finishedJobs().toSeconds() + " |")
        .contains(
            "| `HOTPATH_MAINTENANCE_INTERVAL_S` | " + d.maintenanceInterval().toSeconds() + " |");
  }

  @Test
  void readsTheShortSettingsOfASoak() {
    RetentionSettings r =
        Settings.fromEnvironment(
                Map.of(
                    "HOTPATH_AUTH", "off",
                    "HOTPATH_OUTBOX_RETAIN_S", "60",
                    "HOTPATH_MAINTENANCE_INTERVAL_S", "10",
                    "HOTPATH_JOBS_RETAIN_S", "120"))
            .retention();
    assertThat(r.outboxEvents()).isEqualTo(Duration.ofSeconds(60));
    assertThat(r.purgesOutboxEvents()).isTrue();
    assertThat(r.maintenanceInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(r.finishedJobs()).isEqualTo(Duration.ofSeconds(120));
  }

  @Test
  void refusesAZeroIntervalAndANegativeRetention() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_MAINTENANCE_INTERVAL_S", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_MAINTENANCE_INTERVAL_S");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_OUTBOX_RETAIN_S", "-1")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_OUTBOX_RETAIN_S");
    assertThatThrownBy(
            () ->
                new RetentionSettings(
                    3, 0, Duration.ofSeconds(-1), Duration.ofDays(1), Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
