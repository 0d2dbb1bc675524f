package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.hotpath.http.Contract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SloArtifactsTest {
  private final SloArtifacts artifacts = new SloArtifacts(Slos.load(), Contract.load().document());

  @Test
  void theCommittedAlertRulesAndDashboardAreUpToDate() throws Exception {
    assertThat(Files.readString(Path.of("..", "ops", "prometheus", "alerts.yaml")))
        .as("ops/prometheus/alerts.yaml is stale: run ./hotpath slo-artifacts --out ops")
        .isEqualTo(artifacts.alertRules());
    assertThat(Files.readString(Path.of("..", "ops", "grafana", "hotpath.json")))
        .as("ops/grafana/hotpath.json is stale: run ./hotpath slo-artifacts --out ops")
        .isEqualTo(artifacts.dashboard());
  }

  @Test
  void alertRulesAreValidYamlWithBurnRateAlertsPerClass() throws Exception {
    var rules = new YAMLMapper().readTree(artifacts.alertRules());
    assertThat(rules.get("groups").size()).isGreaterThanOrEqualTo(6);
    String text = artifacts.alertRules();
    assertThat(text)
        .contains("HotpathLatencyBudgetBurnReadsP99")
        .contains("le=\"0.2\"")
        .contains("[1h]")
        .contains("[5m]")
        .contains("(14.4 * 0.01)")
        .contains("route=~\"/v1/customers/:id|")
        .contains("|/v1/orders/:id|");
  }

  @Test
  void theDashboardIsJsonWithAPanelPerClass() throws Exception {
    var dash = new ObjectMapper().readTree(artifacts.dashboard());
    assertThat(dash.get("panels").size()).isGreaterThanOrEqualTo(9);
    assertThat(artifacts.dashboard())
        .contains("histogram_quantile(0.99")
        .contains("hotpath_db_pool_waiting");
  }
}
