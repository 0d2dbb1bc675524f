package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.App;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /health/ready} said ready about 10 s before the read models had caught up (issue 15): an
 * instance is ready once every outbox consumer is within {@code HOTPATH_READY_MAX_LAG_MS} of the
 * log, and stays ready after (a lag later is a metric: read models are shared, and a lag must not
 * take every instance out of the balancer at once).
 */
class ProjectionLagTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api().anonymous();
  private final Fixtures fx = new Fixtures(server);

  @Test
  void anInstanceStartedWhileTheReadModelsAreBehindIsReadyOnlyOnceTheyCaughtUp() throws Exception {
    server.awaitConsumers();
    long order;
    try (Connection held = server.database().openJdbc()) {
      // a transaction with an id holds the consumers' horizon: no event after it can be applied
      held.setAutoCommit(false);
      String xid;
      try (var rs = held.createStatement().executeQuery("SELECT pg_current_xact_id()::text")) {
        rs.next();
        xid = rs.getString(1);
      }
      order = fx.order(fx.customer(), fx.product(100, 10), 1);
      // the events the consumers cannot reach yet, an hour old: far beyond the default bound
      server.execute(
          "UPDATE outbox SET created_at = now() - interval '1 hour' WHERE txid > '"
              + xid
              + "'::xid8");
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM outbox WHERE type = 'order.created' AND aggregate_id = "
                      + order
                      + " AND created_at < now() - interval '59 minutes'"))
          .isEqualTo(1);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> lagSeconds(api, "customer_order_summary") >= 3600);
      // the running instance caught up long ago: a lag now is a metric, not an outage
      assertThat(api.get("/health/ready").status()).isEqualTo(200);

      App fresh = App.start(server.secondInstance(Map.of()));
      try {
        Api second = Api.of("http://localhost:" + fresh.port()).anonymous();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> second.get("/health/ready").status() == 503);
        Api.Response behind = second.get("/health/ready");
        assertThat(behind.json().get("checks").get("projections").asText()).isEqualTo("behind");
        assertThat(behind.json().get("checks").get("database").asText()).isEqualTo("up");
        held.rollback();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> second.get("/health/ready").status() == 200);
        assertThat(second.get("/health/ready").json().get("checks").get("projections").asText())
            .isEqualTo("caught-up");
      } finally {
        fresh.close();
      }
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> lagSeconds(api, "customer_order_summary") < 3600);
  }

  private static double lagSeconds(Api api, String consumer) {
    String prefix = "hotpath_projection_lag_seconds{consumer=\"" + consumer + "\"";
    return api.get("/metrics")
        .body()
        .lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .orElseThrow(() -> new AssertionError("no " + prefix + " in /metrics"));
  }
}
