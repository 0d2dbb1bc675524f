package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.ReadYourWrites;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.PgCluster;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Group commit with read replicas (a real primary and streaming replica, {@link PgCluster}): every
 * order of a group answers with the read-your-writes cookie of its write, as an order placed alone
 * does, so that its client's next read, on any instance, is served by a replica that has replayed
 * it or by the primary. Before, a group's transaction ran on a connection of no request, and its
 * orders' 201s carried no cookie: another instance could serve the client's next read from a
 * replica that had not replayed its order yet (a 404 for an order just acknowledged).
 */
class GroupedOrdersOnReplicasTest {
  private static PgCluster cluster;
  private static App app;
  private static Api api;

  @BeforeAll
  static void start() {
    cluster = PgCluster.start();
    Settings settings =
        Settings.builder(
                TestServer.environment(
                    Map.of(
                        "HOTPATH_EVENT_LOOPS", "1",
                        "HOTPATH_DB_POOL_SIZE", "1",
                        "HOTPATH_ORDER_GROUP_MAX", "16",
                        "HOTPATH_DB_DEADLINE_GRACE_MS", "10000",
                        "HOTPATH_REQUEST_TIMEOUT_MS", "60000",
                        "HOTPATH_DATABASE_URL", cluster.primaryUrl().toString(),
                        "HOTPATH_DATABASE_REPLICA_URLS", cluster.replicaUrl().toString(),
                        "HOTPATH_REPLICA_POLL_MS", "50")))
            .build();
    app = App.start(settings);
    api = Api.of("http://localhost:" + app.port());
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static long product() {
    return cluster.onPrimary(
        "INSERT INTO products (sku, name, category, price_minor, currency, stock) VALUES ('RG-"
            + UUID.randomUUID()
            + "', 'Grouped', 'replicas', 250, 'USD', 100) RETURNING id");
  }

  @Test
  void everyOrderOfAGroupCarriesItsWritesCookie() throws Exception {
    Api.Response c =
        api.post(
            "/v1/customers",
            "{\"email\":\""
                + Fixtures.uniqueEmail("grouped")
                + "\",\"name\":\"Grouped\",\"address\":"
                + Fixtures.ADDRESS
                + "}");
    assertThat(c.status()).as(c.body()).isEqualTo(201);
    long customer = c.json().get("id").asLong();
    long held = product();
    long product = product();
    List<CompletableFuture<Api.Response>> grouped = new ArrayList<>();
    CompletableFuture<Api.Response> first;
    try (Connection lock = DatabaseCoordinates.fromUri(cluster.primaryUrl()).openJdbc()) {
      lock.setAutoCommit(false);
      try (Statement s = lock.createStatement()) {
        s.execute("SELECT 1 FROM products WHERE id = " + held + " FOR UPDATE");
      }
      // this order holds the instance's one transaction connection while it waits for the lock
      first =
          GroupBlocker.send(
              api, UUID.randomUUID().toString(), Fixtures.orderBody(customer, held, 1));
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  cluster.onPrimary(
                          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                              + " AND query LIKE '%FOR UPDATE%'")
                      >= 1);
      for (int i = 0; i < 3; i++) {
        grouped.add(
            GroupBlocker.send(
                api, UUID.randomUUID().toString(), Fixtures.orderBody(customer, product, 1)));
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> OrderGroup.waitingInProcess() >= 3);
      lock.rollback();
    }
    Api.Response alone = first.join();
    assertThat(alone.status()).as(alone.body()).isEqualTo(201);
    assertThat(alone.header("Set-Cookie").orElse("")).startsWith(ReadYourWrites.COOKIE + "=");
    List<Long> ids = new ArrayList<>();
    for (CompletableFuture<Api.Response> f : grouped) {
      Api.Response r = f.join();
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.header("Set-Cookie").orElse(""))
          .as("order %s", r.json().get("id"))
          .startsWith(ReadYourWrites.COOKIE + "=");
      ids.add(r.json().get("id").asLong());
    }
    // they went together
    assertThat(
            cluster.onPrimary(
                "SELECT count(DISTINCT txid) FROM outbox WHERE type = 'order.created'"
                    + " AND aggregate_id IN ("
                    + ids.stream().map(String::valueOf).collect(Collectors.joining(","))
                    + ")"))
        .isEqualTo(1);
  }
}
