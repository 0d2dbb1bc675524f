package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Orders placed through the API are announced to the response caches by the {@code
 * cache_invalidation} consumer of the log, not by a {@code NOTIFY} in the order's transaction (see
 * {@link OrderInvalidations}). Listens on the real channel of the suite's database.
 */
class OrderInvalidationsTest {
  private static final TestServer server = TestServer.get();
  private final Fixtures fx = new Fixtures(server);

  /** A LISTEN connection on the cache channel, and what it has heard. */
  private static final class Listener implements AutoCloseable {
    private final Connection conn;
    private final List<String> heard = new ArrayList<>();

    Listener() throws SQLException {
      conn = server.database().openJdbc();
      try (Statement st = conn.createStatement()) {
        st.execute("LISTEN hotpath_cache");
      }
    }

    /** Everything heard so far, once {@code enough} holds of it or {@code within} has passed. */
    List<String> until(Predicate<List<String>> enough, Duration within) throws SQLException {
      long deadline = System.nanoTime() + within.toNanos();
      PGConnection pg = conn.unwrap(PGConnection.class);
      while (!enough.test(heard) && System.nanoTime() < deadline) {
        PGNotification[] got = pg.getNotifications(200);
        if (got != null) {
          Arrays.stream(got).map(PGNotification::getParameter).forEach(heard::add);
        }
      }
      return List.copyOf(heard);
    }

    @Override
    public void close() throws SQLException {
      conn.close();
    }
  }

  private static Set<String> tokens(String message) {
    return new HashSet<>(Arrays.asList(message.substring(message.indexOf('|') + 1).split(",")));
  }

  private static Predicate<String> naming(String token) {
    return m -> tokens(m).contains(token);
  }

  @Test
  void anOrderIsAnnouncedFromTheLogAfterItsCommitUnderItsWritersOrigin() throws SQLException {
    long customer = fx.customer();
    long product = fx.product(250, 10);
    String origin = server.app().cache().origin();
    try (Listener listener = new Listener();
        Connection late = server.database().openJdbc()) {
      // a transaction with an id holds the log's horizon back: no consumer passes it while it runs
      late.setAutoCommit(false);
      try (Statement st = late.createStatement()) {
        st.execute("SELECT pg_current_xact_id()");
      }
      long order = fx.order(customer, product, 2);
      assertThat(listener.until(messages -> false, Duration.ofSeconds(1)))
          .as("the order's own transaction sent no message")
          .noneMatch(naming("o:" + order));
      late.rollback();

      List<String> heard =
          listener.until(
              messages -> messages.stream().anyMatch(naming("o:" + order)), Duration.ofSeconds(60));
      List<String> about = heard.stream().filter(naming("o:" + order)).toList();
      assertThat(about).as("heard: %s", heard).hasSize(1);
      assertThat(about.get(0)).startsWith(origin + "|");
      assertThat(tokens(about.get(0))).contains("co:" + customer, "p:" + product);
    }
  }

  /**
   * The consumer's statement on one event naming 600 products with the longest ids (tokens of 21
   * characters), in a scratch database of its own: other consumers must not see such an event.
   */
  @Test
  void aLargeBatchIsSplitIntoMessagesThatNotifyAccepts() throws SQLException {
    long base = 9_000_000_000_000_000_000L;
    StringBuilder items = new StringBuilder("[");
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < 600; i++) {
      items.append(i == 0 ? "" : ",").append("{\"product_id\":").append(base + i).append('}');
      expected.add("p:" + (base + i));
    }
    items.append(']');
    expected.add("o:" + (base - 1));
    expected.add("co:" + (base - 2));
    String scratch = "invalidations_" + System.nanoTime();
    server.execute("CREATE DATABASE " + scratch);
    DatabaseCoordinates db = server.database();
    try (Connection conn =
            new DatabaseCoordinates(db.host(), db.port(), scratch, db.user(), db.password())
                .openJdbc();
        Statement st = conn.createStatement()) {
      st.execute(
          "CREATE TABLE outbox (id bigserial, txid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
              + " type text NOT NULL, payload jsonb NOT NULL, cache_origin text)");
      st.execute(
          "INSERT INTO outbox (type, payload) VALUES ('order.created', '{\"order_id\":"
              + (base - 1)
              + ",\"customer_id\":"
              + (base - 2)
              + ",\"source\":\"api\",\"items\":"
              + items
              + "}'), ('order.created', '{\"order_id\":1,\"customer_id\":1,\"source\":\"seed\","
              + "\"items\":[{\"product_id\":1}]}')");
      st.execute(
          "INSERT INTO outbox (type, payload, cache_origin) VALUES ('order.created',"
              + " '{\"order_id\":5,\"customer_id\":6,\"source\":\"api\","
              + "\"items\":[{\"product_id\":7},{\"product_id\":8}]}', '5eed')");
      st.execute("LISTEN hotpath_cache");
      st.execute("PREPARE apply(text, bigint, text, bigint) AS " + OrderInvalidations.APPLY);
      try (var rs = st.executeQuery("SELECT max(txid)::text, max(id) FROM outbox")) {
        rs.next();
        st.execute("EXECUTE apply('0', 0, '" + rs.getString(1) + "', " + rs.getLong(2) + ")");
      }
      PGNotification[] got = conn.unwrap(PGConnection.class).getNotifications(10_000);
      assertThat(got).isNotNull();
      List<String> messages = Arrays.stream(got).map(PGNotification::getParameter).toList();
      assertThat(messages)
          .as("the writer's origin on its own message")
          .contains("5eed|co:6,o:5,p:7,p:8");
      Set<String> announced = new HashSet<>();
      for (String message : messages.stream().filter(m -> !m.startsWith("5eed|")).toList()) {
        assertThat(message).startsWith("log|");
        assertThat(tokens(message)).hasSizeLessThanOrEqualTo(OrderInvalidations.TOKENS_PER_MESSAGE);
        assertThat(message.getBytes(StandardCharsets.UTF_8).length).isLessThan(8000);
        announced.addAll(tokens(message));
      }
      assertThat(messages).hasSize(4);
      assertThat(announced).as("every owner, and nothing of the seeded order").isEqualTo(expected);
    } finally {
      server.execute("DROP DATABASE " + scratch + " WITH (FORCE)");
    }
  }
}
