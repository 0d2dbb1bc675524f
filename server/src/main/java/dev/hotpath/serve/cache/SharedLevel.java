package dev.hotpath.serve.cache;

import dev.hotpath.http.Format;
import dev.hotpath.http.Representation;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import dev.hotpath.store.Redis;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The second cache level, in Redis and shared by every instance: the encoded bytes of a
 * representation and its gzip form, so that an instance whose own cache misses is answered without
 * the database when any instance has loaded the same representation.
 *
 * <p><b>One fill per key.</b> A miss here takes a lease ({@code SET NX PX}, for {@link
 * dev.hotpath.config.RedisSettings#lease()}) in the same script that looked: the one instance that
 * gets it loads from the database and fills; the others poll until the fill is there, and load from
 * the database themselves (without filling) only after {@link
 * dev.hotpath.config.RedisSettings#leaseWait()}. A holder that dies leaves a lease that expires.
 *
 * <p><b>Never stale after a write answered.</b> Each resource has a generation counter. A write (on
 * the instance that made it, before it answers, and again on every instance that hears its NOTIFY)
 * deletes the resource's entries and increments the generation, in one script. A fill stores its
 * bytes only if the generation is still the one read when its lease was taken, and only while it
 * holds its lease: a load that read the database before the write committed can never store what it
 * read after the write deleted the entries.
 *
 * <p><b>Redis down or slow.</b> Every failure falls back to the database, and marks Redis down
 * ({@link Redis}); nothing here fails a request.
 *
 * <p>Layout: a hash per resource ({@code hp:{c:42}}) whose fields are the representations ({@code
 * fields:itemFields:variant}), its generation ({@code hp:{c:42}:g}) and the leases ({@code
 * hp:{c:42}:l:fields:itemFields:variant}). The braces keep a resource's keys on one Redis Cluster
 * slot.
 */
public final class SharedLevel {
  static final String PREFIX = "hp:{";

  /** A hit: {2, bytes}; lease taken: {1, generation}; another instance holds the lease: {0}. */
  private static final String GET_OR_LEASE =
      """
      local v = redis.call('HGET', KEYS[1], ARGV[1])
      if v then return {2, v} end
      if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then
        return {1, redis.call('GET', KEYS[2]) or '0'}
      end
      return {0}
      """;

  /** Stores the bytes if this fill still holds its lease and the generation has not moved. */
  private static final String FILL =
      """
      if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 0 end
      redis.call('DEL', KEYS[3])
      if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
      if ARGV[4] == '' then return 0 end
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
      redis.call('PEXPIRE', KEYS[1], ARGV[5])
      return 1
      """;

  /** For each (hash, generation) pair of keys: delete the entries, move the generation on. */
  private static final String INVALIDATE =
      """
      for i = 1, #KEYS, 2 do
        redis.call('DEL', KEYS[i])
        redis.call('INCR', KEYS[i + 1])
        redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
      end
      return #KEYS
      """;

  // the layout of a stored entry; 2 added the wire format (JSON or protobuf) after it
  private static final byte FORMAT = 2;
  private static final byte[] EMPTY = new byte[0];
  private static final long POLL_MS = 10;

  private final Redis redis;
  private final Vertx vertx;
  private final byte[] leaseMs;
  private final byte[] ttlMs;
  private final byte[] generationTtlMs;
  private final long leaseWaitNanos;
  private final String origin = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  private final AtomicLong leases = new AtomicLong();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder fills = new LongAdder();
  private final LongAdder refusedFills = new LongAdder();
  private final LongAdder waits = new LongAdder();
  private final LongAdder gaveUp = new LongAdder();
  private final LongAdder databaseLoads = new LongAdder();
  private final LongAdder skipped = new LongAdder();

  public SharedLevel(Redis redis, Vertx vertx) {
    this.redis = redis;
    this.vertx = vertx;
    var s = redis.settings();
    this.leaseMs = ascii(s.lease().toMillis());
    this.ttlMs = ascii(s.ttl().toMillis());
    // a generation must outlive every lease taken while it was current (see FILL)
    this.generationTtlMs = ascii(Math.max(60_000, 4 * s.lease().toMillis()));
    this.leaseWaitNanos = s.leaseWait().toNanos();
  }

  /**
   * The representation of {@code key}: from Redis, else from {@code db} (filling Redis when this
   * instance holds the key's lease). Called on an event loop; never fails because of Redis.
   */
  Future<Optional<Representation>> load(CacheKey key, ResponseCache.Loader db) {
    if (!redis.up()) {
      skipped.increment();
      return fromDatabase(key, db);
    }
    Keys keys = new Keys(key);
    String token = origin + "." + leases.incrementAndGet();
    Promise<Optional<Representation>> result = Promise.promise();
    attempt(keys, key, db, token, System.nanoTime(), result, true);
    return result.future();
  }

  private void attempt(
      Keys keys,
      CacheKey key,
      ResponseCache.Loader db,
      String token,
      long start,
      Promise<Optional<Representation>> result,
      boolean first) {
    Future<List<Object>> looked =
        redis.call(
            c ->
                c.<List<Object>>eval(
                    GET_OR_LEASE,
                    ScriptOutputType.MULTI,
                    new String[] {keys.hash, keys.generation, keys.lease},
                    keys.field,
                    token.getBytes(StandardCharsets.US_ASCII),
                    leaseMs));
    looked.onComplete(
        ar -> {
          if (ar.failed()) {
            gaveUp.increment();
            fromDatabase(key, db).onComplete(result);
            return;
          }
          List<Object> reply = ar.result();
          long outcome = (Long) reply.get(0);
          if (outcome == 2) {
            Optional<Representation> rep = decode((byte[]) reply.get(1));
            if (rep.isPresent()) {
              hits.increment();
              result.complete(rep);
            } else {
              // written by another version of hotpath: answer from the database, leave it
              gaveUp.increment();
              fromDatabase(key, db).onComplete(result);
            }
            return;
          }
          if (first) {
            misses.increment();
          }
          if (outcome == 1) {
            loadAndFill(keys, key, db, token, (byte[]) reply.get(1), result);
          } else if (System.nanoTime() - start >= leaseWaitNanos) {
            gaveUp.increment();
            fromDatabase(key, db).onComplete(result);
          } else {
            if (first) {
              waits.increment();
            }
            vertx.setTimer(POLL_MS, id -> attempt(keys, key, db, token, start, result, false));
          }
        });
  }

  private void loadAndFill(
      Keys keys,
      CacheKey key,
      ResponseCache.Loader db,
      String token,
      byte[] generation,
      Promise<Optional<Representation>> result) {
    fromDatabase(key, db)
        .onComplete(
            ar -> {
              // the fill (or the lease's release) goes on without the request waiting for it
              byte[] value =
                  ar.succeeded() && ar.result().isPresent() ? encode(ar.result().get()) : EMPTY;
              redis
                  .<Long>call(
                      c ->
                          c.<Long>eval(
                              FILL,
                              ScriptOutputType.INTEGER,
                              new String[] {keys.hash, keys.generation, keys.lease},
                              keys.field,
                              token.getBytes(StandardCharsets.US_ASCII),
                              generation,
                              value,
                              ttlMs))
                  .onSuccess(
                      stored -> {
                        if (stored == 1) {
                          fills.increment();
                        } else if (value.length > 0) {
                          refusedFills.increment();
                        }
                      });
              result.handle(ar);
            });
  }

  private Future<Optional<Representation>> fromDatabase(CacheKey key, ResponseCache.Loader db) {
    databaseLoads.increment();
    try {
      return db.load(key);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Deletes every representation of {@code owners} and moves their generations on, so no fill that
   * started before can store. Completes when Redis has done it, or failed to (then Redis is marked
   * down, and the entries live at most their TTL); never fails.
   */
  Future<Void> invalidate(List<Owner> owners) {
    if (owners.isEmpty() || !redis.up()) {
      return Future.succeededFuture();
    }
    String[] keys = new String[owners.size() * 2];
    for (int i = 0; i < owners.size(); i++) {
      String hash = hash(owners.get(i));
      keys[2 * i] = hash;
      keys[2 * i + 1] = hash + ":g";
    }
    return redis
        .<Long>call(c -> c.<Long>eval(INVALIDATE, ScriptOutputType.INTEGER, keys, generationTtlMs))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * Deletes every entry of every resource (as {@code NOTIFY hotpath_cache, '*'} asks), a page of
   * keys at a time; generations are moved on, so fills in flight are refused. Never fails.
   */
  Future<Void> clear() {
    if (!redis.up()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    clearFrom(ScanCursor.INITIAL, done);
    return done.future();
  }

  private void clearFrom(ScanCursor cursor, Promise<Void> done) {
    redis
        .call(c -> c.scan(cursor, ScanArgs.Builder.matches(PREFIX + "*").limit(1000)))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.complete();
                return;
              }
              List<String> found = ar.result().getKeys();
              List<String> pairs = new ArrayList<>();
              for (String k : found) {
                if (k.endsWith("}")) {
                  pairs.add(k);
                  pairs.add(k + ":g");
                }
              }
              Future<?> deleted =
                  pairs.isEmpty()
                      ? Future.succeededFuture()
                      : redis.call(
                          c ->
                              c.<Long>eval(
                                  INVALIDATE,
                                  ScriptOutputType.INTEGER,
                                  pairs.toArray(new String[0]),
                                  generationTtlMs));
              deleted.onComplete(
                  d -> {
                    if (ar.result().isFinished() || d.failed()) {
                      done.complete();
                    } else {
                      clearFrom(ar.result(), done);
                    }
                  });
            });
  }

  /** Whether Redis is in use now. */
  boolean up() {
    return redis.up();
  }

  static String hash(Owner owner) {
    return PREFIX + owner.token() + "}";
  }

  /** The Redis keys of one representation. */
  private static final class Keys {
    final String hash;
    final String generation;
    final String lease;
    final byte[] field;

    Keys(CacheKey key) {
      this.hash = hash(key.owner());
      this.generation = hash + ":g";
      String f =
          Long.toHexString(key.fields())
              + ":"
              + Long.toHexString(key.itemFields())
              + ":"
              + key.variant()
              + key.format().tagSuffix();
      this.lease = hash + ":l:" + f;
      this.field = f.getBytes(StandardCharsets.US_ASCII);
    }
  }

  /** The bytes stored for a representation: its body, gzip form and validators. */
  static byte[] encode(Representation rep) {
    Buffer gzip = rep.gzip();
    byte[] tag = rep.opaqueTag().getBytes(StandardCharsets.US_ASCII);
    byte[] cursor = rep.nextCursor().map(c -> c.getBytes(StandardCharsets.UTF_8)).orElse(null);
    Buffer out =
        Buffer.buffer(40 + tag.length + rep.length() + gzip.length())
            .appendByte(FORMAT)
            .appendByte((byte) rep.format().ordinal())
            .appendLong(rep.lastModified())
            .appendLong(rep.owner())
            .appendInt(tag.length)
            .appendBytes(tag)
            .appendInt(cursor == null ? -1 : cursor.length);
    if (cursor != null) {
      out.appendBytes(cursor);
    }
    out.appendInt(rep.length()).appendBuffer(rep.body());
    out.appendInt(gzip.length()).appendBuffer(gzip);
    return out.getBytes();
  }

  /** The representation {@link #encode} stored; empty for anything else (another format). */
  static Optional<Representation> decode(byte[] bytes) {
    try {
      Buffer in = Buffer.buffer(bytes);
      if (in.getByte(0) != FORMAT) {
        return Optional.empty();
      }
      Format format = Format.values()[in.getByte(1)];
      int at = 2;
      long lastModified = in.getLong(at);
      long owner = in.getLong(at + 8);
      at += 16;
      int tagLength = in.getInt(at);
      String tag = in.getString(at + 4, at + 4 + tagLength, "US-ASCII");
      at += 4 + tagLength;
      int cursorLength = in.getInt(at);
      at += 4;
      Optional<String> cursor = Optional.empty();
      if (cursorLength >= 0) {
        cursor = Optional.of(in.getString(at, at + cursorLength, "UTF-8"));
        at += cursorLength;
      }
      int bodyLength = in.getInt(at);
      Buffer body = in.getBuffer(at + 4, at + 4 + bodyLength);
      at += 4 + bodyLength;
      int gzipLength = in.getInt(at);
      Buffer gzip = in.getBuffer(at + 4, at + 4 + gzipLength);
      return Optional.of(
          Representation.restored(body, gzip, tag, lastModified, cursor, owner, format));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static byte[] ascii(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  /** Counts by outcome, for metrics and tests; a snapshot. */
  public record Stats(
      long hits,
      long misses,
      long fills,
      long refusedFills,
      long waits,
      long gaveUp,
      long databaseLoads,
      long skipped) {}

  public Stats stats() {
    return new Stats(
        hits.sum(),
        misses.sum(),
        fills.sum(),
        refusedFills.sum(),
        waits.sum(),
        gaveUp.sum(),
        databaseLoads.sum(),
        skipped.sum());
  }

  /** {@code hotpath_cache_shared{outcome=...}}: hits, misses, fills, loads from the database. */
  void bindTo(MeterRegistry registry) {
    counter(registry, "hit", s -> s.hits());
    counter(registry, "miss", s -> s.misses());
    counter(registry, "fill", s -> s.fills());
    counter(registry, "fill_refused", s -> s.refusedFills());
    counter(registry, "waited", s -> s.waits());
    counter(registry, "gave_up", s -> s.gaveUp());
    counter(registry, "database_load", s -> s.databaseLoads());
    counter(registry, "skipped_down", s -> s.skipped());
  }

  private void counter(
      MeterRegistry registry, String outcome, java.util.function.ToLongFunction<Stats> f) {
    FunctionCounter.builder("hotpath_cache_shared", this, l -> f.applyAsLong(l.stats()))
        .description("Second (Redis) cache level by outcome")
        .tag("outcome", outcome)
        .register(registry);
  }
}
