package dev.hotpath.serve.cache;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.App;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.ProductRepresentation;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.RedisServer;
import dev.hotpath.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three instances on one database and one real Redis (Debian's redis-server, started here): the
 * second cache level is shared, filled once per key across the instances, never serves what a write
 * replaced once the write has answered, and Redis dying costs no request.
 */
class SharedLevelTest {
  private static final TestServer server = TestServer.get();
  private static RedisServer redis;
  private static final List<App> instances = new ArrayList<>();
  private static final List<Api> apis = new ArrayList<>();

  private final Fixtures fx = new Fixtures(server);

  @BeforeAll
  static void startRedisAndThreeInstances() {
    redis = RedisServer.start();
    for (int i = 0; i < 3; i++) {
      App app =
          App.start(
              server.secondInstance(
                  Map.of(
                      // B (1) keeps no first level of its own: every read of it goes to Redis
                      "HOTPATH_CACHE_MAX_MB", i == 1 ? "0" : "64",
                      // the cache alone: what this test counts are Redis round trips of the
                      // cache, and shared limits add their own (SharedRateLimitTest counts those)
                      "HOTPATH_RATE_LIMITS", "off",
                      "HOTPATH_REDIS_URL", redis.url(),
                      "HOTPATH_DB_POOL_SIZE", "4",
                      // a busy machine: generous bounds, so that only a real fault falls back
                      "HOTPATH_REDIS_TIMEOUT_MS", "2000",
                      "HOTPATH_REDIS_PROBE_MS", "50",
                      "HOTPATH_REDIS_LEASE_MS", "30000",
                      "HOTPATH_REDIS_LEASE_WAIT_MS", "20000")));
      instances.add(app);
      apis.add(Api.of("http://localhost:" + app.port()));
    }
    for (App app : instances) {
      assertThat(app.redis().orElseThrow().awaitUp(Duration.ofSeconds(30))).isTrue();
    }
  }

  @AfterAll
  static void stopThem() {
    instances.forEach(App::close);
    if (redis != null) {
      redis.close();
    }
  }

  private static SharedLevel.Stats stats(int instance) {
    return instances.get(instance).cache().shared().orElseThrow().stats();
  }

  private static long databaseLoads() {
    long sum = 0;
    for (int i = 0; i < instances.size(); i++) {
      sum += stats(i).databaseLoads();
    }
    return sum;
  }

  @Test
  void aRepresentationLoadedByOneInstanceIsServedToAnotherWithoutTheDatabase() {
    long product = fx.product(250, 9);
    String path = "/v1/products/" + product;
    Api.Response first = apis.get(0).get(path);
    assertThat(first.status()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> redis.command("EXISTS " + "hp:{p:" + product + "}").equals(":1"));

    long queries = instances.get(1).queries().total();
    long hits = stats(1).hits();
    Api.Response second = apis.get(1).get(path);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.body()).isEqualTo(first.body());
    assertThat(second.header("ETag")).isEqualTo(first.header("ETag"));
    assertThat(stats(1).hits()).as("a hit in Redis").isEqualTo(hits + 1);
    assertThat(instances.get(1).queries().total()).as("no query on B").isEqualTo(queries);

    // the gzip form came from Redis with the body: C holds it without having compressed anything
    assertThat(apis.get(2).get(path).body()).isEqualTo(first.body());
    CacheKey key = CacheKey.of(Kind.PRODUCT, product, ProductRepresentation.FIELDS.all(), 0);
    var held = instances.get(2).cache().peek(key).orElseThrow().representation();
    assertThat(held.hasGzip()).isTrue();
    assertThat(held.etag().toString()).isEqualTo(first.header("ETag").orElseThrow());
  }

  @Test
  void twoHundredConcurrentColdMissesOnThreeInstancesLoadFromTheDatabaseOnce() {
    long product = fx.product(990, 3);
    String path = "/v1/products/" + product;
    long before = databaseLoads();
    List<CompletableFuture<Api.Response>> answers = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Api api = apis.get(i % 3);
      answers.add(api.sendAsync(api.request(path).GET().build()));
    }
    Set<String> etags = new HashSet<>();
    for (CompletableFuture<Api.Response> answer : answers) {
      Api.Response r = answer.join();
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      etags.add(r.header("ETag").orElseThrow());
    }
    assertThat(etags).hasSize(1);
    assertThat(databaseLoads() - before).as("loads from the database, all instances").isEqualTo(1);
  }

  @Test
  void aWriteOnOneInstanceIsNeverServedStaleFromRedisByAnotherOnceItAnswered() {
    for (int round = 0; round < 10; round++) {
      long customer = fx.customer();
      String path = "/v1/customers/" + customer;
      // C loads it and fills Redis; B reads it from Redis
      assertThat(apis.get(2).get(path).json().get("name").asText()).isEqualTo("Fixture");
      assertThat(apis.get(1).get(path).json().get("name").asText()).isEqualTo("Fixture");
      String renamed = "Renamed " + round;
      Api.Response patched = apis.get(0).patchCurrent(path, "{\"name\":\"" + renamed + "\"}");
      assertThat(patched.status()).isEqualTo(200);
      // the moment A has answered, B (no first level: HOTPATH_CACHE_MAX_MB=0) sees the write
      Api.Response onB = apis.get(1).get(path);
      assertThat(onB.json().get("name").asText()).as("round " + round).isEqualTo(renamed);
      assertThat(onB.header("ETag")).isEqualTo(patched.header("ETag"));
    }
  }

  @Test
  void aFillThatReadTheDatabaseBeforeAWriteIsNeverStoredAfterIt() throws Exception {
    App a = instances.get(0);
    SharedLevel level = new SharedLevel(a.redis().orElseThrow(), a.vertx());
    long id = 8_000_000_000L + System.nanoTime() % 1_000_000; // no route reads this resource
    CacheKey key = new CacheKey(Kind.PRODUCT, id, 1, 0, 0);
    String hash = "hp:{p:" + id + "}";
    Promise<Optional<Representation>> heldRead = Promise.promise();
    CompletableFuture<Optional<Representation>> answered = new CompletableFuture<>();
    a.vertx()
        .runOnContext(
            v ->
                level
                    .load(key, k -> heldRead.future())
                    .onComplete(ar -> answered.complete(ar.result())));
    // the lease is taken (and the generation read) before the database is read
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> ":1".equals(redis.command("EXISTS " + hash + ":l:1:0:0")));

    // a write commits and deletes; then the read that started before it comes back
    level
        .invalidate(List.of(key.owner()))
        .toCompletionStage()
        .toCompletableFuture()
        .get(30, SECONDS);
    Representation old = representation(id, "{\"name\":\"old\"}", Optional.empty());
    a.vertx().runOnContext(v -> heldRead.complete(Optional.of(old)));

    assertThat(answered.get(30, SECONDS)).as("the request gets what it read").contains(old);
    await().atMost(Duration.ofSeconds(30)).until(() -> level.stats().refusedFills() == 1);
    assertThat(redis.command("EXISTS " + hash)).as("never stored").isEqualTo(":0");

    // with no write in between, a fill is stored, and read back whole: body, gzip form, validators
    Representation current = representation(id, "{\"name\":\"current\"}", Optional.of("next-page"));
    assertThat(load(a, level, key, current)).contains(current);
    await().atMost(Duration.ofSeconds(30)).until(() -> level.stats().fills() == 1);
    Representation back = load(a, level, key, null).orElseThrow();
    assertThat(level.stats().hits()).isEqualTo(1);
    assertThat(back.body()).isEqualTo(current.body());
    assertThat(back.gzip()).isEqualTo(current.gzip());
    assertThat(back.etag().toString()).isEqualTo(current.etag().toString());
    assertThat(back.lastModified()).isEqualTo(current.lastModified());
    assertThat(back.nextCursor()).isEqualTo(current.nextCursor());
    assertThat(back.owner()).isEqualTo(current.owner());
  }

  private static Representation representation(long id, String json, Optional<String> cursor) {
    return Representation.cached(Buffer.buffer(json), "p" + id + "v1", 1_700_000_000L, cursor, 42);
  }

  /** Loads {@code key} through {@code level}; the database answers {@code fromDatabase}. */
  private static Optional<Representation> load(
      App app, SharedLevel level, CacheKey key, Representation fromDatabase) throws Exception {
    CompletableFuture<Optional<Representation>> answered = new CompletableFuture<>();
    app.vertx()
        .runOnContext(
            v ->
                level
                    .load(key, k -> Future.succeededFuture(Optional.ofNullable(fromDatabase)))
                    .onComplete(ar -> answered.complete(ar.result())));
    return answered.get(30, SECONDS);
  }

  @Test
  void aHungRedisStallsNoRequestBeyondTheCommandTimeout() {
    double transitions = metric(0, "hotpath_redis_transitions_total");
    redis.freeze();
    long start = System.nanoTime();
    try {
      for (int i = 0; i < 5; i++) {
        long product = fx.product(140 + i, 1);
        for (Api api : apis) {
          assertThat(api.get("/v1/products/" + product).status()).isEqualTo(200);
        }
      }
      // 15 reads answered while Redis answers nothing: each instance paid one command timeout
      // (2 s here), then went on without Redis
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
      for (App app : instances) {
        assertThat(app.redis().orElseThrow().up()).isFalse();
      }
    } finally {
      redis.thaw();
    }
    for (App app : instances) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.redis().orElseThrow().up());
    }
    // one transition down, one back up (each logged once), however many requests met it
    assertThat(metric(0, "hotpath_redis_transitions_total")).isEqualTo(transitions + 2);
  }

  /** A value from instance {@code i}'s /metrics. */
  private static double metric(int i, String name) {
    for (String line : apis.get(i).get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  @Test
  void redisKilledCostsNoRequestAndItsReturnIsPickedUpWithoutRestart() {
    long product = fx.product(120, 4);
    String path = "/v1/products/" + product;
    assertThat(apis.get(0).get(path).status()).isEqualTo(200);

    redis.kill();
    try {
      // every request answers while Redis is gone, from the local cache or the database
      for (int i = 0; i < 30; i++) {
        long other = fx.product(100 + i, 1);
        for (Api api : apis) {
          assertThat(api.get("/v1/products/" + other).status()).isEqualTo(200);
          assertThat(api.get(path).status()).isEqualTo(200);
        }
      }
      for (App app : instances) {
        assertThat(app.redis().orElseThrow().up()).isFalse();
      }
      String metrics = apis.get(0).get("/metrics").body();
      assertThat(metrics)
          .contains("hotpath_redis_up 0.0")
          .containsPattern("hotpath_redis_errors_total [1-9]")
          .contains("hotpath_cache_shared_total{outcome=\"skipped_down\"}");
    } finally {
      redis.startAgain();
    }
    for (App app : instances) {
      await().atMost(Duration.ofSeconds(60)).until(() -> app.redis().orElseThrow().up());
    }
    // shared again: a representation loaded by A is a Redis hit on B
    long fresh = fx.product(333, 2);
    assertThat(apis.get(0).get("/v1/products/" + fresh).status()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> redis.command("EXISTS hp:{p:" + fresh + "}").equals(":1"));
    long hits = stats(1).hits();
    assertThat(apis.get(1).get("/v1/products/" + fresh).status()).isEqualTo(200);
    assertThat(stats(1).hits()).isEqualTo(hits + 1);
  }
}
