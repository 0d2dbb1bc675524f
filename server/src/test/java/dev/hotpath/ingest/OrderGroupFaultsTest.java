package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.support.Api;
import dev.hotpath.support.CommitCutProxy;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * Faults on group commit's write path ({@link OrderGroup}) over real sockets and the embedded
 * PostgreSQL, on an instance with one event loop and one transaction connection (so orders sent
 * while {@link GroupBlocker} holds it go together in one group), connected through a {@link
 * CommitCutProxy}. The group's connection is lost before its COMMIT (its backend terminated while
 * its first statement waits on a lock), during it (terminated while a deferred trigger holds the
 * COMMIT) and after it (the COMMIT reaches PostgreSQL and commits, its answer is lost). In each
 * case every order answered 201 exists once with its line, its event and its key's saved response,
 * and every order not answered 201 is, on retry with its key, placed once or replayed: never twice,
 * never lost.
 */
class OrderGroupFaultsTest {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(OrderGroupFaultsTest.class);
  private static final TestServer server = TestServer.get();
  private static CommitCutProxy proxy;
  private static App app;
  private static Api api;
  private final Fixtures fx = new Fixtures(server);

  @BeforeAll
  static void startAnInstanceBehindTheProxy() {
    DatabaseCoordinates db = server.database();
    proxy = CommitCutProxy.to(db.host(), db.port());
    Settings settings =
        server.secondInstance(
            Map.of(
                "HOTPATH_DB_POOL_SIZE", "1",
                "HOTPATH_ORDER_GROUP_MAX", "16",
                "HOTPATH_DB_DEADLINE_GRACE_MS", "10000",
                "HOTPATH_REQUEST_TIMEOUT_MS", "60000"));
    java.net.URI url =
        java.net.URI.create(
            "postgresql://"
                + db.user()
                + ":"
                + db.password()
                + "@127.0.0.1:"
                + proxy.port()
                + "/"
                + db.database());
    app =
        App.start(
            settings.toBuilder()
                .databaseUrl(url)
                .grpc(settings.grpc().withPort(TestServer.freePort()))
                .build());
    api = Api.of("http://localhost:" + app.port());
  }

  @AfterAll
  static void stop() {
    app.close();
    proxy.close();
  }

  /** Orders of one product sent under fresh keys starting with {@code prefix}, by key. */
  private static Map<String, CompletableFuture<Api.Response>> sendOrders(
      String prefix, int n, long customer, long product) {
    Map<String, CompletableFuture<Api.Response>> orders = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String key = prefix + "-" + i;
      orders.put(key, GroupBlocker.send(api, key, Fixtures.orderBody(customer, product, 1)));
    }
    return orders;
  }

  /**
   * Every order answered 201 exists once, with its line, its event and its key's saved answer; one
   * answered otherwise, retried with its key, is placed now or replays the one placed; in the end
   * each key has exactly one order of {@code customer}. Returns the answers (the retries' for the
   * orders not answered 201).
   */
  private Map<String, Api.Response> assertEachPlacedOnce(
      Map<String, CompletableFuture<Api.Response>> sent, long customer, long product) {
    Map<String, Api.Response> answers = new LinkedHashMap<>();
    LOG.info(
        "group faults: first answers "
            + sent.values().stream()
                .map(
                    f ->
                        f.join().status()
                            + f.join().header("Idempotent-Replayed").map(x -> "r").orElse(""))
                .toList());
    for (Map.Entry<String, CompletableFuture<Api.Response>> e : sent.entrySet()) {
      Api.Response r = e.getValue().join();
      if (r.status() != 201) {
        // not acknowledged: a 503 (database), or a 409 while the group's transaction still held
        // the key; the problem says so, and the retry settles it
        assertThat(r.status()).as(r.body()).isIn(409, 503);
        assertThat(r.contentType()).startsWith("application/problem+json");
        r =
            api.post(
                "/v1/orders",
                Fixtures.orderBody(customer, product, 1),
                "Idempotency-Key",
                e.getKey());
        assertThat(r.status()).as(r.body()).isEqualTo(201);
      }
      answers.put(e.getKey(), r);
    }
    List<Long> ids = answers.values().stream().map(r -> r.json().get("id").asLong()).toList();
    assertThat(ids).doesNotHaveDuplicates();
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
        .isEqualTo(sent.size());
    assertThat(fx.stock(product)).isEqualTo(1_000 - sent.size());
    for (Map.Entry<String, Api.Response> e : answers.entrySet()) {
      long id = e.getValue().json().get("id").asLong();
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM order_items WHERE customer_id = "
                      + customer
                      + " AND order_id = "
                      + id))
          .isEqualTo(1);
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM outbox WHERE type = 'order.created' AND aggregate_id = "
                      + id))
          .isEqualTo(1);
      assertThat(
              server
                  .queryText(
                      "SELECT status || ' ' || location FROM idempotency_keys WHERE key = '"
                          + e.getKey()
                          + "'")
                  .strip())
          .isEqualTo("201 /v1/orders/" + id);
      // and a retry now replays it
      Api.Response again =
          api.post(
              "/v1/orders",
              Fixtures.orderBody(customer, product, 1),
              "Idempotency-Key",
              e.getKey());
      assertThat(again.status()).isEqualTo(201);
      assertThat(again.header("Idempotent-Replayed")).contains("true");
      assertThat(again.json().get("id").asLong()).isEqualTo(id);
    }
    return answers;
  }

  private static long txids(Map<String, Api.Response> answers) {
    return server.queryLong(
        "SELECT count(DISTINCT txid) FROM outbox WHERE type = 'order.created' AND aggregate_id IN ("
            + answers.values().stream()
                .map(r -> String.valueOf(r.json().get("id").asLong()))
                .collect(Collectors.joining(","))
            + ")");
  }

  @Test
  void aGroupWhoseConnectionIsKilledBeforeItsCommitPlacesEachOrderOnce() throws Exception {
    long customer = fx.customer();
    long product = fx.product(300, 1_000);
    String prefix = "before-commit-" + UUID.randomUUID();
    Map<String, CompletableFuture<Api.Response>> sent;
    try (Connection lock = server.database().openJdbc()) {
      lock.setAutoCommit(false);
      try (GroupBlocker blocker = new GroupBlocker(server, fx, api)) {
        try (Statement s = lock.createStatement()) {
          // the group's first statement will wait for this lock on its product
          s.execute("SELECT 1 FROM products WHERE id = " + product + " FOR UPDATE");
        }
        sent = sendOrders(prefix, 5, customer, product);
        blocker.awaitWaiting(5);
      }
      long pid = GroupBlocker.awaitGroupReadWaitingOnALock(server);
      assertThat(server.queryText("SELECT pg_terminate_backend(" + pid + ")::text").strip())
          .isEqualTo("true");
      lock.rollback();
    }
    Map<String, Api.Response> answers = assertEachPlacedOnce(sent, customer, product);
    // nothing of the group committed: each order was placed alone
    assertThat(txids(answers)).isEqualTo(5);
  }

  @Test
  void aGroupWhoseConnectionIsKilledDuringItsCommitPlacesEachOrderOnce() throws Exception {
    long customer = fx.customer();
    long product = fx.product(300, 1_000);
    String prefix = "during-commit-" + UUID.randomUUID();
    long gate = Math.abs(prefix.hashCode()) + 1L;
    // a deferred trigger on these keys' rows holds their transaction's COMMIT while the test holds
    // an advisory lock
    server.execute(
        "CREATE OR REPLACE FUNCTION pg_temp_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN IF NEW.key LIKE '"
            + prefix
            + "%' THEN PERFORM pg_advisory_xact_lock_shared("
            + gate
            + "); END IF; RETURN NULL; END $$");
    server.execute(
        "CREATE CONSTRAINT TRIGGER order_group_faults_test AFTER INSERT ON idempotency_keys"
            + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pg_temp_hold_commit()");
    Map<String, CompletableFuture<Api.Response>> sent;
    try (Connection lock = server.database().openJdbc()) {
      try (Statement s = lock.createStatement()) {
        s.execute("SELECT pg_advisory_lock(" + gate + ")");
      }
      try (GroupBlocker blocker = new GroupBlocker(server, fx, api)) {
        sent = sendOrders(prefix, 5, customer, product);
        blocker.awaitWaiting(5);
      }
      String committing =
          "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE wait_event = 'advisory'"
              + " AND query = 'COMMIT'";
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> server.queryLong(committing) > 0);
      long pid = server.queryLong(committing);
      assertThat(server.queryText("SELECT pg_terminate_backend(" + pid + ")::text").strip())
          .isEqualTo("true");
      try (Statement s = lock.createStatement()) {
        s.execute("SELECT pg_advisory_unlock(" + gate + ")");
      }
      Map<String, Api.Response> answers = assertEachPlacedOnce(sent, customer, product);
      assertThat(txids(answers)).isEqualTo(5);
    } finally {
      server.execute("DROP TRIGGER order_group_faults_test ON idempotency_keys");
      server.execute("DROP FUNCTION pg_temp_hold_commit()");
    }
  }

  @Test
  void aGroupWhoseCommitsAnswerIsLostReplaysEachOrder() throws Exception {
    long customer = fx.customer();
    long product = fx.product(300, 1_000);
    String prefix = "after-commit-" + UUID.randomUUID();
    Map<String, CompletableFuture<Api.Response>> sent;
    try (GroupBlocker blocker = new GroupBlocker(server, fx, api)) {
      sent = sendOrders(prefix, 5, customer, product);
      blocker.awaitWaiting(5);
      proxy.cutCommitAfter(prefix);
    }
    assertThat(proxy.awaitCutCommitted(60)).as("the group's COMMIT reached PostgreSQL").isTrue();
    Map<String, Api.Response> answers = assertEachPlacedOnce(sent, customer, product);
    // the group committed once; its orders, placed again alone, found their keys' answers
    assertThat(txids(answers)).isEqualTo(1);
    List<String> replayed = new ArrayList<>();
    sent.forEach(
        (key, r) -> {
          if (r.join().status() == 201) {
            replayed.add(key + " " + r.join().header("Idempotent-Replayed").orElse("-"));
          }
        });
    assertThat(replayed).allMatch(s -> s.endsWith(" true"));
  }
}
