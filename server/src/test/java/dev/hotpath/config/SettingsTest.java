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
  void readsTheCacheAndCompressionSettings() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_CACHE_MAX_MB", "64",
                "HOTPATH_CACHE_TTL_MS", "30000",
                "HOTPATH_CACHE_NEGATIVE_TTL_MS", "500",
                "HOTPATH_GZIP_MIN_BYTES", "2048"));
    assertThat(s.cache().maxBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(s.cache().ttl()).hasMillis(30_000);
    assertThat(s.cache().negativeTtl()).hasMillis(500);
    assertThat(s.gzipMinBytes()).isEqualTo(2048);
  }

  @Test
  void theDefaultCacheIsAnEighthOfTheHeapWithAMinuteToLive() {
    Settings s = Settings.defaults();
    long heap = Runtime.getRuntime().maxMemory();
    assertThat(s.cache().maxBytes()).isBetween(16L * 1024 * 1024, Math.max(16L << 20, heap / 8));
    assertThat(s.cache().ttl()).hasSeconds(60);
    assertThat(s.cache().negativeTtl()).hasSeconds(2);
    assertThat(s.gzipMinBytes()).isEqualTo(1024);
  }

  @Test
  void aNegativeTtlLongerThanTheTtlIsRefusedWithTheOtherBadCacheSettings() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_CACHE_MAX_MB", "-1",
                        "HOTPATH_CACHE_TTL_MS", "5000",
                        "HOTPATH_CACHE_NEGATIVE_TTL_MS", "6000",
                        "HOTPATH_GZIP_MIN_BYTES", "-1")))
        .isInstanceOf(Settings.InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_CACHE_MAX_MB=-1 is out of range")
        .hasMessageContaining(
            "HOTPATH_CACHE_NEGATIVE_TTL_MS=6000 must not exceed HOTPATH_CACHE_TTL_MS=5000")
        .hasMessageContaining("HOTPATH_GZIP_MIN_BYTES=-1 is out of range");
  }
}
