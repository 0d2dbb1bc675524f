package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.store.ReadFloor;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ReplicaSettingsTest {
  @Test
  void replicasAreOffUnlessNamed() {
    ReplicaSettings r = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).replicas();
    assertThat(r.enabled()).isFalse();
    assertThat(r.poll()).isEqualTo(Duration.ofMillis(100));
    assertThat(r.maxLag()).isEqualTo(Duration.ofSeconds(5));
    assertThat(r.maxLagBytes()).isEqualTo(16L * 1024 * 1024);
    assertThat(r.cookieAge()).isEqualTo(Duration.ofSeconds(300));
  }

  @Test
  void readsEveryReplicaSetting() {
    ReplicaSettings r =
        Settings.fromEnvironment(
                Map.of(
                    "HOTPATH_AUTH", "off",
                    "HOTPATH_DATABASE_REPLICA_URLS",
                        "postgresql://u:p@r1:5432/hotpath, postgres://u:p@r2:5433/hotpath",
                    "HOTPATH_REPLICA_POLL_MS", "50",
                    "HOTPATH_REPLICA_MAX_LAG_MS", "2000",
                    "HOTPATH_REPLICA_MAX_LAG_BYTES", "1048576",
                    "HOTPATH_REPLICA_COOKIE_SECONDS", "60"))
            .replicas();
    assertThat(r)
        .isEqualTo(
            new ReplicaSettings(
                List.of(
                    URI.create("postgresql://u:p@r1:5432/hotpath"),
                    URI.create("postgres://u:p@r2:5433/hotpath")),
                Duration.ofMillis(50),
                Duration.ofMillis(2000),
                1_048_576,
                Duration.ofSeconds(60)));
  }

  @Test
  void aBadReplicaSettingStopsStartUpNamingIt() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_DATABASE_REPLICA_URLS", "mysql://r1/hotpath",
                        "HOTPATH_REPLICA_POLL_MS", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_DATABASE_REPLICA_URLS")
        .hasMessageContaining("HOTPATH_REPLICA_POLL_MS");
  }

  @Test
  void walPositionsReadAndPrintAsPostgresqlDoes() {
    assertThat(ReadFloor.parse("16/B374D848")).isEqualTo(OptionalLong.of(0x16_B374D848L));
    assertThat(ReadFloor.format(0x16_B374D848L)).isEqualTo("16/B374D848");
    assertThat(ReadFloor.parse("0/0")).isEqualTo(OptionalLong.of(0));
    for (String bad :
        List.of("", "/", "16/", "/1", "x/1", "-1/0", "1/+2", "123456789/0", "1/123456789")) {
      assertThat(ReadFloor.parse(bad)).as(bad).isEmpty();
    }
  }
}
