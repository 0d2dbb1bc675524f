package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RelaySettingsTest {
  @Test
  void theRelayIsOffUnlessABrokerIsNamed() {
    Settings s = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    assertThat(s.relay().enabled()).isFalse();
    assertThat(RelaySettings.off().enabled()).isFalse();
    assertThat(s.relay().compression()).isEqualTo("lz4");
    assertThat(s.relay().topicPrefix()).isEqualTo("hotpath.");
  }

  @Test
  void readsEveryRelaySetting() {
    RelaySettings r =
        Settings.fromEnvironment(
                Map.ofEntries(
                    Map.entry("HOTPATH_AUTH", "off"),
                    Map.entry("HOTPATH_KAFKA_BOOTSTRAP", "k1:9092,k2:9092"),
                    Map.entry("HOTPATH_KAFKA_TOPIC_PREFIX", "shop-"),
                    Map.entry("HOTPATH_KAFKA_COMPRESSION", "zstd"),
                    Map.entry("HOTPATH_KAFKA_LINGER_MS", "20"),
                    Map.entry("HOTPATH_KAFKA_BATCH_BYTES", "65536"),
                    Map.entry("HOTPATH_RELAY_BATCH", "500"),
                    Map.entry("HOTPATH_RELAY_POLL_MS", "10"),
                    Map.entry("HOTPATH_RELAY_BACKOFF_BASE_MS", "100"),
                    Map.entry("HOTPATH_RELAY_BACKOFF_CAP_MS", "5000"),
                    Map.entry("HOTPATH_RELAY_DELIVERY_TIMEOUT_MS", "8000"),
                    Map.entry("HOTPATH_RELAY_LOCK_RETRY_MS", "300")))
            .relay();
    assertThat(r)
        .isEqualTo(
            new RelaySettings(
                Optional.of("k1:9092,k2:9092"),
                "shop-",
                500,
                Duration.ofMillis(20),
                65536,
                "zstd",
                Duration.ofMillis(10),
                Duration.ofMillis(100),
                Duration.ofMillis(5000),
                Duration.ofMillis(8000),
                Duration.ofMillis(300)));
    assertThat(r.enabled()).isTrue();
  }

  @Test
  void theReadmeSettingsTableNamesEveryRelaySettingWithItsDefault() throws IOException {
    RelaySettings d = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).relay();
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme)
        .contains("| `HOTPATH_KAFKA_BOOTSTRAP` | — |")
        .contains("| `HOTPATH_KAFKA_TOPIC_PREFIX` | `" + d.topicPrefix() + "` |")
        .contains(
            "| `HOTPATH_KAFKA_COMPRESSION` / `HOTPATH_KAFKA_LINGER_MS` / `HOTPATH_KAFKA_BATCH_BYTES`"
                + " | `"
                + d.compression()
                + "` / "
                + d.linger().toMillis()
                + " / "
                + d.batchBytes()
                + " |")
        .contains(
            "| `HOTPATH_RELAY_BATCH` / `HOTPATH_RELAY_POLL_MS` | "
                + d.batch()
                + " / "
                + d.poll().toMillis()
                + " |")
        .contains(
            "| `HOTPATH_RELAY_BACKOFF_BASE_MS` / `HOTPATH_RELAY_BACKOFF_CAP_MS` | "
                + d.backoffBase().toMillis()
                + " / "
                + d.backoffCap().toMillis()
                + " |")
        .contains(
            "| `HOTPATH_RELAY_DELIVERY_TIMEOUT_MS` | " + d.deliveryTimeout().toMillis() + " |")
        .contains("| `HOTPATH_RELAY_LOCK_RETRY_MS` | " + d.lockRetry().toMillis() + " |");
    // the poll the cost measurement chose (README, "Events"): one Kafka transaction per 250 ms
    assertThat(d.poll()).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void badRelaySettingsStopStartUpNamingEachOne() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_KAFKA_COMPRESSION", "brotli",
                        "HOTPATH_KAFKA_TOPIC_PREFIX", "a b",
                        "HOTPATH_RELAY_BACKOFF_BASE_MS", "9000",
                        "HOTPATH_RELAY_BACKOFF_CAP_MS", "1000")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_KAFKA_COMPRESSION=brotli")
        .hasMessageContaining("HOTPATH_KAFKA_TOPIC_PREFIX=a b")
        .hasMessageContaining("HOTPATH_RELAY_BACKOFF_BASE_MS must not exceed");
  }

  @Test
  void theConstructorRefusesWhatTheProducerCouldNotUse() {
    assertThatThrownBy(() -> settings("snappy2", 1)).hasMessageContaining("snappy2");
    assertThatThrownBy(() -> settings("lz4", 0)).hasMessageContaining("batch must be at least 1");
  }

  private static RelaySettings settings(String compression, int batch) {
    return new RelaySettings(
        Optional.of("k:9092"),
        "p.",
        batch,
        Duration.ZERO,
        1024,
        compression,
        Duration.ofMillis(1),
        Duration.ofMillis(1),
        Duration.ofMillis(2),
        Duration.ofSeconds(1),
        Duration.ofMillis(10));
  }
}
