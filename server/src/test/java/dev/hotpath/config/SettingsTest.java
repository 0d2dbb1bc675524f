package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void defaultsAreUsable() {
    Settings s = Settings.defaults();
    assertThat(s.port()).isEqualTo(8080);
    assertThat(s.databaseUrl()).isEmpty();
    assertThat(s.bodyLimit()).isEqualTo(1024 * 1024);
    assertThat(s.poolSize()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void readsEverySetting() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_PORT", "9090",
                "HOTPATH_DATABASE_URL", "postgresql://app:secret@db.internal:6543/shop",
                "HOTPATH_DB_POOL_SIZE", "12",
                "HOTPATH_DATA_DIR", "/var/lib/hotpath",
                "HOTPATH_CURSOR_SECRET", "a-long-enough-cursor-secret"));
    assertThat(s.port()).isEqualTo(9090);
    assertThat(s.databaseUrl()).get().hasToString("postgresql://app:secret@db.internal:6543/shop");
    assertThat(s.poolSize()).isEqualTo(12);
    assertThat(s.dataDir()).hasToString("/var/lib/hotpath");
  }

  @Test
  void namesEveryBadSettingInOneMessage() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_PORT", "http",
                        "HOTPATH_DB_POOL_SIZE", "0",
                        "HOTPATH_DATABASE_URL", "mysql://x/y",
                        "HOTPATH_CURSOR_SECRET", "short")))
        .isInstanceOf(Settings.InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_PORT=http is not a whole number")
        .hasMessageContaining("HOTPATH_DB_POOL_SIZE=0 is out of range")
        .hasMessageContaining("HOTPATH_DATABASE_URL must look like postgresql://")
        .hasMessageContaining("HOTPATH_CURSOR_SECRET must be at least 16 characters");
  }

  @Test
  void readsTheComputeBoundsAndRefusesABackoffBaseAboveItsCap() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_IDEMPOTENCY_TTL_S", "3600",
                "HOTPATH_JOB_WORKERS", "8",
                "HOTPATH_OUTBOX_BATCH", "500",
                "HOTPATH_IMPORT_CHUNK_LINES", "2000"));
    assertThat(s.compute().idempotencyTtl()).hasHours(1);
    assertThat(s.compute().jobWorkers()).isEqualTo(8);
    assertThat(s.compute().outboxBatch()).isEqualTo(500);
    assertThat(s.compute().importChunkLines()).isEqualTo(2000);
    assertThat(Settings.defaults().compute().idempotencyTtl()).hasHours(24);
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_JOB_BACKOFF_BASE_MS", "5000",
                        "HOTPATH_JOB_BACKOFF_CAP_MS", "1000",
                        "HOTPATH_JOB_WORKERS", "0")))
        .isInstanceOf(Settings.InvalidSettingsException.class)
        .hasMessageContaining(
            "HOTPATH_JOB_BACKOFF_BASE_MS must not exceed HOTPATH_JOB_BACKOFF_CAP_MS")
        .hasMessageContaining("HOTPATH_JOB_WORKERS=0 is out of range");
  }
}
