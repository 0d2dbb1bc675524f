package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A customer sees only its own resources: another customer's are a 404 exactly like a resource that
 * does not exist (so ids cannot be probed), also when the other's representation is cached.
 */
class IsolationApiTest {
  private static final TestServer server = TestServer.get();
  private final Api service = server.api();
  private final Fixtures fx = new Fixtures(server);
  private long a;
  private long b;
  private long orderOfA;
  private long orderOfB;
  private Api asA;
  private Api asB;

  @BeforeEach
  void twoCustomersWithAnOrderEach() {
    a = fx.customer();
    b = fx.customer();
    long product = fx.product(250, 100);
    orderOfA = fx.order(a, product, 1);
    orderOfB = fx.order(b, product, 2);
    asA = service.as(Tokens.get().customer(a));
    asB = service.as(Tokens.get().customer(b));
  }

  /** The body of the 404 for an id that does not exist, for comparison. */
  private static String withIdReplaced(Api.Response r, long id, long missing) {
    return r.body().replace(Long.toString(id), Long.toString(missing));
  }

  @Test
  void aCustomerReadsItsOwnOrderButAnotherCustomersOrderIsA404LikeAMissingOne() {
    Api.Response own = asA.get("/v1/orders/" + orderOfA);
    assertThat(own.status()).isEqualTo(200);
    assertThat(own.json().get("customer_id").asLong()).isEqualTo(a);

    Api.Response other = asA.get("/v1/orders/" + orderOfB);
    assertThat(other.status()).isEqualTo(404);
    Api.Response missing = asA.get("/v1/orders/999999991");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(withIdReplaced(other, orderOfB, 999999991)).isEqualTo(missing.body());
    assertThat(other.header("ETag")).isEmpty();
  }

  @Test
  void aCachedOrderIsNotServedToAnotherCustomer() {
    Api.Response first = asA.get("/v1/orders/" + orderOfA);
    assertThat(first.status()).isEqualTo(200);
    Api.Response cached = asA.get("/v1/orders/" + orderOfA);
    assertThat(cached.header("Server-Timing"))
        .hasValueSatisfying(t -> assertThat(t).contains("cache;desc=hit"));

    Api.Response stolen = asB.get("/v1/orders/" + orderOfA);
    assertThat(stolen.status()).isEqualTo(404);
    assertThat(stolen.body()).doesNotContain("\"items\"").doesNotContain("total_minor");
    assertThat(stolen.header("Server-Timing"))
        .as("the cached entry was found, and refused")
        .hasValueSatisfying(t -> assertThat(t).contains("cache;desc=hit"));
  }

  @Test
  void anEntityTagOfAnotherCustomersOrderRevealsNothing() {
    String etag = asA.get("/v1/orders/" + orderOfA).header("ETag").orElseThrow();
    Api.Response probe = asB.get("/v1/orders/" + orderOfA, "If-None-Match", etag);
    assertThat(probe.status()).as("not 304").isEqualTo(404);
  }

  @Test
  void anotherCustomersRecordAndOrderPagesAre404sIncludingCachedOnes() {
    assertThat(asA.get("/v1/customers/" + a).status()).isEqualTo(200);
    assertThat(asA.get("/v1/customers/" + a + "/orders").status()).isEqualTo(200);
    // B's record and first page are now cached for the service
    assertThat(service.get("/v1/customers/" + b).status()).isEqualTo(200);
    assertThat(service.get("/v1/customers/" + b + "/orders").status()).isEqualTo(200);

    Api.Response record = asA.get("/v1/customers/" + b);
    assertThat(record.status()).isEqualTo(404);
    assertThat(withIdReplaced(record, b, 999999992))
        .isEqualTo(asA.get("/v1/customers/999999992").body());
    Api.Response page = asA.get("/v1/customers/" + b + "/orders?limit=1");
    assertThat(page.status()).isEqualTo(404);
    assertThat(page.body()).doesNotContain(Long.toString(orderOfB));
  }

  @Test
  void aCustomerCannotChangeAnotherCustomerOrOrderForThem() {
    long product = fx.product(10, 5);
    String before = stateOf(b);
    Api.Response patch = asA.patch("/v1/customers/" + b, "*", "{\"name\":\"Hijacked\"}");
    assertThat(patch.status()).isEqualTo(404);
    Api.Response order =
        asA.post(
            "/v1/orders",
            "{\"customer_id\":"
                + b
                + ",\"items\":[{\"product_id\":"
                + product
                + ",\"quantity\":1}]}");
    assertThat(order.status()).isEqualTo(422);
    assertThat(order.json().get("type").asText()).endsWith("/unknown-customer");
    assertThat(service.get("/v1/customers/" + b).json().get("name").asText()).isEqualTo("Fixture");
    assertThat(stateOf(b)).isEqualTo(before);
    assertThat(fx.stock(product)).isEqualTo(5);
    Api.Response own = asA.patch("/v1/customers/" + a, "*", "{\"name\":\"Renamed by A\"}");
    assertThat(own.status()).isEqualTo(200);
  }

  private static String stateOf(long customer) {
    return server.queryLong("SELECT version FROM customers WHERE id = " + customer)
        + "/"
        + server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer);
  }

  @Test
  void aBatchGetReportsAnotherCustomersIdAsNotFound() {
    Api.Response r = asA.post("/v1/customers/batch-get", "{\"ids\":[" + a + "," + b + "]}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("data").findValuesAsText("email")).hasSize(1);
    assertThat(r.json().get("data").get(0).get("id").asLong()).isEqualTo(a);
    assertThat(r.json().get("not_found").toString()).isEqualTo("[" + b + "]");
  }

  @Test
  void onlyAServiceListsAllCustomers() {
    Api.Response r = asA.get("/v1/customers?limit=2");
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.header("WWW-Authenticate"))
        .hasValueSatisfying(h -> assertThat(h).contains("scope=\"service\""));
    assertThat(service.get("/v1/customers?limit=2").status()).isEqualTo(200);
  }

  @Test
  void aServiceReadsEveryCustomersResources() {
    for (long[] order : new long[][] {{orderOfA, a}, {orderOfB, b}}) {
      Api.Response r = service.get("/v1/orders/" + order[0]);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().get("id").asLong()).isEqualTo(order[0]);
      assertThat(r.json().get("customer_id").asLong()).isEqualTo(order[1]);
    }
    Api.Response customer = service.get("/v1/customers/" + a);
    assertThat(customer.status()).as(customer.body()).isEqualTo(200);
    assertThat(customer.json().get("id").asLong()).isEqualTo(a);
    Api.Response orders = service.get("/v1/customers/" + b + "/orders");
    assertThat(orders.status()).as(orders.body()).isEqualTo(200);
    assertThat(orders.json().get("data").findValuesAsText("id"))
        .containsExactly(Long.toString(orderOfB));
  }

  @Test
  void theCatalogueIsPublic() {
    Api.Response products = service.anonymous().get("/v1/products?limit=2");
    assertThat(products.status()).as(products.body()).isEqualTo(200);
    assertThat(products.json().get("data")).hasSize(2);
    Api.Response order = service.anonymous().get("/v1/orders/" + orderOfA);
    assertThat(order.status()).isEqualTo(401);
    assertThat(order.contentType()).startsWith("application/problem+json");
    assertThat(order.json().get("type").asText()).endsWith("/unauthorized");
    assertThat(order.body()).doesNotContain("customer_id");
    assertThat(order.header("WWW-Authenticate")).hasValue("Bearer realm=\"hotpath\"");
  }
}
