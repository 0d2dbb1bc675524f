package dev.hotpath.serve.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.ConcurrentStatsCounter;
import dev.hotpath.config.CacheSettings;
import dev.hotpath.http.Representation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * The process-wide cache of encoded responses: a hot read is answered with bytes encoded once,
 * without a query and without JSON encoding. One instance serves every event loop (thread-safe).
 *
 * <p><b>Keys.</b> An entry is one representation ({@link CacheKey}: resource kind, id, fieldset
 * and, for pages, status filter and limit) of one resource ({@link Owner}). Writes evict by owner:
 * every representation of it goes at once, through a secondary index from owner to its keys.
 *
 * <p><b>Loads.</b> Concurrent misses of one key share one load (Caffeine keeps one future per key).
 * A hit close to its expiry may refresh it early, in the background, with probability rising as
 * expiry nears and scaled by how long the load took, at least a hundredth of the lifetime (XFetch,
 * beta = 1): hot entries are replaced before they expire, so expiry sends no burst to the database
 * even when many were loaded at once. An early refresh replaces the entry only if the entry it
 * refreshed is still there, so a refresh that raced an invalidation is dropped.
 *
 * <p><b>Invalidation.</b> {@link #invalidate} removes entries and in-flight loads alike: a load
 * that started before a write and finishes after its invalidation is handed to the requests that
 * were waiting for it, and never stored.
 */
public final class ResponseCache implements MeterBinder {
  /** XFetch's beta: 1 is the setting the paper finds optimal in expectation. */
  private static final double BETA = 1.0;

  /** Beyond this many deltas before expiry the refresh probability is below e^-40: skip. */
  private static final long HORIZON = 40;

  /**
   * XFetch's delta is at least the lifetime over this. With delta the load's time alone (half a
   * millisecond for an order), a hit refreshed only within a few milliseconds of expiry: of 10,000
   * orders loaded in the first second of a cached-read load and each hit about 7 times a second,
   * some 650 were refreshed and 9,300 expired together a minute later, misses to the database in
   * one second and their new entries promoted at once. With a hundredth of the lifetime (600 ms of
   * 60 s), an entry hit every 140 ms is still there at expiry with probability about e^-7 (the
   * product of 1 - e^-(r/delta) over its hits at r before expiry), one hit every 10 s about e^-0.1:
   * hot entries are renewed in about their last 1-2 % of life, cold ones expire as before.
   */
  private static final long SPREAD = 100;

  /** A resource kind and the code naming it in invalidation messages. */
  public enum Kind {
    CUSTOMER("c"),
    PRODUCT("p"),
    ORDER("o"),
    /** The first page of a customer's orders, by status filter, limit and fieldset. */
    CUSTOMER_ORDERS("co");

    private final String code;

    Kind(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }

    static Optional<Kind> ofCode(String code) {
      for (Kind k : values()) {
        if (k.code.equals(code)) {
          return Optional.of(k);
        }
      }
      return Optional.empty();
    }
  }

  /** One resource: what a write changes, and the unit of invalidation. */
  public record Owner(Kind kind, long id) {
    /** {@code code:id}, as in invalidation messages. */
    public String token() {
      return kind.code + ":" + id;
    }

    /** Parses {@link #token()}; empty for anything else. */
    public static Optional<Owner> parse(String token) {
      int colon = token.indexOf(':');
      if (colon <= 0) {
        return Optional.empty();
      }
      Optional<Kind> kind = Kind.ofCode(token.substring(0, colon));
      long id = dev.hotpath.http.Params.parsePositiveLong(token.substring(colon + 1));
      return kind.isEmpty() || id <= 0 ? Optional.empty() : Optional.of(new Owner(kind.get(), id));
    }

    // written out, as CacheKey's: every miss and eviction looks its owner up

    @Override
    public boolean equals(Object o) {
      return o instanceof Owner other && id == other.id && kind == other.kind;
    }

    @Override
    public int hashCode() {
      long h = id * 0x9E3779B97F4A7C15L + kind.ordinal();
      return (int) (h ^ (h >>> 32));
    }
  }

  /**
   * Loads one representation from the database: a representation, or empty when the resource does
   * not exist. Called on the event loop of the request that missed.
   */
  @FunctionalInterface
  public interface Loader {
    Future<Optional<Representation>> load(CacheKey key);
  }

  /**
   * What the cache holds for a key: a representation or "not found" (null), and when it was loaded,
   * in nanoseconds of the cache's ticker.
   *
   * @param loadNanos how long the load took (at least 1)
   * @param registration the key's registration with its owner, checked when the key is invalidated
   * @param refreshing set by the one caller that refreshes the entry early
   * @param loaded while a load completes, the representation it loaded on the heap, which the
   *     requests that waited for it are handed (the kept one is off the heap, and may be freed
   *     before they copy it when an invalidation overtook the load); empty once they have it
   */
  public record Entry(
      @Nullable Representation representation,
      long loadedAt,
      long loadNanos,
      long ttlNanos,
      long registration,
      AtomicBoolean refreshing,
      AtomicReference<@Nullable Representation> loaded) {
    /** {@link #loaded} of entries that never hand one on (never set). */
    private static final AtomicReference<@Nullable Representation> NONE = new AtomicReference<>();

    public Entry {
      loadNanos = Math.max(1, loadNanos);
    }

    /** Whether the resource exists. */
    public boolean found() {
      return representation != null;
    }

    /**
     * The representation.
     *
     * @throws IllegalStateException when the resource does not exist
     */
    public Representation representation() {
      if (representation == null) {
        throw new IllegalStateException("the resource does not exist");
      }
      return representation;
    }

    /**
     * Whether the entry has outlived its own lifetime at {@code now}: only a not-found entry can be
     * (its lifetime is the shorter one); the cache expires the others itself.
     */
    boolean expired(long now) {
      return now - loadedAt >= ttlNanos;
    }

    /**
     * XFetch: refresh when now - delta * beta * ln(u) >= expiry, u uniform in (0, 1], delta the
     * load's time but at least a hundredth of the lifetime (see {@link #SPREAD}).
     */
    boolean refreshDue(long now) {
      if (representation == null) {
        return false;
      }
      long remaining = loadedAt + ttlNanos - now;
      long delta = Math.max(loadNanos, ttlNanos / SPREAD);
      if (remaining > HORIZON * delta) {
        return false;
      }
      double u = 1.0 - ThreadLocalRandom.current().nextDouble();
      return -delta * BETA * Math.log(u) >= remaining && refreshing.compareAndSet(false, true);
    }

    int weight() {
      return representation == null ? 128 : representation.weight();
    }

    /**
     * This entry as readers get it: the representation's body copied to the heap (see {@link
     * Representation#onHeap}), under a reference taken for the copy; null when the body has been
     * freed already (the entry was removed meanwhile). Itself when not found or on the heap.
     */
    @Nullable Entry onHeap() {
      Representation rep = representation;
      if (rep == null || !rep.isOffHeap()) {
        return this;
      }
      Representation waited = loaded.get();
      if (waited != null) {
        return with(waited);
      }
      if (!rep.acquire()) {
        return null;
      }
      try {
        return with(rep.onHeap());
      } finally {
        rep.release();
      }
    }

    private Entry with(Representation rep) {
      return new Entry(rep, loadedAt, loadNanos, ttlNanos, registration, refreshing, NONE);
    }

    /** Gives back the reference the cache holds to an off-heap body. */
    void release() {
      if (representation != null) {
        representation.release();
      }
    }
  }

  /** Hit and load counts, for metrics; a snapshot. */
  public record Stats(
      long hits,
      long misses,
      long loads,
      long loadFailures,
      long evictions,
      long refreshes,
      long invalidations,
      long entries,
      long weightBytes) {
    /** Hits over requests; 1 when there were none. */
    public double hitRate() {
      long requests = hits + misses;
      return requests == 0 ? 1.0 : (double) hits / requests;
    }
  }

  private final AsyncCache<CacheKey, Entry> cache;

  /**
   * Where the kept bodies live: Netty's pooled direct buffers, out of the Java heap. On the heap,
   * every entry that lived past a few young collections (about 10 s under load) was promoted, and
   * the old generation filled with dead cached bytes at the rate entries are replaced (misses,
   * invalidations by writes, expiry): the Serial collector's first full collection came about 5
   * minutes into a mixed load (see README, "The knee").
   */
  private static final ByteBufAllocator DIRECT = PooledByteBufAllocator.DEFAULT;

  /** Direct bytes held by entries' bodies (and readers of removed ones), until freed. */
  private final LongAdder directBytes = new LongAdder();

  /** How many times a reader finds an entry freed before it copied it, before it loads alone. */
  private static final int FREED_RETRIES = 2;

  /** Caffeine's statistics, which {@link Lookup#hit} counts its hits in. */
  private final ConcurrentStatsCounter stats = new ConcurrentStatsCounter();

  private final Ticker ticker;
  private final long ttlNanos;
  private final long negativeTtlNanos;
  private final Map<Owner, Map<CacheKey, Long>> owners = new ConcurrentHashMap<>();
  private final AtomicLong registrations = new AtomicLong();
  private final LongAdder refreshes = new LongAdder();
  private final LongAdder invalidations = new LongAdder();
  private final String origin = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  private final @Nullable SharedLevel shared;

  /**
   * Whether this level keeps nothing ({@code HOTPATH_CACHE_MAX_MB=0}): a miss then goes straight to
   * its load, without Caffeine, the owner index or eviction (see {@link Lookup#get}).
   */
  private final boolean off;

  /** Misses, loads and failed loads of a cache that keeps nothing (Caffeine sees none of them). */
  private final LongAdder offMisses = new LongAdder();

  private final LongAdder offLoads = new LongAdder();
  private final LongAdder offFailures = new LongAdder();

  /**
   * A cache whose maintenance (draining its read and write buffers, expiry, eviction) runs on the
   * thread that reads or writes it, an event loop, instead of being handed to the common fork-join
   * pool. Every request touches the hot caches (this one, the token claims, the rate-limit
   * buckets), so with the pool a worker was woken for a drain many times a second: in a CPU profile
   * under overload the pool's scheduling, parking and lock hand-offs took about 10 % of the
   * process's CPU, and the context switches delayed the event loops. A drain is bounded (the
   * buffers are small) and Caffeine starts one only when its lock is free, so an event loop never
   * waits for another's maintenance. The other hot caches do the same.
   */
  public ResponseCache(CacheSettings settings) {
    this(settings, Ticker.systemTicker(), Runnable::run, null);
  }

  /**
   * A cache whose misses ask {@code shared}, the second level in Redis, before the database (see
   * {@link SharedLevel}); invalidations delete there too.
   */
  public ResponseCache(CacheSettings settings, SharedLevel shared) {
    this(settings, Ticker.systemTicker(), Runnable::run, shared);
  }

  /** For tests: a manual clock and an executor for maintenance. */
  ResponseCache(CacheSettings settings, Ticker ticker, Executor executor) {
    this(settings, ticker, executor, null);
  }

  private ResponseCache(
      CacheSettings settings, Ticker ticker, Executor executor, @Nullable SharedLevel shared) {
    this.shared = shared;
    this.ticker = ticker;
    this.ttlNanos = settings.ttl().toNanos();
    this.negativeTtlNanos = settings.negativeTtl().toNanos();
    this.off = settings.maxBytes() == 0;
    Caffeine<Object, Object> builder =
        Caffeine.newBuilder()
            .maximumWeight(settings.maxBytes())
            .ticker(ticker)
            .executor(executor)
            .recordStats(() -> stats);
    // A fixed lifetime from the write (the longer one, positive entries'), which Caffeine checks
    // against the entry's write time on a hit and keeps in write order: no per-hit bookkeeping. A
    // variable expiry (expireAfter) called the policy on every hit and reordered the entry in its
    // timer wheel when the read buffer drained (about 10 % of a cached read's samples, with the
    // lookup). Not-found entries, which live shorter, check their own deadline (Entry#expired).
    this.cache =
        builder
            .<CacheKey, Entry>weigher((key, entry) -> entry.weight())
            .expireAfterWrite(Math.max(ttlNanos, negativeTtlNanos), TimeUnit.NANOSECONDS)
            .evictionListener(this::evicted)
            // every removal (eviction, expiry, invalidation, replacement) gives back the entry's
            // reference to its off-heap body; Caffeine calls it for a removed load once it is done
            .removalListener(
                (CacheKey key, @Nullable Entry entry, RemovalCause cause) -> {
                  if (entry != null) {
                    entry.release();
                  }
                })
            .buildAsync();
  }

  /**
   * A random name of this cache, which writes put in their invalidation messages: the instance that
   * wrote has evicted already, and skips its own messages rather than evict twice.
   */
  public String origin() {
    return origin;
  }

  /** A view that loads misses with {@code loader}; make one per loader and keep it. */
  public Lookup lookup(Loader loader) {
    return new Lookup(loader);
  }

  /** Gets entries, loading misses with one loader. Thread-safe. */
  public final class Lookup {
    private final Loader loader;
    private final BiFunction<CacheKey, Executor, CompletableFuture<Entry>> mapping;

    private Lookup(Loader loader) {
      this.loader = loader;
      this.mapping = (key, executor) -> load(key, loader);
    }

    /**
     * The representation of {@code key} when the cache holds it loaded and found, with a reference
     * taken to its body (off the heap): the caller reads or copies it at once and then calls {@link
     * Representation#release()}, exactly once. Counted as {@link #get} counts a hit (the eviction
     * policy's read, the hit statistics) and refreshed ahead of its expiry as {@link #get}
     * refreshes one; null otherwise, with no statistics counted (the policy may count the read),
     * for the caller to go the ordinary way, which counts the miss and loads. One lookup, where a
     * quiet look followed by {@link #get} took two (5 % of a cached read's samples).
     */
    public @Nullable Representation hit(CacheKey key) {
      if (off) {
        return null;
      }
      // the map's read records it for the eviction policy, not in the statistics
      CompletableFuture<Entry> future = cache.asMap().get(key);
      if (future == null || !future.isDone() || future.isCompletedExceptionally()) {
        return null;
      }
      Entry entry = future.join();
      Representation rep = entry.representation;
      if (rep == null || !rep.acquire()) {
        return null; // not found, or removed and freed since the map's read: the ordinary way
      }
      if (entry.refreshDue(ticker.read())) {
        refresh(key, future, entry, loader);
      }
      stats.recordHits(1);
      return rep;
    }

    /**
     * The entry of {@code key}: already complete on a hit; on a miss, the one load all concurrent
     * callers share. The future may complete on any thread; it fails when the load failed. Its
     * representation is on the heap (a copy of the kept body, see {@link Entry#onHeap}), the
     * caller's to keep and hand on.
     */
    public CompletableFuture<Entry> get(CacheKey key) {
      return get(key, 0);
    }

    private CompletableFuture<Entry> get(CacheKey key, int freed) {
      if (off) {
        return loadThrough(key, loader);
      }
      CompletableFuture<Entry> future = cache.get(key, mapping);
      // a future that is done but failed is a load that failed at once (a database that is down
      // or out of time), not an answer from the cache: Server-Timing says miss, as it was
      boolean hit = future.isDone() && !future.isCompletedExceptionally();
      if (hit) {
        Entry entry = future.join();
        long now = ticker.read();
        if (entry.representation == null && entry.expired(now)) {
          // a not-found entry past its shorter lifetime: drop it and load again, as the cache
          // would have at its expiry (Caffeine counted the lookup as a hit; it counts the miss)
          cache.asMap().remove(key, future);
          future = cache.get(key, mapping);
          hit = future.isDone() && !future.isCompletedExceptionally();
        } else if (entry.refreshDue(now)) {
          refresh(key, future, entry, loader);
        }
      }
      var trace = dev.hotpath.observe.Tracing.currentOrNull();
      if (trace != null && freed == 0) {
        trace.cache(hit);
      }
      return onHeap(key, future, freed);
    }

    /**
     * {@code stored}'s entry with its body copied to the heap; when the body was freed before the
     * copy (the entry was removed: evicted, invalidated, replaced), the key is looked up again, and
     * after {@link #FREED_RETRIES} such races loaded without the cache.
     */
    private CompletableFuture<Entry> onHeap(
        CacheKey key, CompletableFuture<Entry> stored, int freed) {
      if (stored.isDone() && !stored.isCompletedExceptionally()) {
        Entry copy = stored.join().onHeap();
        return copy != null ? CompletableFuture.completedFuture(copy) : again(key, freed);
      }
      return stored.thenCompose(
          entry -> {
            Entry copy = entry.onHeap();
            return copy != null ? CompletableFuture.completedFuture(copy) : again(key, freed);
          });
    }

    private CompletableFuture<Entry> again(CacheKey key, int freed) {
      return freed < FREED_RETRIES ? get(key, freed + 1) : loadThrough(key, loader);
    }
  }

  /**
   * A miss of a cache that keeps nothing: the load alone (through the shared level when there is
   * one), neither stored nor registered with its owner, nor shared with concurrent misses of the
   * same key, since an entry would be evicted the moment it was inserted anyway. Before this, each
   * such read went through Caffeine's compute, its write buffer and an eviction, and registered and
   * unregistered its key with its owner: about 5-9 % of an uncached read's CPU samples, for nothing
   * kept.
   */
  private CompletableFuture<Entry> loadThrough(CacheKey key, Loader loader) {
    var trace = dev.hotpath.observe.Tracing.currentOrNull();
    if (trace != null) {
      trace.cache(false);
    }
    offMisses.increment();
    long start = ticker.read();
    Future<Optional<Representation>> loading;
    try {
      loading = shared == null ? loader.load(key) : shared.load(key, loader);
    } catch (RuntimeException e) {
      offFailures.increment();
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Entry> future = new CompletableFuture<>();
    loading.onComplete(
        (rep, failure) -> {
          if (failure != null) {
            offFailures.increment();
            future.completeExceptionally(failure);
          } else {
            offLoads.increment();
            future.complete(entry(rep, start, 0));
          }
        });
    return future;
  }

  private CompletableFuture<Entry> load(CacheKey key, Loader loader) {
    // runs inside the cache's atomic compute of this key: registration and eviction of one key
    // are ordered, and an invalidation of its owner waits for the future to be in place
    long registration = register(key);
    long start = ticker.read();
    Future<Optional<Representation>> loading;
    try {
      loading = shared == null ? loader.load(key) : shared.load(key, loader);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Entry> future = new CompletableFuture<>();
    loading.onComplete(
        (rep, failure) -> {
          if (failure != null) {
            future.completeExceptionally(failure);
            return;
          }
          Entry entry;
          try {
            entry = kept(rep, start, registration);
          } catch (RuntimeException | OutOfMemoryError e) { // no direct memory left
            future.completeExceptionally(e);
            return;
          }
          // the requests waiting for the load are handed its heap representation as the future
          // completes (its dependents run now), then only the off-heap body is kept
          entry.loaded.set(rep.orElse(null));
          future.complete(entry);
          entry.loaded.set(null);
        });
    return future;
  }

  private void refresh(CacheKey key, CompletableFuture<Entry> current, Entry old, Loader loader) {
    refreshes.increment();
    long start = ticker.read();
    Future<Optional<Representation>> loading;
    try {
      loading = loader.load(key);
    } catch (RuntimeException e) {
      old.refreshing.set(false);
      return;
    }
    loading.onComplete(
        ar -> {
          if (ar.failed()) {
            old.refreshing.set(false);
            return;
          }
          Entry fresh;
          try {
            fresh = kept(ar.result(), start, old.registration);
          } catch (RuntimeException | OutOfMemoryError e) { // no direct memory left: keep the old
            old.refreshing.set(false);
            return;
          }
          if (!cache.asMap().replace(key, current, CompletableFuture.completedFuture(fresh))) {
            fresh.release(); // the entry it refreshed is gone: never stored, its body freed
          }
        });
  }

  /** An entry to store: its representation's body copied off the heap. */
  private Entry kept(Optional<Representation> rep, long start, long registration) {
    return entry(rep.map(r -> r.offHeap(DIRECT, directBytes)), start, registration);
  }

  private Entry entry(Optional<Representation> rep, long start, long registration) {
    long now = ticker.read();
    return new Entry(
        rep.orElse(null),
        now,
        now - start,
        rep.isPresent() ? ttlNanos : negativeTtlNanos,
        registration,
        new AtomicBoolean(),
        rep.isPresent() && rep.get().isOffHeap() ? new AtomicReference<>() : Entry.NONE);
  }

  private long register(CacheKey key) {
    long registration = registrations.incrementAndGet();
    owners.compute(
        key.owner(),
        (owner, keys) -> {
          Map<CacheKey, Long> map = keys == null ? new HashMap<>(4) : keys;
          map.put(key, registration);
          return map;
        });
    return registration;
  }

  /** Size and expiry evictions: forget the key unless it has been registered again since. */
  private void evicted(@Nullable CacheKey key, @Nullable Entry entry, RemovalCause cause) {
    if (key == null || entry == null) {
      return;
    }
    owners.computeIfPresent(
        key.owner(),
        (owner, keys) -> {
          keys.remove(key, entry.registration);
          return keys.isEmpty() ? null : keys;
        });
  }

  /**
   * Evicts every representation of {@code owner}, stored or being loaded, here and in the shared
   * level. The future completes once the shared level has deleted them too (at once without one);
   * it never fails. A write answers after it, so no instance can read what it replaced from Redis.
   */
  public Future<Void> invalidate(Owner owner) {
    return invalidate(List.of(owner));
  }

  /** Evicts every representation of each owner, here and in the shared level (see above). */
  public Future<Void> invalidate(Iterable<Owner> owners) {
    if (shared == null) {
      for (Owner owner : owners) {
        evict(owner);
      }
      return Future.succeededFuture();
    }
    List<Owner> list = new ArrayList<>();
    for (Owner owner : owners) {
      list.add(owner);
      evict(owner);
    }
    // evicted again once Redis has deleted: a miss in between may have read the old bytes there
    return shared
        .invalidate(list)
        .andThen(
            done -> {
              for (Owner owner : list) {
                evict(owner);
              }
            });
  }

  private void evict(Owner owner) {
    invalidations.increment();
    Map<CacheKey, Long> keys = owners.remove(owner);
    if (keys != null) {
      for (CacheKey key : keys.keySet()) {
        cache.synchronous().invalidate(key);
      }
    }
  }

  /**
   * Evicts everything here and in the shared level (as {@code NOTIFY hotpath_cache, '*'} asks), and
   * here again once the shared level is empty.
   */
  public Future<Void> clearEverywhere() {
    clear();
    if (shared == null) {
      return Future.succeededFuture();
    }
    return shared.clear().andThen(done -> clear());
  }

  /** The shared (Redis) level, when there is one. */
  public Optional<SharedLevel> shared() {
    return Optional.ofNullable(shared);
  }

  /**
   * Evicts everything here, as when this instance's invalidation messages may have been missed (the
   * shared level is kept: writers delete there themselves before they answer).
   */
  public void clear() {
    invalidations.increment();
    owners.clear();
    cache.synchronous().invalidateAll();
  }

  /**
   * The entry of {@code key} if it is cached and loaded, its body copied to the heap; no load, no
   * statistics.
   */
  public Optional<Entry> peek(CacheKey key) {
    CompletableFuture<Entry> future = cache.asMap().get(key);
    if (future == null || !future.isDone() || future.isCompletedExceptionally()) {
      return Optional.empty();
    }
    Entry entry = future.join();
    if (entry.expired(ticker.read())) {
      return Optional.empty();
    }
    return Optional.ofNullable(entry.onHeap());
  }

  /**
   * Direct (off-heap) bytes held by kept bodies, and by readers of removed ones until they give
   * them back: what {@code HOTPATH_CACHE_MAX_MB} bounds (with the weight's estimates), and 0 once
   * the cache is cleared and its maintenance has run.
   */
  public long directBytes() {
    return directBytes.sum();
  }

  /** Keys currently indexed under {@code owner} (a superset of those cached). */
  List<CacheKey> indexed(Owner owner) {
    Map<CacheKey, Long> keys = owners.get(owner);
    return keys == null ? List.of() : new ArrayList<>(keys.keySet());
  }

  /** Runs pending maintenance (evictions); for tests and benchmarks. */
  public void cleanUp() {
    cache.synchronous().cleanUp();
  }

  /**
   * Reports this cache to {@code registry}: Caffeine's own counters (hits, misses, loads,
   * evictions, size) plus early refreshes, invalidations, weight in bytes and hit rate. The
   * observations know the cache only as a {@link MeterBinder}.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics.monitor(
        registry, caffeine(), "responses");
    io.micrometer.core.instrument.FunctionCounter.builder(
            "hotpath_cache_refreshes", this, c -> c.stats().refreshes())
        .description("Early (XFetch) refreshes of hot entries")
        .register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder(
            "hotpath_cache_invalidations", this, c -> c.stats().invalidations())
        .description("Entries evicted because a write changed them")
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder(
            "hotpath_cache_weight_bytes", this, c -> c.stats().weightBytes())
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder(
            "hotpath_cache_hit_ratio", this, c -> c.stats().hitRate())
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder(
            "hotpath_cache_direct_bytes", this, ResponseCache::directBytes)
        .description("Direct (off-heap) memory held by cached bodies")
        .register(registry);
    if (shared != null) {
      shared.bindTo(registry);
    }
  }

  /** The underlying cache, for a metrics registry to bind (e.g. Micrometer's Caffeine binder). */
  public AsyncCache<CacheKey, Entry> caffeine() {
    return cache;
  }

  public Stats stats() {
    var s = cache.synchronous().stats();
    long weight =
        cache.synchronous().policy().eviction().flatMap(e -> boxed(e.weightedSize())).orElse(0L);
    return new Stats(
        s.hitCount(),
        s.missCount() + offMisses.sum(),
        s.loadSuccessCount() + offLoads.sum(),
        s.loadFailureCount() + offFailures.sum(),
        s.evictionCount(),
        refreshes.sum(),
        invalidations.sum(),
        cache.synchronous().estimatedSize(),
        weight);
  }

  private static Optional<Long> boxed(java.util.OptionalLong value) {
    return value.isPresent() ? Optional.of(value.getAsLong()) : Optional.empty();
  }
}
