package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatabaseSettingsTest {
  private static DatabaseSettings of(Map<String, String> env) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.put("HOTPATH_AUTH", "off");
    return Settings.fromEnvironment(all).database();
  }

  @Test
  void byDefaultTransactionsGetSixteenConnectionsAndReadsTwoPerCore() {
    int cores = Runtime.getRuntime().availableProcessors();
    DatabaseSettings d = of(Map.of());
    assertThat(d.poolSize()).isEqualTo(Math.max(16, 2 * cores));
    assertThat(d.readPoolSize()).isEqualTo(Math.max(4, 2 * cores));
    assertThat(DatabaseSettings.defaultTransactionPool(2)).isEqualTo(16);
    assertThat(DatabaseSettings.defaultTransactionPool(8)).isEqualTo(16);
    assertThat(DatabaseSettings.defaultTransactionPool(12)).isEqualTo(24);
  }

  @Test
  void aPoolSizeThatIsSetSizesTheReadSideTooUnlessItsOwnIsSet() {
    assertThat(of(Map.of("HOTPATH_DB_POOL_SIZE", "4")).readPoolSize()).isEqualTo(4);
    DatabaseSettings both =
        of(Map.of("HOTPATH_DB_POOL_SIZE", "4", "HOTPATH_DB_READ_POOL_SIZE", "2"));
    assertThat(both.poolSize()).isEqualTo(4);
    assertThat(both.readPoolSize()).isEqualTo(2);
    assertThat(of(Map.of("HOTPATH_DB_READ_POOL_SIZE", "6")).readPoolSize()).isEqualTo(6);
  }

  @Test
  void ordersGoInTransactionsOfTheirOwnUnlessAGroupBoundIsSet() {
    assertThat(of(Map.of()).orderGroupMax()).isEqualTo(16);
    assertThat(of(Map.of("HOTPATH_ORDER_GROUP_MAX", "1")).orderGroupMax()).isEqualTo(1);
    assertThat(of(Map.of("HOTPATH_ORDER_GROUP_MAX", "16")).orderGroupMax()).isEqualTo(16);
    assertThatThrownBy(() -> of(Map.of("HOTPATH_ORDER_GROUP_MAX", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_ORDER_GROUP_MAX");
    assertThatThrownBy(() -> of(Map.of("HOTPATH_ORDER_GROUP_MAX", "65")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_ORDER_GROUP_MAX");
  }

  @Test
  void refusesAnEmptyReadSide() {
    assertThatThrownBy(() -> of(Map.of("HOTPATH_DB_READ_POOL_SIZE", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_DB_READ_POOL_SIZE");
  }

  @Test
  void theReadmeSettingsTableNamesBothPoolsWithTheirDefaults() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme)
        .contains("| `HOTPATH_DB_POOL_SIZE` | 16, or 2 × cores if more |")
        .contains(
            "| `HOTPATH_DB_READ_POOL_SIZE` | `HOTPATH_DB_POOL_SIZE` when that is set, else 2 × cores"
                + " (≥ 4) |");
  }
}
