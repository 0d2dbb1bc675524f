package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.QueryBudgets;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class IdempotencyKeysTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private Api.Response placeWithKey(String key, String body, String... more) {
    String[] headers = new String[2 + more.length];
    headers[0] = "Idempotency-Key";
    headers[1] = key;
    System.arraycopy(more, 0, headers, 2, more.length);
    return api.post("/v1/orders", body, headers);
  }

  private long ordersOf(long customer) {
    return server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer);
  }

  /**
   * Also: an order claims its key in its first statement (the one that reads the customer and locks
   * the products), not in a statement of its own, so its transaction is five statements (BEGIN,
   * claim with customer and products, stock with order, lines and event, saved response, COMMIT).
   */
  @Test
  void aRetryReplaysTheFirstResponseByteForByteAndPlacesNoSecondOrder() {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String key = UUID.randomUUID().toString();
    Api.Response first = placeWithKey(key, Fixtures.orderBody(customer, product, 2));
    Api.Response retry = placeWithKey(key, Fixtures.orderBody(customer, product, 2));
    assertThat(first.status()).as(first.body()).isEqualTo(201);
    String timing = first.header("Server-Timing").orElseThrow();
    assertThat(QueryBudgets.queries(timing)).as(timing).hasValue(5);
    assertThat(first.header("Idempotent-Replayed")).isEmpty();
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.header("Location")).isEqualTo(first.header("Location"));
    assertThat(retry.contentType()).isEqualTo(first.contentType());
    assertThat(retry.header("Idempotent-Replayed")).contains("true");
    assertThat(ordersOf(customer)).isEqualTo(1);
    assertThat(fx.stock(product)).isEqualTo(8);
  }

  @Test
  void theSameKeyWithADifferentBodyIs422AndChangesNothing() {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String key = UUID.randomUUID().toString();
    assertThat(placeWithKey(key, Fixtures.orderBody(customer, product, 1)).status()).isEqualTo(201);
    String before = fx.rowCounts();
    Api.Response other = placeWithKey(key, Fixtures.orderBody(customer, product, 3));
    assertThat(other.status()).isEqualTo(422);
    assertThat(other.json().get("type").asText()).endsWith("/idempotency-key-reused");
    assertThat(fx.rowCounts()).isEqualTo(before);
    assertThat(fx.stock(product)).isEqualTo(9);
  }

  @Test
  void aMissingKeyIs400AndWritesNothing() {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String before = fx.rowCounts();
    Api.Response r =
        api.post("/v1/orders", Fixtures.orderBody(customer, product, 1), new String[0]);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("type").asText()).endsWith("/idempotency-key-missing");
    Api.Response c =
        api.post(
            "/v1/customers",
            "{\"email\":\"" + Fixtures.uniqueEmail("nokey") + "\",\"name\":\"N\"}",
            new String[0]);
    assertThat(c.status()).isEqualTo(400);
    assertThat(c.json().get("type").asText()).endsWith("/idempotency-key-missing");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  @Test
  void aRequestThatFailsValidationStoresNothingSoTheKeyStaysUsable() {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String key = UUID.randomUUID().toString();
    Api.Response invalid = placeWithKey(key, "{\"customer_id\":" + customer + ",\"items\":[]}");
    assertThat(invalid.status()).isEqualTo(400);
    Api.Response valid = placeWithKey(key, Fixtures.orderBody(customer, product, 1));
    assertThat(valid.status()).as(valid.body()).isEqualTo(201);
    assertThat(valid.header("Idempotent-Replayed")).isEmpty();
  }

  @Test
  void aBusinessRefusalIsStoredAndReplayedEvenAfterTheStateChanged() {
    long customer = fx.customer();
    long product = fx.product(700, 1);
    String key = UUID.randomUUID().toString();
    Api.Response refused = placeWithKey(key, Fixtures.orderBody(customer, product, 2));
    assertThat(refused.status()).isEqualTo(422);
    assertThat(refused.json().get("type").asText()).endsWith("/out-of-stock");
    server.execute("UPDATE products SET stock = 100 WHERE id = " + product);
    Api.Response retry = placeWithKey(key, Fixtures.orderBody(customer, product, 2));
    assertThat(retry.status()).isEqualTo(422);
    assertThat(retry.body()).isEqualTo(refused.body());
    assertThat(retry.header("Idempotent-Replayed")).contains("true");
    assertThat(ordersOf(customer)).isZero();
  }

  @Test
  void keysAreScopedPerClient() {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String key = UUID.randomUUID().toString();
    // the client is the token's subject: two services may use the same key independently
    var tokens = dev.hotpath.support.Tokens.get();
    Api shopA =
        api.as(
            tokens
                .builder()
                .sub("service:shop-a")
                .scopes(dev.hotpath.support.Tokens.SERVICE_SCOPES)
                .es256());
    Api shopB =
        api.as(
            tokens
                .builder()
                .sub("service:shop-b")
                .scopes(dev.hotpath.support.Tokens.SERVICE_SCOPES)
                .es256());
    Api.Response a =
        shopA.post("/v1/orders", Fixtures.orderBody(customer, product, 1), "Idempotency-Key", key);
    Api.Response b =
        shopB.post("/v1/orders", Fixtures.orderBody(customer, product, 1), "Idempotency-Key", key);
    assertThat(a.status()).isEqualTo(201);
    assertThat(b.status()).isEqualTo(201);
    assertThat(b.header("Idempotent-Replayed")).isEmpty();
    assertThat(ordersOf(customer)).isEqualTo(2);
  }

  @Test
  void aRetryWhileTheFirstRequestStillRunsIs409() throws Exception {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String key = UUID.randomUUID().toString();
    long lock = IdempotencyStore.lockKey(new IdempotencyStore.Key("service:tests", key));
    // the advisory lock is what a running first request holds until it commits
    try (Connection conn = server.database().openJdbc();
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(false);
      st.execute("SELECT pg_advisory_xact_lock(" + lock + ")");
      Api.Response busy = placeWithKey(key, Fixtures.orderBody(customer, product, 1));
      assertThat(busy.status()).isEqualTo(409);
      assertThat(busy.json().get("type").asText()).endsWith("/idempotency-key-in-use");
      conn.rollback();
    }
    assertThat(placeWithKey(key, Fixtures.orderBody(customer, product, 1)).status()).isEqualTo(201);
    assertThat(ordersOf(customer)).isEqualTo(1);
  }

  @Test
  void fiftyConcurrentIdenticalRequestsPlaceExactlyOneOrder() throws Exception {
    long customer = fx.customer();
    long product = fx.product(700, 1000);
    String key = UUID.randomUUID().toString();
    String body = Fixtures.orderBody(customer, product, 3);
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Api.Response>> futures = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return placeWithKey(key, body);
                }));
      }
      start.countDown();
      List<Api.Response> responses = new ArrayList<>();
      for (Future<Api.Response> f : futures) {
        responses.add(f.get());
      }
      assertThat(responses).extracting(Api.Response::status).containsOnly(201, 409);
      List<String> created =
          responses.stream().filter(r -> r.status() == 201).map(Api.Response::body).toList();
      assertThat(created).isNotEmpty();
      assertThat(created).allMatch(b -> b.equals(created.get(0)));
      assertThat(
              responses.stream()
                  .filter(r -> r.status() == 201 && r.header("Idempotent-Replayed").isEmpty())
                  .count())
          .isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(ordersOf(customer)).isEqualTo(1);
    assertThat(fx.stock(product)).isEqualTo(997);
    // after the dust settles every retry is a replay
    assertThat(placeWithKey(key, body).header("Idempotent-Replayed")).contains("true");
  }

  @Test
  void anExpiredKeyIsTakenOverByTheNextRequest() {
    long customer = fx.customer();
    long product = fx.product(700, 10);
    String key = UUID.randomUUID().toString();
    assertThat(placeWithKey(key, Fixtures.orderBody(customer, product, 1)).status()).isEqualTo(201);
    server.execute(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = '"
            + key
            + "'");
    Api.Response again = placeWithKey(key, Fixtures.orderBody(customer, product, 2));
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("Idempotent-Replayed")).isEmpty();
    assertThat(ordersOf(customer)).isEqualTo(2);
  }

  @Test
  void creatingACustomerIsIdempotentToo() {
    String key = UUID.randomUUID().toString();
    String body = "{\"email\":\"" + Fixtures.uniqueEmail("idem") + "\",\"name\":\"Ida\"}";
    Api.Response first = api.post("/v1/customers", body, "Idempotency-Key", key);
    Api.Response retry = api.post("/v1/customers", body, "Idempotency-Key", key);
    assertThat(first.status()).isEqualTo(201);
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(retry.header("Idempotent-Replayed")).contains("true");
  }
}
