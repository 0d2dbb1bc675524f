package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.outside.Service;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.Outside;
import dev.hotpath.support.QueryBudgets;
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
 * Group commit ({@link OrderGroup}) over real sockets and the embedded PostgreSQL: an instance with
 * one event loop and one transaction connection, so that orders arriving while one holds it wait
 * and go together. The connection is held by an order whose product a test transaction has locked;
 * the orders sent meanwhile form the group when the lock is released. Orders of one transaction
 * share their outbox events' {@code txid}, which tells a group from orders placed alone.
 */
class OrderGroupTest {
  private static final TestServer server = TestServer.get();
  private static App app;
  private static Api api;
  private final Fixtures fx = new Fixtures(server);

  @BeforeAll
  static void startAnInstanceWithOneTransactionConnection() {
    Settings settings =
        server.secondInstance(
            Map.of(
                "HOTPATH_DB_POOL_SIZE", "1",
                "HOTPATH_ORDER_GROUP_MAX", "16",
                "HOTPATH_DB_DEADLINE_GRACE_MS", "5000",
                "HOTPATH_REQUEST_TIMEOUT_MS", "60000"));
    app =
        App.start(
            settings.toBuilder().grpc(settings.grpc().withPort(TestServer.freePort())).build());
    api = Api.of("http://localhost:" + app.port());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static CompletableFuture<Api.Response> send(String key, String body, String... more) {
    return send(api, key, body, more);
  }

  private static CompletableFuture<Api.Response> send(
      Api to, String key, String body, String... more) {
    String[] headers = new String[2 + more.length];
    headers[0] = "Idempotency-Key";
    headers[1] = key;
    System.arraycopy(more, 0, headers, 2, more.length);
    return CompletableFuture.supplyAsync(() -> to.post("/v1/orders", body, headers));
  }

  /** Holds the instance's one transaction connection until the returned lock is released. */
  private final class Blocker implements AutoCloseable {
    final Connection jdbc;
    final CompletableFuture<Api.Response> order;

    Blocker() throws Exception {
      this(app, api);
    }

    Blocker(App on, Api to) throws Exception {
      long product = fx.product(100, 1_000);
      jdbc = server.database().openJdbc();
      jdbc.setAutoCommit(false);
      try (Statement s = jdbc.createStatement()) {
        s.execute("SELECT 1 FROM products WHERE id = " + product + " FOR UPDATE");
      }
      order = send(to, UUID.randomUUID().toString(), Fixtures.orderBody(fx.customer(), product, 1));
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  server.queryLong(
                          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                              + " AND query LIKE '%FOR UPDATE%' AND pid <> "
                              + pid())
                      >= 1);
    }

    private long pid() throws Exception {
      try (Statement s = jdbc.createStatement();
          var rs = s.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        return rs.getLong(1);
      }
    }

    /** Waits until {@code n} orders wait for a group. */
    void awaitWaiting(int n) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> OrderGroup.waitingInProcess() >= n);
    }

    @Override
    public void close() throws Exception {
      jdbc.rollback();
      jdbc.close();
      order.join();
    }
  }

  /** The value of the sample {@code name} (with its labels) in a Prometheus text page. */
  private static double metric(String page, String name) {
    return page.lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in /metrics"));
  }

  private static long txids(List<Long> orders) {
    return server.queryLong(
        "SELECT count(DISTINCT txid) FROM outbox WHERE type = 'order.created' AND aggregate_id IN ("
            + orders.stream().map(String::valueOf).collect(Collectors.joining(","))
            + ")");
  }

  @Test
  void ordersThatWaitedCommitTogetherAndEachKeepsItsOwnAnswer() throws Exception {
    long customer = fx.customer();
    long product = fx.product(250, 5);
    long other = fx.product(400, 100);
    String done = UUID.randomUUID().toString();
    String doneBody = Fixtures.orderBody(customer, other, 1);
    Api.Response first = api.post("/v1/orders", doneBody, "Idempotency-Key", done);
    assertThat(first.status()).as(first.body()).isEqualTo(201);
    String done2 = UUID.randomUUID().toString();
    Api.Response second = api.post("/v1/orders", doneBody, "Idempotency-Key", done2);
    assertThat(second.status()).as(second.body()).isEqualTo(201);
    String twice = UUID.randomUUID().toString();
    String twiceBody = Fixtures.orderBody(customer, other, 2);
    List<CompletableFuture<Api.Response>> stocked = new ArrayList<>();
    CompletableFuture<Api.Response> unknown;
    CompletableFuture<Api.Response> replay;
    CompletableFuture<Api.Response> reused;
    List<CompletableFuture<Api.Response>> sameKey = new ArrayList<>();
    String unknownKey = UUID.randomUUID().toString();
    String unknownBody = Fixtures.orderBody(999_999_999L, other, 1);
    try (Blocker blocker = new Blocker()) {
      for (int i = 0; i < 3; i++) {
        stocked.add(send(UUID.randomUUID().toString(), Fixtures.orderBody(customer, product, 2)));
      }
      unknown = send(unknownKey, unknownBody);
      replay = send(done, doneBody);
      reused = send(done2, Fixtures.orderBody(customer, other, 3));
      sameKey.add(send(twice, twiceBody));
      sameKey.add(send(twice, twiceBody));
      blocker.awaitWaiting(8);
    }
    // two of three fit the stock of 5 (2 + 2), counted against what the group's earlier took
    List<Api.Response> answers = stocked.stream().map(CompletableFuture::join).toList();
    assertThat(answers.stream().map(Api.Response::status).sorted().toList())
        .as(answers.stream().map(Api.Response::body).toList().toString())
        .containsExactly(201, 201, 422);
    Api.Response refused =
        answers.stream().filter(r -> r.status() == 422).findFirst().orElseThrow();
    assertThat(refused.json().get("type").asText()).endsWith("/out-of-stock");
    assertThat(fx.stock(product)).isEqualTo(1);
    // the placed ones (and the one of the duplicated key) committed in one transaction
    List<Long> placed = new ArrayList<>();
    answers.stream()
        .filter(r -> r.status() == 201)
        .forEach(r -> placed.add(r.json().get("id").asLong()));
    List<Api.Response> same = sameKey.stream().map(CompletableFuture::join).toList();
    assertThat(same.stream().map(Api.Response::status).sorted().toList()).containsExactly(201, 409);
    same.stream()
        .filter(r -> r.status() == 201)
        .forEach(r -> placed.add(r.json().get("id").asLong()));
    assertThat(txids(placed)).isEqualTo(1);
    // each placed order's Server-Timing counts its group's statements: BEGIN + claims, customers
    // and products; orders, lines and events; saved responses + COMMIT (not the replay's lookup)
    for (Api.Response a : answers) {
      if (a.status() == 201) {
        String timing = a.header("Server-Timing").orElseThrow();
        assertThat(QueryBudgets.queries(timing)).as(timing).hasValue(5);
      }
    }
    // the group is seen in the group sizes: a transaction of more than one order
    String metrics = api.get("/metrics").body();
    assertThat(metric(metrics, "hotpath_order_group_size_count"))
        .as(metrics)
        .isGreaterThan(metric(metrics, "hotpath_order_group_size_bucket{le=\"1.0\"}"));
    // refusals and replays per order, as without groups
    Api.Response u = unknown.join();
    assertThat(u.status()).as(u.body()).isEqualTo(422);
    Api.Response r = replay.join();
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.body()).isEqualTo(first.body());
    assertThat(r.header("Idempotent-Replayed")).contains("true");
    assertThat(reused.join().status()).isEqualTo(422);
    assertThat(reused.join().json().get("type").asText()).endsWith("/idempotency-key-reused");
    // a refusal is stored under its key: its retry replays it
    Api.Response again = api.post("/v1/orders", unknownBody, "Idempotency-Key", unknownKey);
    assertThat(again.status()).isEqualTo(422);
    assertThat(again.body()).isEqualTo(u.body());
    assertThat(again.header("Idempotent-Replayed")).contains("true");
    // each order's event and lines
    for (long id : placed) {
      assertThat(server.queryLong("SELECT count(*) FROM order_items WHERE order_id = " + id))
          .isEqualTo(1);
      assertThat(api.get("/v1/orders/" + id).status()).isEqualTo(200);
    }
  }

  @Test
  void aGroupWhoseTransactionFailsPlacesEachOfItsOrdersAlone() throws Exception {
    long customer = fx.customer();
    long product = fx.product(300, 100);
    // a group's insert of several orders fails (counted by a sequence, which no rollback undoes);
    // one order's passes
    server.execute("CREATE SEQUENCE order_group_test_failures");
    server.execute(
        "CREATE OR REPLACE FUNCTION pg_temp_no_groups() RETURNS trigger LANGUAGE plpgsql AS $$"
            + " BEGIN IF (SELECT count(*) FROM new_orders WHERE customer_id = "
            + customer
            + ") > 1 THEN PERFORM nextval('order_group_test_failures');"
            + " RAISE EXCEPTION 'no groups'; END IF; RETURN NULL; END $$");
    server.execute(
        "CREATE TRIGGER order_group_test AFTER INSERT ON orders REFERENCING NEW TABLE AS new_orders"
            + " FOR EACH STATEMENT EXECUTE FUNCTION pg_temp_no_groups()");
    try {
      List<CompletableFuture<Api.Response>> orders = new ArrayList<>();
      try (Blocker blocker = new Blocker()) {
        for (int i = 0; i < 4; i++) {
          orders.add(send(UUID.randomUUID().toString(), Fixtures.orderBody(customer, product, 1)));
        }
        blocker.awaitWaiting(4);
      }
      List<Long> placed = new ArrayList<>();
      for (CompletableFuture<Api.Response> o : orders) {
        Api.Response a = o.join();
        assertThat(a.status()).as(a.body()).isEqualTo(201);
        assertThat(a.header("Idempotent-Replayed")).isEmpty();
        placed.add(a.json().get("id").asLong());
      }
      assertThat(
              server.queryLong(
                  "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
                      + " FROM order_group_test_failures"))
          .as("groups whose transaction failed")
          .isPositive();
      assertThat(txids(placed)).isEqualTo(4);
      assertThat(fx.stock(product)).isEqualTo(96);
    } finally {
      server.execute("DROP TRIGGER order_group_test ON orders");
      server.execute("DROP FUNCTION pg_temp_no_groups()");
      server.execute("DROP SEQUENCE order_group_test_failures");
    }
  }

  @Test
  void anOrderAnsweredAtItsDeadlineWhileItWaitedIsNotCommitted() throws Exception {
    long customer = fx.customer();
    long product = fx.product(500, 10);
    String key = UUID.randomUUID().toString();
    String body = Fixtures.orderBody(customer, product, 1);
    Api.Response late;
    try (Blocker blocker = new Blocker()) {
      late = send(key, body, "Hotpath-Timeout-Ms", "50").join();
    }
    assertThat(late.status()).as(late.body()).isEqualTo(503);
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
        .isZero();
    assertThat(fx.stock(product)).isEqualTo(10);
    // nothing was stored under its key: the retry places it
    Api.Response retry = api.post("/v1/orders", body, "Idempotency-Key", key);
    assertThat(retry.status()).as(retry.body()).isEqualTo(201);
    assertThat(retry.header("Idempotent-Replayed")).isEmpty();
  }

  @Test
  void ordersPendingPaymentInOneGroupEachGetTheirOwnAuthorizationJob() throws Exception {
    Outside outside =
        Outside.start(
            Map.of(
                "HOTPATH_EVENT_LOOPS", "1",
                "HOTPATH_DB_POOL_SIZE", "1",
                "HOTPATH_ORDER_GROUP_MAX", "16",
                "HOTPATH_DB_DEADLINE_GRACE_MS", "5000",
                "HOTPATH_REQUEST_TIMEOUT_MS", "60000"));
    try {
      long customer = fx.customer();
      long product = fx.product(450, 100);
      outside.faults(Service.PAYMENTS, "outage=refuse");
      List<CompletableFuture<Api.Response>> orders = new ArrayList<>();
      try (Blocker blocker = new Blocker(outside.app(), outside.api())) {
        for (int i = 0; i < 4; i++) {
          orders.add(
              send(
                  outside.api(),
                  UUID.randomUUID().toString(),
                  Fixtures.orderBody(customer, product, 1)));
        }
        blocker.awaitWaiting(4);
      }
      List<Long> placed = new ArrayList<>();
      for (CompletableFuture<Api.Response> o : orders) {
        Api.Response r = o.join();
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("status").asText()).isEqualTo("payment_pending");
        placed.add(r.json().get("id").asLong());
      }
      assertThat(txids(placed)).isEqualTo(1);
      String ids = placed.stream().map(String::valueOf).collect(Collectors.joining(","));
      // one authorization job per order, naming it
      assertThat(
              server.queryLong(
                  "SELECT count(DISTINCT payload->>'order_id') FROM jobs WHERE kind ="
                      + " 'payment.authorize' AND (payload->>'order_id')::bigint IN ("
                      + ids
                      + ")"))
          .isEqualTo(4);
      outside.faults(Service.PAYMENTS, "");
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  server.queryLong(
                          "SELECT count(*) FROM orders WHERE status = 'paid' AND id IN ("
                              + ids
                              + ")")
                      == 4);
    } finally {
      outside.faults(Service.PAYMENTS, "");
      outside.dependency(Service.PAYMENTS).breaker().reset();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  server.queryLong(
                          "SELECT count(*) FROM jobs WHERE kind LIKE 'payment.%'"
                              + " AND status IN ('queued', 'running')")
                      == 0);
      outside.close();
    }
  }
}
