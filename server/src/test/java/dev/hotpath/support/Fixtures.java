package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rows that tests create through the API (or SQL) so that their assertions do not depend on seeded
 * data.
 */
public final class Fixtures {
  private static final AtomicLong SEQ = new AtomicLong(System.nanoTime() % 1_000_000_000L);

  private final TestServer server;

  public Fixtures(TestServer server) {
    this.server = server;
  }

  public static String uniqueEmail(String prefix) {
    return prefix + "-" + SEQ.incrementAndGet() + "@test.example";
  }

  public static final String ADDRESS =
      "{\"line1\":\"1 Test Street\",\"city\":\"Springfield\",\"postal_code\":\"12345\",\"country\":\"US\"}";

  /**
   * Imports {@code ndjson} (orders, one a line) through {@code POST /v1/orders/imports}, waits for
   * the job to succeed and returns the import's id.
   */
  public long importOrders(String ndjson) {
    Api api = server.api();
    Api.Response accepted =
        api.send(
            api.request("/v1/orders/imports")
                .header("Content-Type", "application/x-ndjson")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(ndjson))
                .build());
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    String job = accepted.header("Location").orElseThrow();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> api.get(job).json().get("status").asText().equals("succeeded"));
    return accepted.json().get("id").asLong();
  }

  /** Creates an active customer with an address; returns its id. */
  public long customer() {
    Api.Response r =
        server
            .api()
            .post(
                "/v1/customers",
                "{\"email\":\""
                    + uniqueEmail("fx")
                    + "\",\"name\":\"Fixture\",\"address\":"
                    + ADDRESS
                    + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("id").asLong();
  }

  /** Inserts a product directly (the API has no product writes yet); returns its id. */
  public long product(String category, long priceMinor, int stock, String currency) {
    long n = SEQ.incrementAndGet();
    return server.queryLong(
        "INSERT INTO products (sku, name, category, price_minor, currency, stock) VALUES ('FX-"
            + n
            + "', 'Fixture product "
            + n
            + "', '"
            + category
            + "', "
            + priceMinor
            + ", '"
            + currency
            + "', "
            + stock
            + ") RETURNING id");
  }

  public long product(long priceMinor, int stock) {
    return product("fixtures", priceMinor, stock, "USD");
  }

  public int stock(long productId) {
    return (int) server.queryLong("SELECT stock FROM products WHERE id = " + productId);
  }

  /** The body of an order of one product. */
  public static String orderBody(long customerId, long productId, int quantity) {
    return "{\"customer_id\":"
        + customerId
        + ",\"items\":[{\"product_id\":"
        + productId
        + ",\"quantity\":"
        + quantity
        + "}]}";
  }

  /** Places an order of one product through the API; returns the order id. */
  public long order(long customerId, long productId, int quantity) {
    Api.Response r = server.api().post("/v1/orders", orderBody(customerId, productId, quantity));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("id").asLong();
  }

  /**
   * Counts of every table the API writes, to prove a rejected request changed nothing. Not the
   * idempotency keys: a write refused for a business rule (409, 422) records its answer under its
   * key, so that a retry gets the same answer.
   */
  public String rowCounts() {
    return "customers="
        + server.queryLong("SELECT count(*) FROM customers")
        + " products="
        + server.queryLong("SELECT count(*) FROM products")
        + " stock="
        + server.queryLong("SELECT sum(stock) FROM products")
        + " versions="
        + server.queryLong("SELECT sum(version) FROM customers")
        + " orders="
        + server.queryLong("SELECT count(*) FROM orders")
        + " items="
        + server.queryLong("SELECT count(*) FROM order_items")
        + " order_versions="
        + server.queryLong("SELECT sum(version) FROM orders")
        + " events="
        + server.queryLong("SELECT coalesce(max(id), 0) FROM outbox")
        + " client_jobs="
        + server.queryLong("SELECT count(*) FROM jobs WHERE created_by IS NOT NULL")
        + " reports="
        + server.queryLong("SELECT count(*) FROM reports")
        + " imports="
        + server.queryLong("SELECT count(*) FROM order_imports");
  }
}
