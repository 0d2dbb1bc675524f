package dev.hotpath.store;

import dev.hotpath.config.ReplicaSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read replicas of one process and what it knows of them: each replica's replayed WAL position
 * and lag, read every {@code poll} (never per request), and the floor every replica read must
 * clear. A replica takes reads while it answers, is in recovery, and lags less than both bounds;
 * one that fails a read or a poll is skipped until a poll succeeds again.
 *
 * <p>The floor keeps the response cache honest: the cache of every instance is emptied of a row's
 * representations when that row is written (its own writes, and NOTIFY from others), so a read that
 * fills it again must see the write. From the moment a write may have committed ({@link #unsettle})
 * until the primary's WAL position after it is known, every read goes to the primary; then a
 * replica takes reads only once it has replayed up to that position. A client's own floor (its
 * read-your-writes cookie, {@link ReadFloor}) is applied on top. Thread-safe.
 */
public final class Replicas {
  private static final Logger log = LoggerFactory.getLogger(Replicas.class);

  /** The primary's WAL position, as a number: insert position, so it covers a commit just made. */
  static final String PRIMARY_LSN = "SELECT (pg_current_wal_insert_lsn() - '0/0')::bigint";

  /** A replica's state: in recovery, replayed position, and lag in seconds (0 when caught up). */
  static final String REPLICA_STATE =
      "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::bigint,"
          + " CASE WHEN pg_last_wal_receive_lsn() IS NULL"
          + " OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0"
          + " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"
          + " END::float8";

  private final ReplicaSettings settings;
  private final DatabaseCoordinates primaryAt;
  private final Pool primary;
  private final List<Replica> replicas;
  private final AtomicLong floor = new AtomicLong();
  private final AtomicInteger unsettled = new AtomicInteger();
  private final AtomicInteger next = new AtomicInteger();
  private final Counter primaryReads;
  private final long timer;
  private final Context watcher;
  private volatile long primaryLsn;

  /** One replica: where it is, its poll connection, and what the last poll found. */
  static final class Replica {
    final DatabaseCoordinates at;
    final Pool poll;
    final Counter reads;
    volatile boolean usable;
    volatile boolean up;
    volatile long replayed;
    volatile long lagBytes;
    volatile double lagSeconds;
    volatile boolean polling;
    volatile long pollStarted;

    Replica(DatabaseCoordinates at, Pool poll, Counter reads) {
      this.at = at;
      this.poll = poll;
      this.reads = reads;
    }

    String name() {
      return at.host() + ":" + at.port();
    }
  }

  private Replicas(
      Vertx vertx,
      ReplicaSettings settings,
      DatabaseCoordinates primaryAt,
      MeterRegistry registry) {
    this.settings = settings;
    this.primaryAt = primaryAt;
    // built off any event loop (App.start): a context of its own
    this.watcher = vertx.getOrCreateContext();
    this.primary = smallPool(vertx, primaryAt, "hotpath-replica-watch-primary");
    this.primaryReads =
        Counter.builder("hotpath_db_reads")
            .description("single-statement reads, by where they were served")
            .tag("on", "primary")
            .tag("server", primaryAt.host() + ":" + primaryAt.port())
            .register(registry);
    List<Replica> list = new ArrayList<>();
    for (URI url : settings.urls()) {
      DatabaseCoordinates at = DatabaseCoordinates.fromUri(url);
      Replica r =
          new Replica(
              at,
              smallPool(vertx, at, "hotpath-replica-watch-" + list.size()),
              Counter.builder("hotpath_db_reads")
                  .description("single-statement reads, by where they were served")
                  .tag("on", "replica")
                  .tag("server", at.host() + ":" + at.port())
                  .register(registry));
      String name = r.name();
      Gauge.builder("hotpath_db_replica_lag_bytes", r, x -> x.lagBytes)
          .description("WAL bytes the replica has yet to replay (last poll)")
          .tag("replica", name)
          .register(registry);
      Gauge.builder("hotpath_db_replica_lag_seconds", r, x -> x.lagSeconds)
          .description("age of the last transaction the replica replayed, 0 when caught up")
          .tag("replica", name)
          .register(registry);
      Gauge.builder("hotpath_db_replica_usable", r, x -> x.usable ? 1 : 0)
          .description("1 while the replica takes reads (up, in recovery, within the lag bounds)")
          .tag("replica", name)
          .register(registry);
      list.add(r);
    }
    this.replicas = List.copyOf(list);
    this.timer =
        vertx.setPeriodic(0, settings.poll().toMillis(), id -> watcher.runOnContext(v -> poll()));
  }

  /** Starts watching the replicas {@code settings} names; reads use them from the first poll on. */
  public static Replicas start(
      Vertx vertx, ReplicaSettings settings, DatabaseCoordinates primary, MeterRegistry registry) {
    if (!settings.enabled()) {
      throw new IllegalArgumentException("no replica is named");
    }
    Replicas replicas = new Replicas(vertx, settings, primary, registry);
    log.info(
        "reading from {} replica(s) of {}: {}",
        replicas.replicas.size(),
        primary,
        replicas.replicas.stream().map(r -> r.at.toString()).toList());
    return replicas;
  }

  private static Pool smallPool(Vertx vertx, DatabaseCoordinates at, String name) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1).setName(name))
        .connectingTo(
            at.connectOptions(16)
                .addProperty("statement_timeout", "2000")
                .addProperty("application_name", name))
        .using(vertx)
        .build();
  }

  /**
   * Pipelined clients of every replica for one event loop, in the order of {@link #size()}, each
   * with {@code size} connections and {@code pipelining} statements in flight on each.
   */
  public List<SqlClient> clients(Vertx loop, int size, int pipelining, long statementTimeoutMs) {
    List<SqlClient> clients = new ArrayList<>(replicas.size());
    for (Replica r : replicas) {
      clients.add(
          PgBuilder.client()
              .with(new PoolOptions().setMaxSize(size).setMaxWaitQueueSize(10_000))
              .connectingTo(
                  r.at
                      .connectOptions(pipelining)
                      .addProperty("statement_timeout", Long.toString(statementTimeoutMs)))
              .using(loop)
              .build());
    }
    return clients;
  }

  public int size() {
    return replicas.size();
  }

  /**
   * The replica that may answer a read needing position {@code needed}, round robin over those that
   * qualify, or -1 for the primary.
   */
  int pick(long needed) {
    if (unsettled.get() > 0) {
      primaryReads.increment();
      return -1;
    }
    long need = Math.max(needed, floor.get());
    int n = replicas.size();
    int start = Math.floorMod(next.getAndIncrement(), n);
    for (int i = 0; i < n; i++) {
      int k = (start + i) % n;
      Replica r = replicas.get(k);
      if (r.usable && r.replayed >= need) {
        r.reads.increment();
        return k;
      }
    }
    primaryReads.increment();
    return -1;
  }

  /** A read on replica {@code k} failed: it takes none until a poll finds it well again. */
  void failed(int k, Throwable cause) {
    Replica r = replicas.get(k);
    if (r.usable) {
      r.usable = false;
      log.warn(
          "replica {} failed a read ({}); reads go elsewhere until it answers a poll",
          r.at,
          cause.toString());
    }
  }

  /**
   * A write may be committing: until {@link #settle} answers, every read goes to the primary. Call
   * {@link #settle} exactly once after.
   */
  void unsettle() {
    unsettled.incrementAndGet();
  }

  /**
   * After a write (or a write's invalidation) seen after {@link #unsettle}: learns the primary's
   * position and raises the floor to it; the future gives that position. When the primary cannot
   * tell, the floor goes to the top until the next poll of the primary, so no replica read can miss
   * the write meanwhile.
   */
  Future<Long> settle() {
    // read on the watcher's own context: a statement of the watcher, not of the request (whose
    // Server-Timing counts its own statements against the route's budget)
    Context caller = Vertx.currentContext();
    Promise<Long> answered =
        caller instanceof ContextInternal internal ? internal.promise() : Promise.promise();
    watcher.runOnContext(
        v ->
            primary
                .query(PRIMARY_LSN)
                .execute()
                .map(rows -> rows.iterator().next().getLong(0))
                .onComplete(answered));
    return answered
        .future()
        .onComplete(
            done -> {
              if (done.succeeded()) {
                floor.accumulateAndGet(done.result(), Math::max);
              } else {
                floor.set(Long.MAX_VALUE);
              }
              unsettled.decrementAndGet();
            });
  }

  /**
   * Another instance (or this one's background work) changed rows and told the caches: replicas
   * take reads only once they have replayed past the primary's position now.
   */
  public void invalidated() {
    unsettle();
    settle();
  }

  private void poll() {
    primary
        .query(PRIMARY_LSN)
        .execute()
        .onComplete(
            done -> {
              if (done.succeeded()) {
                long lsn = done.result().iterator().next().getLong(0);
                primaryLsn = lsn;
                // the floor went to the top when the primary could not say where it was
                floor.compareAndSet(Long.MAX_VALUE, lsn);
              }
              for (Replica r : replicas) {
                poll(r);
              }
            });
  }

  private void poll(Replica r) {
    if (r.polling) {
      // the last poll is still unanswered: a replica that slow (longer than the lag bound) takes no
      // reads; a busy machine's slower answer is only waited for
      if (System.nanoTime() - r.pollStarted > settings.maxLag().toNanos()) {
        mark(r, false, "its last poll is unanswered after " + settings.maxLag().toMillis() + " ms");
      }
      return;
    }
    r.polling = true;
    r.pollStarted = System.nanoTime();
    long primaryNow = primaryLsn;
    r.poll
        .query(REPLICA_STATE)
        .execute()
        .onComplete(
            done -> {
              r.polling = false;
              if (done.failed()) {
                r.up = false;
                mark(r, false, "it does not answer: " + done.cause().getMessage());
                return;
              }
              Row row = done.result().iterator().next();
              r.up = true;
              boolean recovering = Boolean.TRUE.equals(row.getBoolean(0));
              Long replayed = row.getLong(1);
              r.replayed = replayed == null ? 0 : replayed;
              r.lagBytes = Math.max(0, primaryNow - r.replayed);
              r.lagSeconds = row.getDouble(2);
              if (!recovering || replayed == null) {
                mark(r, false, "it is not replaying (not in recovery)");
              } else if (r.lagBytes > settings.maxLagBytes()) {
                mark(r, false, "it lags " + r.lagBytes + " bytes");
              } else if (r.lagSeconds * 1000 > settings.maxLag().toMillis()) {
                mark(r, false, "it lags " + r.lagSeconds + " s");
              } else {
                mark(r, true, "");
              }
            });
  }

  private void mark(Replica r, boolean usable, String why) {
    if (r.usable != usable) {
      if (usable) {
        log.info("replica {} takes reads again", r.at);
      } else {
        log.warn("replica {} takes no reads: {}", r.at, why);
      }
    }
    r.usable = usable;
  }

  /** Whether replica {@code k} takes reads now (as the last poll found it). */
  public boolean usable(int k) {
    return replicas.get(k).usable;
  }

  /** Stops polling and closes the watch connections. */
  public Future<Void> close() {
    watcher.owner().cancelTimer(timer);
    List<Future<Void>> closing = new ArrayList<>();
    closing.add(primary.close());
    for (Replica r : replicas) {
      closing.add(r.poll.close());
    }
    return Future.join(closing).mapEmpty();
  }

  @Override
  public String toString() {
    return "replicas of " + primaryAt + ": " + replicas.stream().map(Replica::name).toList();
  }
}
