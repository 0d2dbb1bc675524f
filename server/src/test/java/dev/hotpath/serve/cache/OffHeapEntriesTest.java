package dev.hotpath.serve.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.hotpath.config.CacheSettings;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.ResponseCache.Entry;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import io.netty.buffer.ByteBuf;
import io.netty.util.ResourceLeakDetector;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cache keeps bodies in pooled direct buffers, counted: every removal frees a body once no
 * reader holds it, a reader holding one (a write in flight) keeps its bytes whole, and nothing is
 * left held once the cache is emptied. Netty's leak detector watches every buffer here (PARANOID).
 */
class OffHeapEntriesTest {
  private static final Duration TTL = Duration.ofSeconds(60);
  private static ResourceLeakDetector.Level level;

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Ticker ticker = now::get;
  private final ResponseCache cache =
      new ResponseCache(
          new CacheSettings(1 << 20, TTL, Duration.ofSeconds(2)), ticker, Runnable::run);

  @BeforeAll
  static void paranoid() {
    level = ResourceLeakDetector.getLevel();
    System.setProperty("io.netty.leakDetection.level", "paranoid");
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  @AfterAll
  static void back() {
    ResourceLeakDetector.setLevel(level);
  }

  /** Loads the test completes, one promise per call, in call order. */
  private static final class Loads implements ResponseCache.Loader {
    final List<Promise<Optional<Representation>>> pending = new ArrayList<>();

    @Override
    public synchronized Future<Optional<Representation>> load(CacheKey key) {
      Promise<Optional<Representation>> promise = Promise.promise();
      pending.add(promise);
      return promise.future();
    }

    synchronized int calls() {
      return pending.size();
    }

    void complete(int call, String text) {
      pending.get(call).complete(Optional.of(rep(text)));
    }
  }

  private static Representation rep(String text) {
    return Representation.cached(
        Buffer.buffer(text), "t" + text.length(), 0, Optional.empty(), Representation.NO_OWNER);
  }

  private static CacheKey key(Kind kind, long id) {
    return new CacheKey(kind, id, 0, 0, 0);
  }

  private static String text(ByteBuf bytes) {
    return bytes.toString(bytes.readerIndex(), bytes.readableBytes(), StandardCharsets.UTF_8);
  }

  private static String body(CompletableFuture<Entry> entry) {
    return entry.join().representation().body().toString(StandardCharsets.UTF_8);
  }

  @Test
  void aKeptBodyIsOffTheHeapAndReadersGetTheSameBytesOnTheHeap() {
    Loads loads = new Loads();
    ResponseCache.Lookup lookup = cache.lookup(loads);
    CacheKey key = key(Kind.ORDER, 1);
    CompletableFuture<Entry> waiting = lookup.get(key);
    String json = "{\"id\":1,\"lines\":[" + "1,".repeat(500) + "2]}";
    loads.complete(0, json);

    assertThat(body(waiting)).isEqualTo(json);
    assertThat(waiting.join().representation().isOffHeap()).isFalse();
    assertThat(cache.directBytes()).isEqualTo(json.length());
    Representation hit = lookup.hit(key);
    assertThat(hit).isNotNull();
    try {
      assertThat(hit.isOffHeap()).isTrue();
      assertThat(hit.content().isDirect()).isTrue();
      assertThat(text(hit.content())).isEqualTo(json);
      assertThat(hit.etag().toString()).isEqualTo("\"t" + json.length() + "\"");
    } finally {
      hit.release();
    }
    assertThat(body(lookup.get(key))).isEqualTo(json);
    // a gzip form made from a heap copy is kept with the entry: the next copy has it
    lookup.get(key).join().representation().gzip();
    assertThat(lookup.get(key).join().representation().hasGzip()).isTrue();
    assertThat(loads.calls()).isEqualTo(1);
  }

  @Test
  void anEvictionWhileAWriteIsInFlightFreesTheBodyOnlyWhenTheWriteGivesItBack() {
    Loads loads = new Loads();
    ResponseCache.Lookup lookup = cache.lookup(loads);
    CacheKey key = key(Kind.ORDER, 2);
    lookup.get(key);
    loads.complete(0, "{\"id\":2,\"v\":1}");
    Representation inFlight = lookup.hit(key); // a write's reference, as PreparedRead takes it
    assertThat(inFlight).isNotNull();

    cache.invalidate(new Owner(Kind.ORDER, 2)); // a write evicts it meanwhile
    cache.cleanUp();

    assertThat(inFlight.references()).isEqualTo(1);
    assertThat(text(inFlight.content())).isEqualTo("{\"id\":2,\"v\":1}");
    assertThat(cache.directBytes()).isEqualTo(14);
    // the next reader misses rather than take a reference to a removed entry
    assertThat(lookup.hit(key)).isNull();
    inFlight.release();
    assertThat(inFlight.references()).isZero();
    assertThat(inFlight.acquire()).as("freed for good").isFalse();
    assertThat(cache.directBytes()).isZero();
  }

  @Test
  void everyWayOutOfTheCacheFreesItsBody() {
    Loads loads = new Loads();
    ResponseCache.Lookup lookup = cache.lookup(loads);
    // invalidation, expiry and clear
    lookup.get(key(Kind.ORDER, 3));
    lookup.get(key(Kind.PRODUCT, 3));
    lookup.get(key(Kind.CUSTOMER, 3));
    loads.complete(0, "order 3");
    loads.complete(1, "product 3");
    loads.complete(2, "customer 3");
    assertThat(cache.directBytes()).isEqualTo(7 + 9 + 10);
    cache.invalidate(new Owner(Kind.ORDER, 3));
    assertThat(cache.directBytes()).isEqualTo(9 + 10);
    now.addAndGet(TTL.toNanos() + 1);
    cache.cleanUp();
    assertThat(cache.directBytes()).isZero();
    lookup.get(key(Kind.ORDER, 4));
    loads.complete(3, "order 4");
    cache.clear();
    cache.cleanUp();
    assertThat(cache.directBytes()).isZero();

    // a load an invalidation overtook is never kept: its body is freed once it completes
    CompletableFuture<Entry> overtaken = lookup.get(key(Kind.ORDER, 5));
    cache.invalidate(new Owner(Kind.ORDER, 5));
    loads.complete(4, "order 5 v1");
    cache.cleanUp();
    if (loads.calls() > 5) {
      loads.complete(5, "order 5 v2"); // the waiter found it freed and looked it up again
    }
    assertThat(overtaken.join().found()).isTrue();
    cache.clear();
    cache.cleanUp();
    assertThat(cache.directBytes()).isZero();
  }

  @Test
  void theSizeBoundEvictsAndFreesOffHeapBodies() {
    ResponseCache small =
        new ResponseCache(
            new CacheSettings(64 * 1024, TTL, Duration.ofSeconds(2)), ticker, Runnable::run);
    ResponseCache.Lookup lookup =
        small.lookup(key -> Future.succeededFuture(Optional.of(rep("x".repeat(2000)))));
    for (long id = 1; id <= 200; id++) {
      assertThat(lookup.get(key(Kind.ORDER, id)).join().representation().length()).isEqualTo(2000);
    }
    small.cleanUp();
    assertThat(small.stats().evictions()).isPositive();
    assertThat(small.directBytes()).isEqualTo(small.stats().entries() * 2000);
    assertThat(small.directBytes()).isLessThanOrEqualTo(64 * 1024);
    small.clear();
    small.cleanUp();
    assertThat(small.directBytes()).isZero();
  }

  @Test
  void aRefreshThatFindsItsEntryGoneFreesWhatItLoaded() {
    Loads loads = new Loads();
    ResponseCache.Lookup lookup = cache.lookup(loads);
    CacheKey key = key(Kind.PRODUCT, 6);
    lookup.get(key);
    now.addAndGet(Duration.ofMillis(100).toNanos());
    loads.complete(0, "product 6 v1");
    now.addAndGet(TTL.toNanos() - Duration.ofMillis(150).toNanos());
    for (int hits = 0; loads.calls() == 1 && hits < 200; hits++) {
      lookup.get(key);
    }
    assertThat(loads.calls()).isEqualTo(2);
    cache.invalidate(new Owner(Kind.PRODUCT, 6));
    loads.complete(1, "product 6 v2");
    cache.cleanUp();
    assertThat(cache.directBytes()).isZero();

    // and a refresh that replaces its entry frees the one it replaced
    lookup.get(key);
    loads.complete(2, "product 6 v3");
    now.addAndGet(TTL.toNanos() - Duration.ofMillis(150).toNanos());
    for (int hits = 0; loads.calls() == 3 && hits < 200; hits++) {
      lookup.get(key);
    }
    loads.complete(3, "product 6 v4");
    cache.cleanUp();
    assertThat(body(lookup.get(key))).isEqualTo("product 6 v4");
    assertThat(cache.directBytes()).isEqualTo(12);
    cache.clear();
    cache.cleanUp();
    assertThat(cache.directBytes()).isZero();
  }
}
