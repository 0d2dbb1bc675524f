package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.outside.Service;
import dev.hotpath.support.Api;
import dev.hotpath.support.BlockedLoops;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.Outside;
import dev.hotpath.support.TestServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Placing orders with a payments provider: paid at once, declined, or pending while it is down. */
class OrderPaymentsTest {
  private static Outside outside;
  private final TestServer server = TestServer.get();
  private final Fixtures fx = new Fixtures(server);

  @BeforeAll
  static void start() {
    outside = Outside.start(Map.of());
  }

  @AfterAll
  static void stop() {
    outside.close();
  }

  @AfterEach
  void healthy() {
    outside.faults(Service.PAYMENTS, "");
    // each test starts with a closed breaker, whatever the one before it left
    outside.dependency(Service.PAYMENTS).breaker().reset();
    // and with no payment job of the one before it still changing orders and stock
    awaitCount(
        "SELECT count(*) FROM jobs WHERE kind LIKE 'payment.%'"
            + " AND status IN ('queued', 'running')",
        0);
  }

  private Api.Response order(long customer, long product, int quantity) {
    return outside.api().post("/v1/orders", Fixtures.orderBody(customer, product, quantity));
  }

  private long authorizations() {
    return outside.stub(Service.PAYMENTS).stats().get("authorizations").asLong();
  }

  private Api.Response cancel(long order) {
    return outside
        .api()
        .send(
            outside
                .api()
                .request("/v1/orders/" + order + "/cancel")
                .header("If-Match", "*")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
  }

  /** A paid order; returns its body. */
  private JsonNode paidOrder() {
    Api.Response r = order(fx.customer(), fx.product(880, 10), 1);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("status").asText()).isEqualTo("paid");
    return r.json();
  }

  private long voidJobs(long order) {
    return server.queryLong(
        "SELECT count(*) FROM jobs WHERE kind = 'payment.void' AND payload->>'order_id' = '"
            + order
            + "'");
  }

  /** Waits (30 s at most) until {@code sql}, a count, finds {@code expected}. */
  private void awaitCount(String sql, long expected) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> server.queryLong(sql) == expected);
  }

  /** Reads the order through the API (and so through the cache) until its payment is voided. */
  private JsonNode awaitVoided(long order) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> outside.api().get("/v1/orders/" + order).json(),
            o -> o.get("payment").get("status").asText().equals("voided"));
  }

  @Test
  void anOrderThePaymentsProviderAuthorizesIsPaidAtOnce() {
    long customer = fx.customer();
    long product = fx.product(1250, 10);
    long before = authorizations();
    Api.Response r = order(customer, product, 2);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    JsonNode order = r.json();
    assertThat(order.get("status").asText()).isEqualTo("paid");
    assertThat(order.get("total_minor").asLong()).isEqualTo(2500);
    assertThat(order.get("payment").get("status").asText()).isEqualTo("authorized");
    assertThat(order.get("payment").get("authorization_id").asText()).startsWith("auth_");
    assertThat(authorizations()).isEqualTo(before + 1);
    assertThat(fx.stock(product)).isEqualTo(8);
    assertThat(outside.api().get("/v1/orders/" + order.get("id").asLong()).json()).isEqualTo(order);
  }

  @Test
  void thePaymentIsQuotedFromTheProductRowNotFromItsCachedRepresentation() {
    long customer = fx.customer();
    long product = fx.product(1000, 10);
    // cached at 1000 on the instance with the provider, then repriced behind the cache's back
    assertThat(outside.api().get("/v1/products/" + product).json().get("price_minor").asLong())
        .isEqualTo(1000);
    server.execute("UPDATE products SET price_minor = 1300 WHERE id = " + product);
    assertThat(outside.api().get("/v1/products/" + product).json().get("price_minor").asLong())
        .as("the cached representation still shows the old price")
        .isEqualTo(1000);
    long before = authorizations();
    Api.Response r = order(customer, product, 2);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    JsonNode order = r.json();
    // quoted with the row's price, the authorization matches the total the transaction locked
    assertThat(order.get("total_minor").asLong()).isEqualTo(2600);
    assertThat(order.get("status").asText()).isEqualTo("paid");
    // one authorization, of the right amount: no second one for a changed total, nothing to void
    assertThat(authorizations()).isEqualTo(before + 1);
  }

  @Test
  void aRetryReplaysTheOrderAndTheProviderHoldsOneAuthorization() {
    long customer = fx.customer();
    long product = fx.product(300, 10);
    String key = UUID.randomUUID().toString();
    Api.Response first =
        outside
            .api()
            .post("/v1/orders", Fixtures.orderBody(customer, product, 1), "Idempotency-Key", key);
    long after = authorizations();
    Api.Response again =
        outside
            .api()
            .post("/v1/orders", Fixtures.orderBody(customer, product, 1), "Idempotency-Key", key);
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).contains("true");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(authorizations()).as("the same provider key finds the same one").isEqualTo(after);
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
        .isEqualTo(1);
  }

  @Test
  void aDeclinedPaymentRefusesTheOrderAndWritesNothing() {
    long customer = fx.customer();
    long product = fx.product(999, 10);
    outside.faults(Service.PAYMENTS, "decline-rate=1");
    String counts = fx.rowCounts();
    Api.Response r = order(customer, product, 1);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.json().get("type").asText()).endsWith("/payment-declined");
    assertThat(fx.rowCounts()).isEqualTo(counts);
  }

  @Test
  void whilePaymentsIsDownOrdersArePendingAndArePaidWhenItIsBack() {
    long customer = fx.customer();
    long product = fx.product(450, 100);
    long blockedBefore = BlockedLoops.count();
    outside.faults(Service.PAYMENTS, "outage=refuse");
    List<Long> pending = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Api.Response r = order(customer, product, 1);
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("status").asText()).isEqualTo("payment_pending");
      assertThat(r.json().get("payment").get("status").asText()).isEqualTo("pending");
      assertThat(r.json().get("payment").get("authorization_id").isNull()).isTrue();
      pending.add(r.json().get("id").asLong());
    }
    // open (between the probes the background retries send while it is still down)
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                outside.metric("hotpath_outside_breaker_state{service=\"payments\",state=\"open\"}")
                    == 1.0);
    // read now, so that the cache holds the pending order the job must evict
    assertThat(outside.api().get("/v1/orders/" + pending.get(0)).json().get("status").asText())
        .isEqualTo("payment_pending");

    outside.faults(Service.PAYMENTS, "");
    awaitCount(
        "SELECT count(*) FROM orders WHERE status = 'paid' AND customer_id = " + customer,
        pending.size());
    // each authorization job completed in the transaction that marked its order paid (one commit
    // per job): the job's finished_at is that transaction's now(), the order's updated_at too
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM jobs j JOIN orders o ON o.id = (j.payload->>'order_id')::bigint"
                    + " WHERE j.kind = 'payment.authorize' AND j.status = 'succeeded'"
                    + " AND j.finished_at = o.updated_at AND o.status = 'paid' AND o.customer_id = "
                    + customer))
        .isEqualTo(pending.size());
    JsonNode paid = outside.api().get("/v1/orders/" + pending.get(0)).json();
    assertThat(paid.get("status").asText()).isEqualTo("paid");
    assertThat(paid.get("payment").get("authorization_id").asText()).startsWith("auth_");
    assertThat(paid.get("version").asInt()).isEqualTo(2);
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM outbox WHERE type = 'order.paid' AND aggregate_id IN ("
                    + pending.toString().replace("[", "").replace("]", "")
                    + ")"))
        .isEqualTo(pending.size());
    // traffic after the outage closes the breaker again
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              order(customer, product, 1);
              return outside.breaker(Service.PAYMENTS) == CircuitBreaker.State.CLOSED;
            });
    assertThat(order(customer, product, 1).json().get("status").asText()).isEqualTo("paid");
    assertThat(BlockedLoops.count()).as("no event loop was blocked").isEqualTo(blockedBefore);
  }

  @Test
  void aHungProviderCostsEachOrderItsBudgetNotItsConnections() {
    long customer = fx.customer();
    long product = fx.product(120, 1000);
    outside.faults(Service.PAYMENTS, "outage=hang");
    List<CompletableFuture<Api.Response>> orders = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      HttpRequest request =
          outside
              .api()
              .request("/v1/orders")
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", UUID.randomUUID().toString())
              .POST(HttpRequest.BodyPublishers.ofString(Fixtures.orderBody(customer, product, 1)))
              .build();
      orders.add(outside.api().sendAsync(request));
    }
    for (CompletableFuture<Api.Response> o : orders) {
      Api.Response r = o.join();
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(r.json().get("status").asText()).isEqualTo("payment_pending");
    }
    // the live probe answers at once: no event loop is stuck behind the provider
    assertThat(outside.api().get("/health/live").status()).isEqualTo(200);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> outside.metric("hotpath_db_pool_waiting") == 0);
    // every call was cut off at its deadline and its connection closed; the pools bound them
    assertThat(outside.stub(Service.PAYMENTS).stats().get("max_connections").asLong())
        .isLessThanOrEqualTo(3 * 32);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> outside.stub(Service.PAYMENTS).connections() <= 8);

    outside.faults(Service.PAYMENTS, "");
    awaitCount(
        "SELECT count(*) FROM orders WHERE status = 'payment_pending'"
            + " AND customer_id = "
            + customer,
        0);
  }

  @Test
  void aPaymentDeclinedLaterFailsTheOrderAndPutsItsStockBack() {
    long customer = fx.customer();
    long product = fx.product(640, 10);
    outside.faults(Service.PAYMENTS, "error-rate=1,error-status=503");
    Api.Response r = order(customer, product, 3);
    assertThat(r.json().get("status").asText()).isEqualTo("payment_pending");
    assertThat(fx.stock(product)).isEqualTo(7);
    long id = r.json().get("id").asLong();

    outside.faults(Service.PAYMENTS, "decline-rate=1");
    awaitCount("SELECT count(*) FROM orders WHERE status = 'payment_failed' AND id = " + id, 1);
    assertThat(fx.stock(product)).isEqualTo(10);
    JsonNode failed = outside.api().get("/v1/orders/" + id).json();
    assertThat(failed.get("status").asText()).isEqualTo("payment_failed");
    assertThat(failed.get("payment").get("status").asText()).isEqualTo("declined");
  }

  @Test
  void aDeclineLaterLocksTheOrderBeforeItsProductsAsACancellationDoes() throws Exception {
    long product = fx.product(410, 10);
    outside.faults(Service.PAYMENTS, "error-rate=1,error-status=503");
    Api.Response r = order(fx.customer(), product, 2);
    assertThat(r.json().get("status").asText()).isEqualTo("payment_pending");
    long id = r.json().get("id").asLong();
    String authorizeJob = "SELECT ";
    String ofOrder =
        " FROM jobs WHERE kind = 'payment.authorize' AND payload->>'order_id' = '" + id + "'";
    long attempts;
    try (Connection cancelling = server.database().openJdbc()) {
      cancelling.setAutoCommit(false);
      // a cancellation's first lock: the order
      cancelling.createStatement().execute("SELECT 1 FROM orders WHERE id = " + id + " FOR UPDATE");
      outside.faults(Service.PAYMENTS, "decline-rate=1");
      // the declined-payment job waits for that lock
      awaitCount(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
              + " AND query LIKE '%orders%' AND pid <> pg_backend_pid()",
          1);
      attempts = server.queryLong(authorizeJob + "attempts" + ofOrder);
      // the cancellation's second lock: the products. Had the job locked them first, this would
      // close a cycle, and PostgreSQL would abort one of the two with a deadlock (40P01): in this
      // sequence the job, whose attempt would then fail and be retried.
      cancelling
          .createStatement()
          .execute("SELECT 1 FROM products WHERE id = " + product + " FOR UPDATE");
      cancelling.rollback();
    }
    awaitCount("SELECT count(*) FROM orders WHERE status = 'payment_failed' AND id = " + id, 1);
    assertThat(fx.stock(product)).isEqualTo(10);
    assertThat(server.queryText(authorizeJob + "status, attempts" + ofOrder))
        .as("the attempt that waited for the order is the one that succeeded")
        .isEqualTo("succeeded|" + attempts + "\n");
  }

  @Test
  void cancellingAPaidOrderVoidsItsAuthorizationOnce() {
    JsonNode paid = paidOrder();
    long id = paid.get("id").asLong();
    String authorization = paid.get("payment").get("authorization_id").asText();

    Api.Response r = cancel(id);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("cancelled");
    assertThat(r.json().get("version").asInt()).isEqualTo(2);
    assertThat(voidJobs(id)).as("enqueued with the cancellation").isEqualTo(1);

    JsonNode voided = awaitVoided(id);
    assertThat(voided.get("status").asText()).isEqualTo("cancelled");
    assertThat(voided.get("payment").get("authorization_id").asText()).isEqualTo(authorization);
    assertThat(voided.get("version").asInt()).isEqualTo(3);
    assertThat(outside.stub(Service.PAYMENTS).voids(authorization)).isEqualTo(1);
    assertThat(
            server.queryText(
                "SELECT status FROM jobs WHERE kind = 'payment.void' AND dedupe_key = 'void:"
                    + authorization
                    + "'"))
        .isEqualTo("succeeded\n");
  }

  @Test
  void aCancelWhilePaymentsIsDownSucceedsAndTheVoidLandsWhenItIsBack() {
    JsonNode paid = paidOrder();
    long id = paid.get("id").asLong();
    String authorization = paid.get("payment").get("authorization_id").asText();
    outside.faults(Service.PAYMENTS, "outage=refuse");

    Api.Response r = cancel(id);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("cancelled");
    // the void fails and is retried while the provider is down
    awaitCount(
        "SELECT count(*) FROM jobs WHERE kind = 'payment.void' AND status = 'queued'"
            + " AND attempts >= 2 AND last_error IS NOT NULL"
            + " AND payload->>'order_id' = '"
            + id
            + "'",
        1);
    assertThat(outside.api().get("/v1/orders/" + id).json().get("payment").get("status").asText())
        .as("held until the provider confirms")
        .isEqualTo("authorized");
    assertThat(outside.stub(Service.PAYMENTS).voids(authorization)).isZero();

    outside.faults(Service.PAYMENTS, "");
    awaitVoided(id);
    assertThat(outside.stub(Service.PAYMENTS).voids(authorization)).isEqualTo(1);
    assertThat(voidJobs(id)).isEqualTo(1);
  }

  @Test
  void cancellingAnOrderPlacedWithoutAProviderEnqueuesNoVoid() {
    long placed = fx.order(fx.customer(), fx.product(300, 10), 1);
    long voidsBefore = outside.stub(Service.PAYMENTS).stats().get("voids").asLong();

    Api.Response cancelled = cancel(placed);
    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    assertThat(voidJobs(placed)).isZero();
    assertThat(outside.api().get("/v1/orders/" + placed).json().get("payment").isNull()).isTrue();
    assertThat(outside.stub(Service.PAYMENTS).stats().get("voids").asLong()).isEqualTo(voidsBefore);
  }

  /**
   * An order of {@code product} placed while payments has the knobs {@code faults} (so it is
   * pending), cancelled at once: stock back, payment still pending, nothing voided yet.
   */
  private long cancelledWhilePending(long product, String faults) {
    outside.faults(Service.PAYMENTS, faults);
    Api.Response r = order(fx.customer(), product, 1);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("status").asText()).isEqualTo("payment_pending");
    long id = r.json().get("id").asLong();
    Api.Response cancelled = cancel(id);
    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    assertThat(cancelled.json().get("status").asText()).isEqualTo("cancelled");
    assertThat(cancelled.json().get("payment").get("status").asText())
        .as("the provider may hold it: not settled by the cancel")
        .isEqualTo("pending");
    assertThat(voidJobs(id)).isZero();
    return id;
  }

  private long events(String type, long order) {
    return server.queryLong(
        "SELECT count(*) FROM outbox WHERE type = '" + type + "' AND aggregate_id = " + order);
  }

  /**
   * Makes payments healthy and waits until the order, cancelled while pending with a product of
   * stock 10, reads {@code voided}; the stand-in voided its authorization once, the stock is back
   * once. Returns the order.
   */
  private JsonNode healedUntilVoided(long id, long product) {
    outside.faults(Service.PAYMENTS, "");
    JsonNode voided = awaitVoided(id);
    assertThat(voided.get("status").asText()).isEqualTo("cancelled");
    String authorization = voided.get("payment").get("authorization_id").asText();
    assertThat(authorization).startsWith("auth_");
    assertThat(outside.stub(Service.PAYMENTS).voids(authorization)).isEqualTo(1);
    assertThat(fx.stock(product)).as("stock put back once, by the cancel").isEqualTo(10);
    return voided;
  }

  /**
   * Regression: a pending order cancelled while the provider held its payment leaked the hold (the
   * authorization job found the order cancelled and asked nobody).
   */
  @Test
  void aPendingOrderCancelledWhileTheProviderHeldItsPaymentHasThatHoldVoidedOnce() {
    long product = fx.product(730, 10);
    long before = authorizations();
    // the stand-in authorizes, and its answer never arrives: the placement times out
    long id = cancelledWhilePending(product, "lost-rate=1");
    assertThat(authorizations()).as("held at the provider, unknown to us").isEqualTo(before + 1);
    assertThat(fx.stock(product)).isEqualTo(10);

    JsonNode voided = healedUntilVoided(id, product);
    assertThat(authorizations()).as("the replay found the hold, made none").isEqualTo(before + 1);
    // cancelled, then the hold recorded, then voided
    assertThat(voided.get("version").asInt()).isEqualTo(4);
    assertThat(voidJobs(id)).isEqualTo(1);
    assertThat(events("order.paid", id)).isZero();
    assertThat(events("order.payment_voided", id)).isEqualTo(1);
  }

  @Test
  void aPendingOrderCancelledBeforeTheProviderSawItGetsAHoldVoidedAtOnce() {
    long product = fx.product(410, 10);
    long before = authorizations();
    long id = cancelledWhilePending(product, "outage=refuse");
    assertThat(authorizations()).isEqualTo(before);

    healedUntilVoided(id, product);
    // the price of never leaking a hold: the replay makes one, only to void it
    assertThat(authorizations()).isEqualTo(before + 1);
  }

  @Test
  void aPendingOrderCancelledAndThenDeclinedEndsDeclinedWithNothingToVoid() {
    long product = fx.product(520, 10);
    long id = cancelledWhilePending(product, "error-rate=1,error-status=503");
    long voidsBefore = outside.stub(Service.PAYMENTS).stats().get("voids").asLong();

    outside.faults(Service.PAYMENTS, "decline-rate=1");
    JsonNode declined =
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () -> outside.api().get("/v1/orders/" + id).json(),
                o -> o.get("payment").get("status").asText().equals("declined"));
    assertThat(declined.get("status").asText()).isEqualTo("cancelled");
    assertThat(declined.get("payment").get("authorization_id").isNull()).isTrue();
    assertThat(fx.stock(product)).as("stock put back once, by the cancel").isEqualTo(10);
    assertThat(voidJobs(id)).isZero();
    assertThat(outside.stub(Service.PAYMENTS).stats().get("voids").asLong()).isEqualTo(voidsBefore);
    assertThat(events("order.cancelled", id)).isEqualTo(1);
  }

  @Test
  void aVoidJobThatRunsTwiceWritesItsEventOnce() {
    JsonNode paid = paidOrder();
    long id = paid.get("id").asLong();
    String authorization = paid.get("payment").get("authorization_id").asText();
    assertThat(cancel(id).status()).isEqualTo(200);
    awaitVoided(id);
    assertThat(
            server.queryText(
                "SELECT payload->>'order_id', payload->>'customer_id', payload->>'currency',"
                    + " payload->>'total_minor', payload->>'authorization_id',"
                    + " (payload->>'voided_at')::timestamptz = o.updated_at"
                    + " FROM outbox e JOIN orders o ON o.id = e.aggregate_id"
                    + " WHERE e.type = 'order.payment_voided' AND e.aggregate_id = "
                    + id))
        .isEqualTo(
            id + "|" + paid.get("customer_id").asLong() + "|USD|880|" + authorization + "|t\n");

    // as when the worker's completion is lost after the job committed: the queue runs it again
    server.execute(
        "UPDATE jobs SET status = 'queued', run_at = now() WHERE kind = 'payment.void'"
            + " AND dedupe_key = 'void:"
            + authorization
            + "'");
    awaitCount(
        "SELECT count(*) FROM jobs WHERE kind = 'payment.void' AND status = 'succeeded'"
            + " AND attempts = 2 AND dedupe_key = 'void:"
            + authorization
            + "'",
        1);
    assertThat(outside.stub(Service.PAYMENTS).voids(authorization)).isEqualTo(2);
    assertThat(events("order.payment_voided", id)).isEqualTo(1);
    assertThat(outside.api().get("/v1/orders/" + id).json().get("version").asInt()).isEqualTo(3);
  }
}
