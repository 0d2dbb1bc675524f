package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.observe.QueryCounter;
import dev.hotpath.serve.cache.CacheInvalidation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Hot reads come from the response cache; writes evict what they change, at once. */
class CachingApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);
  private final QueryCounter queries = server.app().queries();
  private final ResponseCache cache = server.app().cache();

  @Test
  void aHotReadRunsNoQueryAndServesTheSameBytes() {
    long customer = fx.customer();
    long product = fx.product(1500, 10);
    long order = fx.order(customer, product, 2);
    for (String path :
        List.of(
            "/v1/customers/" + customer,
            "/v1/products/" + product,
            "/v1/orders/" + order,
            "/v1/customers/" + customer + "/orders")) {
      Api.Response first = api.get(path);
      assertThat(first.status()).as(path).isEqualTo(200);
      long before = queries.total();
      var stats = cache.stats();
      for (int i = 0; i < 5; i++) {
        Api.Response again = api.get(path);
        assertThat(again.body()).as(path).isEqualTo(first.body());
        assertThat(again.header("ETag")).isEqualTo(first.header("ETag"));
      }
      assertThat(queries.total() - before).as("queries for 5 hot reads of " + path).isZero();
      assertThat(cache.stats().hits() - stats.hits()).isGreaterThanOrEqualTo(5);
    }
  }

  /**
   * The product table is locked while 1,000 requests for one uncached product arrive, so the load
   * cannot finish before every request has asked for it: all of them wait for the one query, which
   * the database itself shows as the only one waiting.
   */
  @Test
  void aThousandConcurrentRequestsForAColdKeyCauseExactlyOneDatabaseQuery() throws Exception {
    long product = fx.product(700, 3);
    String path = "/v1/products/" + product;
    long queriesBefore = queries.count(ProductReads.BY_ID);
    var statsBefore = cache.stats();
    List<CompletableFuture<Api.Response>> responses = new ArrayList<>();
    try (Connection lock = server.database().openJdbc();
        Statement st = lock.createStatement()) {
      lock.setAutoCommit(false);
      st.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE");
      for (int i = 0; i < 1000; i++) {
        responses.add(api.sendAsync(api.request(path).GET().build()));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                var now = cache.stats();
                return (now.hits() + now.misses()) - (statsBefore.hits() + statsBefore.misses())
                    >= 1000;
              });
      assertThat(queries.count(ProductReads.BY_ID) - queriesBefore).isEqualTo(1);
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                      + " AND query LIKE '%FROM products WHERE id = $1%'"))
          .as("queries of a product by id waiting in the database")
          .isEqualTo(1);
      lock.rollback();
    }
    String body = null;
    for (CompletableFuture<Api.Response> f : responses) {
      Api.Response r = f.get(60, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      if (body == null) {
        body = r.body();
      }
      assertThat(r.body()).isEqualTo(body);
    }
    assertThat(queries.count(ProductReads.BY_ID) - queriesBefore).isEqualTo(1);
    // counted when the load's future completes, which may follow the responses (see below)
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .untilAsserted(() -> assertThat(cache.stats().loads() - statsBefore.loads()).isEqualTo(1));
  }

  @Test
  void eachFieldsetIsItsOwnEntryAndAnOrderEvictsThemAll() {
    long customer = fx.customer();
    long product = fx.product(250, 50);
    String full = "/v1/products/" + product;
    String slim = full + "?fields=id,stock";
    Api.Response whole = api.get(full);
    Api.Response thin = api.get(slim);
    assertThat(whole.json().size()).isEqualTo(12);
    assertThat(thin.json().toString()).isEqualTo("{\"id\":" + product + ",\"stock\":50}");
    assertThat(thin.header("ETag")).isNotEqualTo(whole.header("ETag"));

    long before = queries.total();
    assertThat(api.get(full).body()).isEqualTo(whole.body());
    assertThat(api.get(slim).body()).isEqualTo(thin.body());
    assertThat(api.get(full + "?fields=stock,id").body())
        .as("the same fieldset in another order is the same entry")
        .isEqualTo(thin.body());
    assertThat(queries.total() - before).isZero();

    fx.order(customer, product, 3);

    assertThat(api.get(slim).json().get("stock").asInt()).isEqualTo(47);
    Api.Response after = api.get(full);
    assertThat(after.json().get("stock").asInt()).isEqualTo(47);
    assertThat(after.header("ETag")).isNotEqualTo(whole.header("ETag"));
  }

  @Test
  void anOrderAppearsAtOnceOnEveryCachedFirstPageOfItsCustomer() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    long first = fx.order(customer, product, 1);
    List<String> pages =
        List.of(
            "/v1/customers/" + customer + "/orders",
            "/v1/customers/" + customer + "/orders?limit=5",
            "/v1/customers/" + customer + "/orders?status=placed&fields=id");
    for (String page : pages) {
      assertThat(api.get(page).json().get("data").get(0).get("id").asLong()).isEqualTo(first);
      long before = queries.total();
      api.get(page);
      assertThat(queries.total() - before).as(page + " is cached").isZero();
    }

    long second = fx.order(customer, product, 1);

    for (String page : pages) {
      var data = api.get(page).json().get("data");
      assertThat(data.get(0).get("id").asLong()).as(page).isEqualTo(second);
      assertThat(data.get(1).get("id").asLong()).as(page).isEqualTo(first);
    }
  }

  @Test
  void aPatchIsVisibleAtOnceInEveryFieldset() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    api.get(path);
    api.get(path + "?fields=name");
    Api.Response patched = api.patchCurrent(path, "{\"name\":\"Grace Hopper\"}");
    assertThat(patched.status()).isEqualTo(200);

    assertThat(api.get(path).json().get("name").asText()).isEqualTo("Grace Hopper");
    assertThat(api.get(path + "?fields=name").json().get("name").asText())
        .isEqualTo("Grace Hopper");
    assertThat(api.get(path).header("ETag")).isEqualTo(patched.header("ETag"));
  }

  /**
   * A "not found" is kept briefly, so a flood of requests for a missing id costs one query; a
   * change made behind the API's back is then invisible until someone says so with NOTIFY (or the
   * entry expires).
   */
  @Test
  void aNotFoundIsCachedUntilAnInvalidationMessageNamesIt() {
    long id = 1_900_000_000L + (System.nanoTime() % 1_000_000);
    String path = "/v1/customers/" + id;
    assertThat(api.get(path).status()).isEqualTo(404);
    long before = queries.total();
    assertThat(api.get(path).status()).isEqualTo(404);
    assertThat(queries.total() - before).isZero();

    server.execute(
        "INSERT INTO customers (id, email, name) VALUES ("
            + id
            + ", '"
            + Fixtures.uniqueEmail("sql")
            + "', 'Behind the API')");
    assertThat(api.get(path).status()).as("cached not-found").isEqualTo(404);

    server.execute("SELECT pg_notify('" + CacheInvalidation.CHANNEL + "', 'c:" + id + "')");

    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> api.get(path).status() == 200);
    assertThat(api.get(path).json().get("name").asText()).isEqualTo("Behind the API");
  }

  /**
   * Caffeine counts a load when the load's future completes, in a callback that may run after the
   * response (which the future's later callback writes) has reached the client: the load count is
   * awaited, the others are exact as soon as the responses are in (a CI run read loads 0 at once).
   */
  @Test
  void statsCountHitsMissesAndLoads() {
    long product = fx.product(10, 1);
    var before = cache.stats();
    Api.Response first = api.get("/v1/products/" + product);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    Api.Response second = api.get("/v1/products/" + product);
    assertThat(second.status()).as(second.body()).isEqualTo(200);
    var after = cache.stats();
    assertThat(after.misses() - before.misses()).isEqualTo(1);
    assertThat(after.hits() - before.hits()).isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .untilAsserted(() -> assertThat(cache.stats().loads() - before.loads()).isEqualTo(1));
    assertThat(after.entries()).isPositive();
    assertThat(after.weightBytes()).isPositive();
    assertThat(after.hitRate()).isBetween(0.0, 1.0);
  }
}
