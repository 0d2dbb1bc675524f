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
    return GroupBlocker.send(api, key, body, more);
  }

  private static CompletableFuture<Api.Response> send(
      Api to, String key, String body, String... more) {
    return GroupBlocker.send(to, key, body, more);
  }

  /** Holds the instance's one transaction connection until closed ({@link GroupBlocker}). */
  private GroupBlocker blocker() throws Exception {
    return new GroupBlocker(server, fx, api);
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
    try (GroupBlocker blocker = blocker()) {
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
      try (GroupBlocker blocker = blocker()) {
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
    try (GroupBlocker blocker = blocker()) {
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
      try (GroupBlocker blocker = new GroupBlocker(server, fx, outside.api())) {
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

  @Test
  void theSameKeyTwiceInOneGroupWithAnotherBodyIsAConflictThenAReuse() throws Exception {
    long customer = fx.customer();
    long product = fx.product(120, 100);
    String key = UUID.randomUUID().toString();
    String body = Fixtures.orderBody(customer, product, 1);
    String otherBody = Fixtures.orderBody(customer, product, 7);
    CompletableFuture<Api.Response> first;
    CompletableFuture<Api.Response> second;
    try (GroupBlocker blocker = blocker()) {
      first = send(key, body);
      blocker.awaitWaiting(1);
      second = send(key, otherBody);
      blocker.awaitWaiting(2);
    }
    Api.Response placed = first.join();
    assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    Api.Response conflict = second.join();
    assertThat(conflict.status()).as(conflict.body()).isEqualTo(409);
    assertThat(conflict.json().get("type").asText()).endsWith("/idempotency-key-in-use");
    assertThat(fx.stock(product)).isEqualTo(99);
    // once the first has ended, the other body under its key is a reuse, the same body a replay
    Api.Response reused = api.post("/v1/orders", otherBody, "Idempotency-Key", key);
    assertThat(reused.status()).as(reused.body()).isEqualTo(422);
    assertThat(reused.json().get("type").asText()).endsWith("/idempotency-key-reused");
    Api.Response replay = api.post("/v1/orders", body, "Idempotency-Key", key);
    assertThat(replay.body()).isEqualTo(placed.body());
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
        .isEqualTo(1);
  }

  @Test
  void anOrderWhoseClientLeftWhileItWaitedIsPlacedOnceAndTheGroupGoesOn() throws Exception {
    long customer = fx.customer();
    long product = fx.product(130, 100);
    long other = fx.customer();
    String key = UUID.randomUUID().toString();
    String body = Fixtures.orderBody(customer, product, 1);
    CompletableFuture<Api.Response> stays;
    try (GroupBlocker blocker = blocker()) {
      try (java.net.Socket socket = new java.net.Socket("localhost", app.port())) {
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String head =
            "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer "
                + api.token().orElseThrow()
                + "\r\nIdempotency-Key: "
                + key
                + "\r\nContent-Length: "
                + bytes.length
                + "\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        blocker.awaitWaiting(1);
      }
      // the client has gone; another order joins the queue
      stays = send(UUID.randomUUID().toString(), Fixtures.orderBody(other, product, 1));
      blocker.awaitWaiting(2);
    }
    Api.Response r = stays.join();
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    // the order of the client that left committed or not; its retry settles it, once
    Api.Response retry = api.post("/v1/orders", body, "Idempotency-Key", key);
    assertThat(retry.status()).as(retry.body()).isEqualTo(201);
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
        .isEqualTo(1);
    assertThat(fx.stock(product)).isEqualTo(98);
    assertThat(OrderGroup.waitingInProcess()).isZero();
  }

  @Test
  void anOrderAnsweredAtItsDeadlineWhileItsGroupRanIsNotCommittedAndTheOthersAre()
      throws Exception {
    long customer = fx.customer();
    long late = fx.customer();
    long product = fx.product(140, 100);
    String key = UUID.randomUUID().toString();
    String lateKey = UUID.randomUUID().toString();
    String lateBody = Fixtures.orderBody(late, product, 1);
    CompletableFuture<Api.Response> onTime;
    Api.Response timedOut;
    try (java.sql.Connection lock = server.database().openJdbc()) {
      lock.setAutoCommit(false);
      try (GroupBlocker blocker = blocker()) {
        try (java.sql.Statement s = lock.createStatement()) {
          // the group's first statement waits for this lock on its product
          s.execute("SELECT 1 FROM products WHERE id = " + product + " FOR UPDATE");
        }
        onTime = send(key, Fixtures.orderBody(customer, product, 1));
        blocker.awaitWaiting(1);
        CompletableFuture<Api.Response> lateOne =
            send(lateKey, lateBody, "Hotpath-Timeout-Ms", "50");
        blocker.awaitWaiting(2);
        blocker.close();
        GroupBlocker.awaitGroupReadWaitingOnALock(server);
        // answered at its deadline (plus the grace) while its group waits on the lock
        timedOut = lateOne.join();
      }
      lock.rollback();
    }
    assertThat(timedOut.status()).as(timedOut.body()).isEqualTo(503);
    assertThat(timedOut.json().get("type").asText()).endsWith("/database-timeout");
    assertThat(timedOut.header("Retry-After")).contains("1");
    // the 503 means nothing was written: no order, no stock taken, its retry places it fresh
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + late))
        .isZero();
    // the other order went again without it; its own deadline is at most 450 ms later (50 ms
    // against the write budget of 500), which a loaded machine may pass too: then it is not
    // written either, and its retry places it
    Api.Response placed = onTime.join();
    if (placed.status() != 201) {
      assertThat(placed.status()).as(placed.body()).isEqualTo(503);
      placed =
          api.post("/v1/orders", Fixtures.orderBody(customer, product, 1), "Idempotency-Key", key);
      assertThat(placed.header("Idempotent-Replayed")).isEmpty();
    }
    assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    assertThat(fx.stock(product)).isEqualTo(99);
    Api.Response retry = api.post("/v1/orders", lateBody, "Idempotency-Key", lateKey);
    assertThat(retry.status()).as(retry.body()).isEqualTo(201);
    assertThat(retry.header("Idempotent-Replayed")).isEmpty();
  }

  @Test
  void aProductDiscontinuedWhileItsGroupWaitsForItsLockRefusesItsOrdersOnly() throws Exception {
    long customer = fx.customer();
    long product = fx.product(150, 100);
    long other = fx.product(160, 100);
    List<CompletableFuture<Api.Response>> ofProduct = new ArrayList<>();
    CompletableFuture<Api.Response> ofOther;
    try (java.sql.Connection change = server.database().openJdbc()) {
      change.setAutoCommit(false);
      try (GroupBlocker blocker = blocker()) {
        try (java.sql.Statement s = change.createStatement()) {
          // uncommitted until the group's first statement waits for the row
          s.execute("UPDATE products SET status = 'discontinued' WHERE id = " + product);
        }
        for (int i = 0; i < 2; i++) {
          ofProduct.add(
              send(UUID.randomUUID().toString(), Fixtures.orderBody(customer, product, 1)));
        }
        ofOther = send(UUID.randomUUID().toString(), Fixtures.orderBody(customer, other, 1));
        blocker.awaitWaiting(3);
      }
      GroupBlocker.awaitGroupReadWaitingOnALock(server);
      change.commit();
    }
    for (CompletableFuture<Api.Response> f : ofProduct) {
      Api.Response r = f.join();
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("type").asText()).endsWith("/unknown-product");
    }
    Api.Response placed = ofOther.join();
    assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    assertThat(fx.stock(product)).isEqualTo(100);
    assertThat(fx.stock(other)).isEqualTo(99);
  }
}
