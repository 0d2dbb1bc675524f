package dev.hotpath.serve.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.serve.ProductRepresentation;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two instances on one database, each with its own cache: a write on one is seen at once there and,
 * through NOTIFY, on the other within a bound measured here.
 */
class CacheInvalidationTest {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(CacheInvalidationTest.class);

  /** How long the other instance may serve what a committed write replaced. */
  private static final Duration BOUND = Duration.ofSeconds(2);

  private static final TestServer server = TestServer.get();
  private static App second;
  private static Api b;

  private final Api a = server.api();
  private final Fixtures fx = new Fixtures(server);

  @BeforeAll
  static void startASecondInstance() {
    var db = server.database();
    URI url =
        URI.create(
            "postgresql://"
                + db.user()
                + ":"
                + db.password()
                + "@"
                + db.host()
                + ":"
                + db.port()
                + "/"
                + db.database());
    second =
        App.start(
            Settings.builder(TestServer.environment(Map.of("HOTPATH_EVENT_LOOPS", "1")))
                .databaseUrl(url)
                .build());
    b = Api.of("http://localhost:" + second.port());
  }

  @AfterAll
  static void stopIt() {
    second.close();
  }

  /** Waits until {@code seen} holds on the other instance; returns how long that took. */
  private static Duration timeUntil(BooleanSupplier seen) {
    long start = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(seen::getAsBoolean);
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Creates a customer on A, and waits until B has heard of it (so it cannot evict later). */
  private long customerKnownToBoth() {
    long heard = second.invalidation().messages();
    long customer = fx.customer();
    timeUntil(() -> second.invalidation().messages() > heard);
    return customer;
  }

  @Test
  void aPatchOnOneInstanceIsSeenAtOnceThereAndOnTheOtherWithinTheBound() {
    long customer = customerKnownToBoth();
    String path = "/v1/customers/" + customer;
    assertThat(b.get(path).json().get("name").asText()).isEqualTo("Fixture");
    long queries = second.queries().total();
    assertThat(b.get(path).json().get("name").asText()).isEqualTo("Fixture");
    assertThat(second.queries().total())
        .as("B serves the customer from its cache")
        .isEqualTo(queries);

    Api.Response patched = a.patchCurrent(path, "{\"name\":\"Renamed on A\"}");
    assertThat(patched.status()).isEqualTo(200);
    assertThat(a.get(path).json().get("name").asText()).isEqualTo("Renamed on A");

    Duration lag = timeUntil(() -> "Renamed on A".equals(b.get(path).json().get("name").asText()));
    LOG.info("cross-instance invalidation of a patched customer took " + lag);
    assertThat(lag).isLessThan(BOUND);
    assertThat(b.get(path).header("ETag")).isEqualTo(patched.header("ETag"));
    assertThat(server.app().invalidation().ownMessages())
        .as("A skips its own messages: it evicted before answering")
        .isPositive();
  }

  @Test
  void anOrderOnOneInstanceRefreshesStockAndOrderPagesOnTheOther() {
    long customer = customerKnownToBoth();
    long product = fx.product(100, 40);
    String productPath = "/v1/products/" + product;
    String pagePath = "/v1/customers/" + customer + "/orders?fields=id";
    assertThat(b.get(productPath).json().get("stock").asInt()).isEqualTo(40);
    assertThat(b.get(pagePath).json().get("data")).isEmpty();

    long order = fx.order(customer, product, 5);
    assertThat(a.get(productPath).json().get("stock").asInt()).isEqualTo(35);

    Duration lag =
        timeUntil(
            () ->
                b.get(productPath).json().get("stock").asInt() == 35
                    && b.get(pagePath).json().get("data").size() == 1);
    LOG.info("cross-instance invalidation after an order took " + lag);
    assertThat(lag).isLessThan(BOUND);
    assertThat(b.get(pagePath).json().get("data").get(0).get("id").asLong()).isEqualTo(order);
  }

  @Test
  void aStarMessageClearsTheWholeCache() {
    long product = fx.product(100, 1);
    CacheKey key = CacheKey.of(Kind.PRODUCT, product, ProductRepresentation.FIELDS.all(), 0);
    b.get("/v1/products/" + product);
    assertThat(second.cache().peek(key)).isPresent();

    server.execute("SELECT pg_notify('" + CacheInvalidation.CHANNEL + "', '*')");

    timeUntil(() -> second.cache().peek(key).isEmpty());
  }

  /**
   * The listener's session is killed in the database: the instance clears its cache (messages may
   * have been missed), reconnects, and applies messages again.
   */
  @Test
  void aLostListenerConnectionClearsTheCacheAndListeningResumes() {
    long product = fx.product(100, 7);
    String path = "/v1/products/" + product;
    CacheKey key = CacheKey.of(Kind.PRODUCT, product, ProductRepresentation.FIELDS.all(), 0);
    CacheInvalidation listener = second.invalidation();
    long subscriptions = listener.subscriptions();
    b.get(path);
    assertThat(second.cache().peek(key)).isPresent();

    long killed =
        server.queryLong(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE application_name = 'hotpath cache listener :"
                + second.port()
                + "'");
    assertThat(killed).isEqualTo(1);

    timeUntil(() -> listener.subscriptions() > subscriptions && listener.listening());
    assertThat(listener.drops()).isPositive();
    assertThat(second.cache().peek(key)).as("cleared on reconnect").isEmpty();

    b.get(path);
    assertThat(second.cache().peek(key)).isPresent();
    server.execute("SELECT pg_notify('" + CacheInvalidation.CHANNEL + "', 'p:" + product + "')");
    timeUntil(() -> second.cache().peek(key).isEmpty());
  }
}
