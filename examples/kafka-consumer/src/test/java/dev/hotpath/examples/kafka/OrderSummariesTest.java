package dev.hotpath.examples.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.Progress;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.support.Api;
import dev.hotpath.support.KafkaBroker;
import dev.hotpath.support.TempDirs;
import dev.hotpath.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The proof that the events carry enough: a hotpath server with the relay on (its own embedded
 * PostgreSQL, a real in-JVM Kafka broker), seeded history plus orders placed through the API; the
 * example rebuilds {@code customer_order_summary} from the topic alone and gets exactly the
 * server's own read model.
 */
class OrderSummariesTest {
  private static final String RELAY_BEHIND =
      "SELECT count(*) FROM outbox o, relay_offsets r"
          + " WHERE r.relay = 'kafka' AND (o.txid, o.id) > (r.last_txid, r.last_id)";
  private static final String SUMMARY_BEHIND =
      "SELECT count(*) FROM consumer_offsets c, (SELECT txid, id FROM outbox"
          + " ORDER BY txid DESC, id DESC LIMIT 1) e WHERE c.consumer = 'customer_order_summary'"
          + " AND (c.last_txid, c.last_id) < (e.txid, e.id)";

  @Test
  void rebuildsTheServersOrderSummaryFromTheTopicAlone() throws Exception {
    KafkaBroker broker = KafkaBroker.get();
    Path dir = Files.createTempDirectory("hotpath-example-");
    Settings settings =
        Settings.builder(
                TestServer.environment(
                    Map.of(
                        "HOTPATH_EVENT_LOOPS", "1",
                        "HOTPATH_DB_POOL_SIZE", "4",
                        "HOTPATH_OUTBOX_POLL_MS", "20",
                        "HOTPATH_SHUTDOWN_GRACE_MS", "2000",
                        "HOTPATH_ACCESS_LOG", "off",
                        "HOTPATH_KAFKA_BOOTSTRAP", broker.bootstrap(),
                        "HOTPATH_KAFKA_TOPIC_PREFIX", "example.")))
            .dataDir(dir)
            .build();
    App.Database db = App.openDatabase(settings);
    DatabaseCoordinates database = db.coordinates();
    DataGenerator.seed(database, new SeedPlan(300, 30, 3_000, 13), Progress.NONE);
    App app = App.start(settings, db);
    try {
      Api api = Api.of("http://localhost:" + app.port());
      long customer = queryLong(database, "SELECT min(id) FROM customers");
      long product = queryLong(database, "SELECT id FROM products ORDER BY stock DESC LIMIT 1");
      for (int i = 0; i < 5; i++) {
        Api.Response r =
            api.post(
                "/v1/orders",
                "{\"customer_id\":"
                    + customer
                    + ",\"items\":[{\"product_id\":"
                    + product
                    + ",\"quantity\":1}]}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  queryLong(database, RELAY_BEHIND) == 0
                      && queryLong(database, SUMMARY_BEHIND) == 0);

      Map<String, String> fromTopic = new TreeMap<>();
      OrderSummaries.rebuild(broker.bootstrap(), "example.", Duration.ofMinutes(2))
          .forEach(
              (k, s) ->
                  fromTopic.put(
                      k.customerId() + "/" + k.currency(),
                      s.orderCount() + " " + s.totalSpentMinor() + " " + s.lastOrderAt()));
      Map<String, String> readModel = new TreeMap<>();
      try (Connection conn = database.openJdbc();
          Statement st = conn.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT customer_id, currency, order_count, total_spent_minor,"
                      + " to_char(last_order_at AT TIME ZONE 'UTC',"
                      + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM customer_order_summary")) {
        while (rs.next()) {
          String last = rs.getString(5);
          readModel.put(
              rs.getLong(1) + "/" + rs.getString(2).trim(),
              rs.getLong(3)
                  + " "
                  + rs.getLong(4)
                  + " "
                  + (last == null ? null : OffsetDateTime.parse(last).toInstant()));
        }
      }
      assertThat(readModel).hasSizeGreaterThan(100);
      assertThat(fromTopic).isEqualTo(readModel);
    } finally {
      app.close();
      TempDirs.delete(dir);
    }
  }

  private static long queryLong(DatabaseCoordinates database, String sql) throws SQLException {
    try (Connection conn = database.openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
