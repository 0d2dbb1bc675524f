package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {
  @Test
  void redisIsOffUnlessAUrlIsNamed() {
    RedisSettings r = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).redis();
    assertThat(r.enabled()).isFalse();
    assertThat(r)
        .isEqualTo(
            new RedisSettings(
                Optional.empty(),
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                Duration.ofMillis(2000),
                Duration.ofMillis(300),
                Duration.ofMillis(300_000)));
  }

  @Test
  void readsEveryRedisSetting() {
    RedisSettings r =
        Settings.fromEnvironment(
                Map.of(
                    "HOTPATH_AUTH", "off",
                    "HOTPATH_REDIS_URL", "redis://cache.internal:6380/2",
                    "HOTPATH_REDIS_TIMEOUT_MS", "50",
                    "HOTPATH_REDIS_PROBE_MS", "250",
                    "HOTPATH_REDIS_LEASE_MS", "1000",
                    "HOTPATH_REDIS_LEASE_WAIT_MS", "1000",
                    "HOTPATH_REDIS_TTL_MS", "60000"))
            .redis();
    assertThat(r)
        .isEqualTo(
            new RedisSettings(
                Optional.of(URI.create("redis://cache.internal:6380/2")),
                Duration.ofMillis(50),
                Duration.ofMillis(250),
                Duration.ofMillis(1000),
                Duration.ofMillis(1000),
                Duration.ofMillis(60_000)));
    assertThat(r.enabled()).isTrue();
  }

  @Test
  void badRedisSettingsStopStartUpNamingEachOne() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_REDIS_URL", "http://cache:6379",
                        "HOTPATH_REDIS_TIMEOUT_MS", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_REDIS_URL must look like redis://host:6379")
        .hasMessageContaining("HOTPATH_REDIS_TIMEOUT_MS=0");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_REDIS_LEASE_MS", "100",
                        "HOTPATH_REDIS_LEASE_WAIT_MS", "200")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining(
            "HOTPATH_REDIS_LEASE_WAIT_MS=200 must not exceed HOTPATH_REDIS_LEASE_MS=100");
  }

  @Test
  void theReadmeSettingsTableNamesEveryRedisSettingWithItsDefault() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme)
        .contains("| `HOTPATH_REDIS_URL` | — |")
        .contains("| `HOTPATH_REDIS_TIMEOUT_MS` | 100 |")
        .contains("| `HOTPATH_REDIS_PROBE_MS` | 500 |")
        .contains("| `HOTPATH_REDIS_LEASE_MS` / `HOTPATH_REDIS_LEASE_WAIT_MS` | 2000 / 300 |")
        .contains("| `HOTPATH_REDIS_TTL_MS` | 300000 |");
  }
}
