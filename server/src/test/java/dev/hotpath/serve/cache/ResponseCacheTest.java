package dev.hotpath.serve.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.hotpath.config.CacheSettings;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.ResponseCache.Entry;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ResponseCacheTest {
  private static final Duration TTL = Duration.ofSeconds(60);
  private static final Duration NEGATIVE_TTL = Duration.ofSeconds(2);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Ticker ticker = now::get;
  private final ResponseCache cache =
      new ResponseCache(new CacheSettings(1 << 20, TTL, NEGATIVE_TTL), ticker, Runnable::run);

  /** A loader whose loads the test completes, one promise per call, in call order. */
  private static final class ManualLoader implements ResponseCache.Loader {
    final List<CacheKey> keys = new ArrayList<>();
    final List<Promise<Optional<Representation>>> pending = new ArrayList<>();

    @Override
    public synchronized Future<Optional<Representation>> load(CacheKey key) {
      keys.add(key);
      Promise<Optional<Representation>> promise = Promise.promise();
      pending.add(promise);
      return promise.future();
    }

    synchronized int calls() {
      return keys.size();
    }

    void complete(int call, String tag) {
      pending.get(call).complete(Optional.of(rep(tag)));
    }

    void completeAbsent(int call) {
      pending.get(call).complete(Optional.empty());
    }
  }

  private static Representation rep(String tag) {
    return Representation.cached(
        Buffer.buffer("{\"tag\":\"" + tag + "\"}"),
        tag,
        0,
        Optional.empty(),
        Representation.NO_OWNER);
  }

  private static CacheKey key(Kind kind, long id, long fields) {
    return new CacheKey(kind, id, fields, 0, 0);
  }

  /** The entity tag of a hit, its reference to the off-heap body given back, as a caller must. */
  private static String hitTag(ResponseCache.Lookup lookup, CacheKey key) {
    Representation rep = lookup.hit(key);
    assertThat(rep).isNotNull();
    try {
      return rep.etag().toString();
    } finally {
      rep.release();
    }
  }

  private static String tagOf(CompletableFuture<Entry> future) {
    return future.join().representation().etag().toString();
  }

  @Test
  void concurrentMissesOfOneKeyShareOneLoad() throws Exception {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey key = key(Kind.PRODUCT, 7, 0);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    List<java.util.concurrent.Future<CompletableFuture<Entry>>> calls = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      calls.add(
          pool.submit(
              () -> {
                start.await();
                return lookup.get(key);
              }));
    }
    start.countDown();
    List<CompletableFuture<Entry>> futures = new ArrayList<>();
    for (var call : calls) {
      futures.add(call.get(10, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertThat(loader.calls()).isEqualTo(1);
    assertThat(futures).allSatisfy(f -> assertThat(f).isNotDone());

    loader.complete(0, "p7v1");
    assertThat(futures).allSatisfy(f -> assertThat(tagOf(f)).isEqualTo("\"p7v1\""));
    assertThat(tagOf(lookup.get(key))).isEqualTo("\"p7v1\"");
    assertThat(loader.calls()).isEqualTo(1);
    assertThat(cache.stats().loads()).isEqualTo(1);
    assertThat(cache.stats().misses()).isEqualTo(1);
    assertThat(cache.stats().hits()).isEqualTo(1000);
  }

  @Test
  void aLoadThatAnInvalidationOvertookServesItsWaitersButIsNotKept() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey key = key(Kind.CUSTOMER, 1, 0);
    CompletableFuture<Entry> waiting = lookup.get(key);

    cache.invalidate(new Owner(Kind.CUSTOMER, 1));
    loader.complete(0, "c1v1");

    assertThat(tagOf(waiting)).isEqualTo("\"c1v1\"");
    assertThat(cache.peek(key)).isEmpty();
    CompletableFuture<Entry> again = lookup.get(key);
    assertThat(loader.calls()).isEqualTo(2);
    loader.complete(1, "c1v2");
    assertThat(tagOf(again)).isEqualTo("\"c1v2\"");
  }

  @Test
  void invalidatingAnOwnerEvictsEveryRepresentationOfItAndNothingElse() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    List<CacheKey> ofCustomer =
        List.of(
            key(Kind.CUSTOMER_ORDERS, 5, 0),
            key(Kind.CUSTOMER_ORDERS, 5, 0x3),
            new CacheKey(Kind.CUSTOMER_ORDERS, 5, 0, 0, 1 << 8 | 20));
    CacheKey customer = key(Kind.CUSTOMER, 5, 0);
    CacheKey otherPage = key(Kind.CUSTOMER_ORDERS, 6, 0);
    for (CacheKey k : ofCustomer) {
      lookup.get(k);
    }
    lookup.get(customer);
    lookup.get(otherPage);
    for (int i = 0; i < loader.calls(); i++) {
      loader.complete(i, "t" + i);
    }

    cache.invalidate(new Owner(Kind.CUSTOMER_ORDERS, 5));

    for (CacheKey k : ofCustomer) {
      assertThat(cache.peek(k)).as(k.toString()).isEmpty();
    }
    assertThat(cache.peek(customer)).isPresent();
    assertThat(cache.peek(otherPage)).isPresent();
    assertThat(cache.indexed(new Owner(Kind.CUSTOMER_ORDERS, 5))).isEmpty();
  }

  @Test
  void entriesLiveForTheirTtlAndNotFoundForTheShorterOne() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey found = key(Kind.ORDER, 1, 0);
    CacheKey missing = key(Kind.ORDER, 2, 0);
    lookup.get(found);
    lookup.get(missing);
    loader.complete(0, "o1v1");
    loader.completeAbsent(1);
    assertThat(cache.peek(missing)).hasValueSatisfying(e -> assertThat(e.found()).isFalse());

    now.addAndGet(NEGATIVE_TTL.toNanos() + 1);
    assertThat(cache.peek(missing)).isEmpty();
    assertThat(cache.peek(found)).isPresent();

    now.addAndGet(TTL.toNanos());
    assertThat(cache.peek(found)).isEmpty();
  }

  @Test
  void aNotFoundEntryIsLoadedAgainOnceItsShorterLifetimeHasPassed() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey missing = key(Kind.ORDER, 3, 0);
    lookup.get(missing);
    loader.completeAbsent(0);
    now.addAndGet(NEGATIVE_TTL.toNanos() - 1);
    assertThat(lookup.get(missing).join().found()).isFalse();
    assertThat(loader.calls()).as("within its lifetime: a hit").isEqualTo(1);

    now.addAndGet(1);
    CompletableFuture<Entry> again = lookup.get(missing);
    assertThat(loader.calls()).as("past it: one new load").isEqualTo(2);
    assertThat(again).isNotDone();
    // each caller gets its own future (a heap copy of the kept body), of the one shared load
    assertThat(lookup.get(missing)).as("concurrent misses share it").isNotDone();
    assertThat(loader.calls()).isEqualTo(2);
    loader.complete(1, "o3v1");
    assertThat(tagOf(lookup.get(missing))).isEqualTo("\"o3v1\"");
    assertThat(loader.calls()).isEqualTo(2);
    // the found entry lives the full ttl, counted from its own load
    // before XFetch's horizon (40 deltas, a delta at least a hundredth of the TTL: 24 s)
    now.addAndGet(TTL.toNanos() - Duration.ofSeconds(25).toNanos());
    assertThat(tagOf(lookup.get(missing))).isEqualTo("\"o3v1\"");
    now.addAndGet(Duration.ofSeconds(25).toNanos());
    lookup.get(missing);
    assertThat(loader.calls()).isEqualTo(3);
  }

  /**
   * The one-lookup hit of a request answered below Vert.x: a loaded, found entry is returned and
   * counted as a hit; an absent key, a load in flight and a not-found entry give null with nothing
   * counted and nothing loaded; near its expiry a hit refreshes as the ordinary lookup does.
   */
  @Test
  void aHitIsCountedAndAnythingElseIsLeftToTheOrdinaryLookup() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey found = key(Kind.ORDER, 21, 0);
    CacheKey missing = key(Kind.ORDER, 22, 0);
    assertThat(lookup.hit(found)).isNull();
    assertThat(loader.calls()).isZero();
    lookup.get(found);
    assertThat(lookup.hit(found)).as("loading").isNull();
    lookup.get(missing);
    now.addAndGet(Duration.ofMillis(100).toNanos()); // the loads took 100 ms
    loader.complete(0, "o21v1");
    loader.completeAbsent(1);
    assertThat(lookup.hit(missing)).as("not found").isNull();
    long hits = cache.stats().hits();
    long misses = cache.stats().misses();
    assertThat(hitTag(lookup, found)).isEqualTo("\"o21v1\"");
    assertThat(cache.stats().hits()).isEqualTo(hits + 1);
    assertThat(cache.stats().misses()).isEqualTo(misses);
    assertThat(loader.calls()).isEqualTo(2);

    now.addAndGet(TTL.toNanos() - Duration.ofMillis(50).toNanos());
    int n = 0;
    while (loader.calls() == 2 && n < 200) {
      assertThat(hitTag(lookup, found)).isEqualTo("\"o21v1\"");
      n++;
    }
    assertThat(loader.calls()).as("refreshed within %d hits", n).isEqualTo(3);
    loader.complete(2, "o21v2");
    assertThat(hitTag(lookup, found)).isEqualTo("\"o21v2\"");
  }

  @Test
  void aHotEntryIsRefreshedInTheBackgroundBeforeItExpires() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey key = key(Kind.PRODUCT, 9, 0);
    lookup.get(key);
    now.addAndGet(Duration.ofMillis(100).toNanos()); // the load took 100 ms
    loader.complete(0, "p9v1");

    // far from expiry a hit never refreshes
    for (int i = 0; i < 10_000; i++) {
      lookup.get(key);
    }
    assertThat(loader.calls()).isEqualTo(1);

    // within a load time of expiry each hit refreshes with probability > 1 - 1/e
    now.addAndGet(TTL.toNanos() - Duration.ofMillis(50).toNanos());
    int hits = 0;
    while (loader.calls() == 1 && hits < 200) {
      assertThat(tagOf(lookup.get(key))).isEqualTo("\"p9v1\"");
      hits++;
    }
    assertThat(loader.calls()).as("refreshed within %d hits", hits).isEqualTo(2);
    // one refresh at a time, and the old entry is served meanwhile
    for (int i = 0; i < 100; i++) {
      assertThat(tagOf(lookup.get(key))).isEqualTo("\"p9v1\"");
    }
    assertThat(loader.calls()).isEqualTo(2);

    loader.complete(1, "p9v2");
    assertThat(tagOf(lookup.get(key))).isEqualTo("\"p9v2\"");
    now.addAndGet(Duration.ofMillis(100).toNanos()); // the first load's expiry has passed
    assertThat(cache.peek(key)).hasValueSatisfying(e -> assertThat(e.found()).isTrue());
    assertThat(cache.stats().refreshes()).isEqualTo(1);
  }

  /**
   * Entries loaded together and hit steadily are renewed before they expire, even when their load
   * took no time (XFetch's delta alone would be the load's time and refresh within nanoseconds of
   * expiry): 1,000 orders loaded at once and each hit every 140 ms (the cached-read benchmark's
   * rate per order) through their lifetime. Before the lifetime's floor on delta every one of them
   * expired in the same instant, 1,000 misses together; now each is there at expiry with
   * probability about e^-7 (about one of the thousand).
   */
  @Test
  void entriesLoadedTogetherAndHitSteadilyAreRenewedBeforeTheyExpireTogether() {
    ResponseCache.Lookup lookup =
        cache.lookup(key -> Future.succeededFuture(Optional.of(rep("o" + key.id()))));
    int orders = 1_000;
    for (int id = 1; id <= orders; id++) {
      lookup.get(key(Kind.ORDER, id, 0));
    }
    long misses = cache.stats().misses();
    long step = Duration.ofMillis(140).toNanos();
    for (long t = step; t <= TTL.toNanos() + step; t += step) {
      now.addAndGet(step);
      for (int id = 1; id <= orders; id++) {
        assertThat(tagOf(lookup.get(key(Kind.ORDER, id, 0)))).isEqualTo("\"o" + id + "\"");
      }
    }
    assertThat(cache.stats().misses() - misses).as("expired at once").isLessThan(20);
    assertThat(cache.stats().refreshes()).isGreaterThan(orders - 20);
  }

  @Test
  void aRefreshThatAnInvalidationOvertookIsDropped() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey key = key(Kind.PRODUCT, 10, 0);
    lookup.get(key);
    now.addAndGet(Duration.ofMillis(100).toNanos());
    loader.complete(0, "p10v1");
    now.addAndGet(TTL.toNanos() - Duration.ofMillis(150).toNanos());
    for (int hits = 0; loader.calls() == 1 && hits < 200; hits++) {
      lookup.get(key);
    }
    assertThat(loader.calls()).isEqualTo(2);

    cache.invalidate(new Owner(Kind.PRODUCT, 10));
    loader.complete(1, "p10v2-stale");

    assertThat(cache.peek(key)).isEmpty();
  }

  @Test
  void aKeyReloadedAfterExpiryIsStillFoundByInvalidation() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey key = key(Kind.CUSTOMER, 11, 0);
    lookup.get(key);
    loader.complete(0, "c11v1");
    now.addAndGet(TTL.toNanos() + 1);
    lookup.get(key); // expired: evicted and loaded again in one step
    loader.complete(1, "c11v2");
    cache.cleanUp();
    assertThat(cache.peek(key)).isPresent();

    cache.invalidate(new Owner(Kind.CUSTOMER, 11));

    assertThat(cache.peek(key)).isEmpty();
  }

  @Test
  void theSizeBoundEvictsAndTheIndexForgetsWhatWasEvicted() {
    ResponseCache small =
        new ResponseCache(new CacheSettings(64 * 1024, TTL, NEGATIVE_TTL), ticker, Runnable::run);
    ResponseCache.Lookup lookup =
        small.lookup(
            key ->
                Future.succeededFuture(
                    Optional.of(
                        Representation.cached(
                            Buffer.buffer("x".repeat(2000)),
                            "o" + key.id() + "v1",
                            0,
                            Optional.empty(),
                            Representation.NO_OWNER))));
    for (long id = 1; id <= 200; id++) {
      lookup.get(key(Kind.ORDER, id, 0));
    }
    small.cleanUp();
    ResponseCache.Stats stats = small.stats();
    assertThat(stats.evictions()).isPositive();
    assertThat(stats.weightBytes()).isLessThanOrEqualTo(64 * 1024);
    long indexed = 0;
    for (long id = 1; id <= 200; id++) {
      CacheKey k = key(Kind.ORDER, id, 0);
      boolean cached = small.peek(k).isPresent();
      boolean inIndex = !small.indexed(k.owner()).isEmpty();
      assertThat(inIndex).as("order %d cached=%s", id, cached).isEqualTo(cached);
      indexed += inIndex ? 1 : 0;
    }
    assertThat(indexed).isEqualTo(stats.entries());
  }

  @Test
  void aFailedLoadIsNotCachedAndTheNextRequestTriesAgain() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    CacheKey key = key(Kind.ORDER, 12, 0);
    CompletableFuture<Entry> first = lookup.get(key);
    loader.pending.get(0).fail(new IllegalStateException("database down"));
    assertThat(first).isCompletedExceptionally();
    lookup.get(key);
    assertThat(loader.calls()).isEqualTo(2);
    assertThat(cache.stats().loadFailures()).isEqualTo(1);
  }

  @Test
  void clearEvictsEverything() {
    ManualLoader loader = new ManualLoader();
    ResponseCache.Lookup lookup = cache.lookup(loader);
    lookup.get(key(Kind.ORDER, 1, 0));
    lookup.get(key(Kind.PRODUCT, 1, 0));
    loader.complete(0, "a");
    loader.complete(1, "b");
    cache.clear();
    assertThat(cache.peek(key(Kind.ORDER, 1, 0))).isEmpty();
    assertThat(cache.peek(key(Kind.PRODUCT, 1, 0))).isEmpty();
    assertThat(cache.indexed(new Owner(Kind.ORDER, 1))).isEmpty();
  }

  @Test
  void ownerTokensRoundTrip() {
    for (Kind kind : Kind.values()) {
      Owner owner = new Owner(kind, 42);
      assertThat(Owner.parse(owner.token())).contains(owner);
    }
    assertThat(Owner.parse("x:1")).isEmpty();
    assertThat(Owner.parse("c:")).isEmpty();
    assertThat(Owner.parse("c:-1")).isEmpty();
    assertThat(Owner.parse("c")).isEmpty();
  }
}
