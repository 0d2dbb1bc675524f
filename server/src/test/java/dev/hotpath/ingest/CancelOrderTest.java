package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

class CancelOrderTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  /** Cancels whatever version is current ({@code If-Match: *}). */
  private Api.Response cancel(long order) {
    return cancel(order, "*");
  }

  /** Cancels with this {@code If-Match}, or none when {@code ifMatch} is null. */
  private Api.Response cancel(long order, String ifMatch) {
    HttpRequest.Builder request =
        api.request("/v1/orders/" + order + "/cancel").POST(HttpRequest.BodyPublishers.noBody());
    if (ifMatch != null) {
      request.header("If-Match", ifMatch);
    }
    return api.send(request.build());
  }

  @Test
  void cancellingRestoresStockBumpsTheVersionAndEmitsItsEvent() {
    long customer = fx.customer();
    long product = fx.product(400, 10);
    long order = fx.order(customer, product, 4);
    assertThat(fx.stock(product)).isEqualTo(6);
    Api.Response r = cancel(order);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode body = r.json();
    assertThat(body.get("status").asText()).isEqualTo("cancelled");
    assertThat(body.get("version").asInt()).isEqualTo(2);
    assertThat(body.get("items").get(0).get("quantity").asInt()).isEqualTo(4);
    assertThat(fx.stock(product)).isEqualTo(10);
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM outbox WHERE type = 'order.cancelled' AND aggregate_id = "
                    + order))
        .isEqualTo(1);
    assertThat(api.get("/v1/orders/" + order).json()).isEqualTo(body);
    server.awaitConsumers();
    JsonNode summary = api.get("/v1/customers/" + customer + "/summary").json();
    assertThat(summary.get("order_count").asLong()).isZero();
    assertThat(summary.get("totals").get(0).get("total_spent_minor").asLong()).isZero();
    assertThat(
            server.queryLong("SELECT units_sold FROM product_stats WHERE product_id = " + product))
        .isZero();
    assertThat(
            server.queryText(
                "SELECT kind FROM notifications WHERE customer_id = " + customer + " ORDER BY id"))
        .isEqualTo("order_confirmation\norder_cancellation\n");
  }

  @Test
  void aSecondCancelIs409AndChangesNothing() {
    long customer = fx.customer();
    long product = fx.product(400, 10);
    long order = fx.order(customer, product, 1);
    assertThat(cancel(order).status()).isEqualTo(200);
    Api.Response again = cancel(order);
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("type").asText()).endsWith("/conflict");
    assertThat(fx.stock(product)).isEqualTo(10);
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM outbox WHERE type = 'order.cancelled' AND aggregate_id = "
                    + order))
        .isEqualTo(1);
  }

  @Test
  void shippedOrdersCannotBeCancelled() {
    long customer = fx.customer();
    long product = fx.product(400, 10);
    long order = fx.order(customer, product, 1);
    server.execute("UPDATE orders SET status = 'shipped' WHERE id = " + order);
    assertThat(cancel(order).status()).isEqualTo(409);
    assertThat(fx.stock(product)).isEqualTo(9);
  }

  @Test
  void ifMatchMustNameTheCurrentVersion() {
    long customer = fx.customer();
    long product = fx.product(400, 10);
    long order = fx.order(customer, product, 1);
    String current = api.etag("/v1/orders/" + order);
    Api.Response missing = cancel(order, null);
    assertThat(missing.status()).isEqualTo(428);
    Api.Response stale = cancel(order, current.replace("v1", "v7"));
    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json().get("type").asText()).endsWith("/precondition-failed");
    assertThat(cancel(order, "W/" + current).status())
        .as("a weak tag never matches")
        .isEqualTo(412);
    assertThat(fx.stock(product)).isEqualTo(9);
    assertThat(cancel(order, current).status()).isEqualTo(200);
    // the cancellation is visible at once, through the cache
    assertThat(api.get("/v1/orders/" + order).json().get("status").asText()).isEqualTo("cancelled");
  }

  @Test
  void unknownOrdersAre404() {
    assertThat(cancel(999_999_999L).status()).isEqualTo(404);
  }

  @Test
  void concurrentCancelsOfOneOrderRestoreTheStockOnce() throws Exception {
    long customer = fx.customer();
    long product = fx.product(400, 10);
    long order = fx.order(customer, product, 5);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      var futures = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
      for (int i = 0; i < 8; i++) {
        futures.add(pool.submit(() -> cancel(order).status()));
      }
      int ok = 0;
      for (var f : futures) {
        int status = f.get();
        assertThat(status).isIn(200, 409);
        ok += status == 200 ? 1 : 0;
      }
      assertThat(ok).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(fx.stock(product)).isEqualTo(10);
  }

  @Test
  void aPaidOrderCancelledWithoutAProviderStillGetsItsVoidQueued() {
    long customer = fx.customer();
    long product = fx.product(400, 10);
    long order = fx.order(customer, product, 1);
    // paid while a provider was configured; this server has none
    String authorization = "auth_gone" + order;
    server.execute(
        "UPDATE orders SET status = 'paid', payment_status = 'authorized',"
            + " payment_authorization = '"
            + authorization
            + "' WHERE id = "
            + order);
    try {
      Api.Response r = cancel(order);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("status").asText()).isEqualTo("cancelled");
      assertThat(r.json().get("payment").get("status").asText()).isEqualTo("authorized");
      assertThat(
              server.queryText(
                  "SELECT kind || ' ' || status || ' ' || (payload->>'order_id')"
                      + " FROM jobs WHERE dedupe_key = 'void:"
                      + authorization
                      + "'"))
          .isEqualTo("payment.void queued " + order + "\n");
    } finally {
      // no instance of this run may void an authorization the stand-in never made
      server.execute("DELETE FROM jobs WHERE dedupe_key = 'void:" + authorization + "'");
    }
  }
}
