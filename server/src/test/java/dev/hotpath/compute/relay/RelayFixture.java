package dev.hotpath.compute.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.config.RelaySettings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.Migrations;
import dev.hotpath.support.KafkaBroker;
import dev.hotpath.support.TestServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;

/**
 * A database of its own (in the suite's PostgreSQL, migrated like the server's), a topic prefix of
 * its own on the suite's Kafka broker, and the checks the relay's tests share.
 */
final class RelayFixture {
  final DatabaseCoordinates database;
  final String prefix;
  final KafkaBroker broker = KafkaBroker.get();

  RelayFixture(String name) {
    TestServer server = TestServer.get();
    server.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    server.execute("CREATE DATABASE " + name);
    DatabaseCoordinates shared = server.database();
    database =
        new DatabaseCoordinates(
            shared.host(), shared.port(), name, shared.user(), shared.password());
    Migrations.migrate(database);
    prefix = name + ".";
  }

  /** Settings for tests: small backoffs and timeouts, so that failures are retried soon. */
  RelaySettings settings(int batch) {
    return new RelaySettings(
        Optional.of(broker.bootstrap()),
        prefix,
        batch,
        Duration.ofMillis(5),
        256 * 1024,
        "lz4",
        Duration.ofMillis(20),
        Duration.ofMillis(50),
        Duration.ofMillis(1_000),
        Duration.ofSeconds(5),
        Duration.ofMillis(200));
  }

  List<String> topics() {
    return List.of(prefix + "orders", prefix + "customers");
  }

  /** The log as the relay must deliver it: event ids per aggregate key, in (txid, id) order. */
  Map<String, List<Long>> logByKey() {
    Map<String, List<Long>> byKey = new LinkedHashMap<>();
    query(
        "SELECT type, aggregate_id, id FROM outbox ORDER BY txid, id",
        rs ->
            byKey
                .computeIfAbsent(
                    topicOf(rs.getString(1)) + "/" + rs.getLong(2), k -> new ArrayList<>())
                .add(rs.getLong(3)));
    return byKey;
  }

  private String topicOf(String type) {
    return prefix + (type.startsWith("order.") ? "orders" : "customers");
  }

  long events() {
    return queryLong("SELECT count(*) FROM outbox");
  }

  /** Events after the relay's position. */
  long behind() {
    return queryLong(
        "SELECT count(*) FROM outbox o, relay_offsets r"
            + " WHERE r.relay = 'kafka' AND (o.txid, o.id) > (r.last_txid, r.last_id)");
  }

  void awaitRelayed() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> behind() == 0);
  }

  /**
   * Reads the topics and checks that every event of the log arrived, in order per key once
   * duplicates are dropped by event id (the relay delivers at least once); returns the records.
   */
  List<ConsumerRecord<String, byte[]>> assertEveryEventArrivedInOrderPerKey() {
    Map<String, List<Long>> expected = logByKey();
    long total = expected.values().stream().mapToLong(List::size).sum();
    List<ConsumerRecord<String, byte[]>> records =
        broker.readAll(topics(), (int) total, Duration.ofSeconds(120));
    Map<String, LinkedHashSet<Long>> arrived = new LinkedHashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      long id = Long.parseLong(header(r, "event_id"));
      arrived.computeIfAbsent(r.topic() + "/" + r.key(), k -> new LinkedHashSet<>()).add(id);
    }
    Map<String, List<Long>> got = new LinkedHashMap<>();
    arrived.forEach((k, ids) -> got.put(k, List.copyOf(ids)));
    assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach((k, ids) -> assertThat(got.get(k)).as("events of %s", k).isEqualTo(ids));
    return records;
  }

  static String header(ConsumerRecord<String, byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    assertThat(h).as("header %s", name).isNotNull();
    return new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Appends {@code n} events of {@code n} customers to the log, as a write would. */
  void appendCustomerEvents(int n) {
    execute(
        "INSERT INTO outbox (type, aggregate_id, payload) SELECT 'customer.updated', g,"
            + " jsonb_build_object('customer_id', g, 'version', 2, 'fields', '{}'::jsonb,"
            + " 'updated_at', now()) FROM generate_series(1, "
            + n
            + ") g");
  }

  void execute(String sql) {
    try (Connection conn = database.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  long queryLong(String sql) {
    long[] out = new long[1];
    query(sql, rs -> out[0] = rs.getLong(1));
    return out[0];
  }

  interface RowHandler {
    void row(ResultSet rs) throws SQLException;
  }

  void query(String sql, RowHandler handler) {
    try (Connection conn = database.openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        handler.row(rs);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
