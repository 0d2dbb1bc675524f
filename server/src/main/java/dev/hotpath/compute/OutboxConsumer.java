package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds one {@link Projection} from the outbox, a batch per transaction: take the consumer's lock,
 * read its offset, find the end of the batch, apply the projection to that range, move the offset,
 * commit. Effects and offset commit together, so each event takes effect exactly once; with several
 * instances on one database, the lock lets one of them work and the others skip.
 *
 * <p><b>Why the log is read in (txid, id) order, below the oldest running transaction.</b> Outbox
 * ids come from a sequence when the row is inserted, but transactions commit in any order: a reader
 * that remembers "the largest id seen" can pass id 41 while the transaction holding id 40 is still
 * running, and never see 40 once it commits. So every row records the id of its transaction ({@code
 * txid xid8 DEFAULT pg_current_xact_id()}), and a consumer reads only rows whose transaction is
 * older than the oldest transaction still in flight ({@code txid <
 * pg_snapshot_xmin(pg_current_snapshot())}): all of those have ended, so no row can ever appear
 * below that horizon again. Rows are taken in {@code (txid, id)} order and the offset is that pair;
 * rows that appear later always have a larger txid than any already read. The alternative, a global
 * advisory lock held from the outbox insert to the commit, would make ids commit in order but would
 * serialise every write's commit (its fsync included), capping throughput at one commit at a time;
 * this way writers never wait for each other and the cost is a little consumer latency while a long
 * write transaction runs. The consumer lock is an advisory lock, not {@code FOR UPDATE} on the
 * offset row, so the consumer's own transaction has no xid while it computes the horizon and does
 * not hold it back.
 */
public final class OutboxConsumer {
  private static final Logger log = LoggerFactory.getLogger(OutboxConsumer.class);

  static final String LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('outbox-consumer:' || $1))";
  static final String WAIT_LOCK =
      "SELECT pg_advisory_xact_lock(hashtext('outbox-consumer:' || $1))";
  static final String OFFSET =
      "SELECT last_txid::text, last_id FROM consumer_offsets WHERE consumer = $1";

  /**
   * The last position of the next batch after ($1, $2) of at most $3 events, and its size. The
   * outer {@code ORDER BY} names {@code b.txid}: a bare {@code txid} there would mean the output
   * column {@code txid::text} and order as text, which puts 999 after 1000.
   */
  static final String BATCH_END =
      "SELECT b.txid::text, b.id, count(*) OVER () FROM (SELECT txid, id FROM outbox"
          + " WHERE (txid, id) > ($1::text::xid8, $2)"
          + " AND txid < pg_snapshot_xmin(pg_current_snapshot())"
          + " ORDER BY txid, id LIMIT $3) b ORDER BY b.txid DESC, b.id DESC LIMIT 1";

  static final String MOVE =
      "UPDATE consumer_offsets SET last_txid = $2::text::xid8, last_id = $3,"
          + " events = events + $4, updated_at = now() WHERE consumer = $1";

  /** Records an event passed over ($1 consumer, $2 txid, $3 id, $4 error). */
  static final String DEAD_LETTER =
      "INSERT INTO outbox_dead_letters (consumer, txid, event_id, error)"
          + " VALUES ($1, $2::text::xid8, $3, $4) ON CONFLICT DO NOTHING";

  /** Tries of one event alone, each failing with a data error, before it is passed over. */
  static final int POISON_TRIES = 3;

  private final Vertx vertx;
  private final Pool pool;
  private final Projection projection;
  private final int batch;
  private final Duration idle;
  private final Duration caughtUpPause;
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  // after a batch failed with a data error: one event at a time, and how often that one failed
  private boolean alone;
  private int poisonTries;
  private volatile boolean stopped;
  private long backlogEvents;
  private long backlogStarted;
  private final Promise<Void> finished = Promise.promise();

  OutboxConsumer(Vertx vertx, Pool pool, Projection projection, int batch, Duration idle) {
    this.vertx = vertx;
    this.pool = pool;
    this.projection = projection;
    this.batch = batch;
    this.idle = idle;
    this.caughtUpPause = projection.poll(idle);
  }

  public String name() {
    return projection.name();
  }

  /** Events applied by this process since it started. */
  public long applied() {
    return applied.get();
  }

  /** Batches that failed (and were retried) since this process started. */
  public long failures() {
    return failures.get();
  }

  /** Events this process passed over (recorded in {@code outbox_dead_letters}) since it started. */
  public long deadLetters() {
    return deadLetters.get();
  }

  void start() {
    loop();
  }

  /** Stops after the batch in progress; the future completes when it has. */
  Future<Void> stop() {
    stopped = true;
    return finished.future();
  }

  private void loop() {
    if (stopped) {
      finished.tryComplete();
      return;
    }
    boolean one = alone;
    step(one ? 1 : batch)
        .onComplete(
            ar -> {
              if (stopped) {
                finished.tryComplete();
              } else if (ar.failed()) {
                failures.incrementAndGet();
                log.warn(
                    "consumer {} failed a batch: {}", projection.name(), ar.cause().toString());
                if (!dataError(ar.cause())) {
                  // the database is down or slow: the same batch again, whatever it holds
                  vertx.setTimer(idle.toMillis() * 10, t -> loop());
                } else if (!one) {
                  // a bad event in the batch, maybe: find it, one event at a time
                  alone = true;
                  poisonTries = 0;
                  vertx.setTimer(idle.toMillis() * 10, t -> loop());
                } else if (++poisonTries < POISON_TRIES) {
                  vertx.setTimer(idle.toMillis() * 10, t -> loop());
                } else {
                  passOver(ar.cause()).onComplete(p -> loop());
                }
              } else if (one && ar.result() > 0) {
                // the event that failed in a batch applied alone: batches again
                alone = false;
                poisonTries = 0;
                vertx.runOnContext(v -> loop());
              } else if (ar.result() >= batch) {
                if (backlogEvents == 0) {
                  backlogStarted = System.nanoTime();
                }
                backlogEvents += ar.result();
                vertx.runOnContext(v -> loop());
              } else {
                if (backlogEvents >= 10L * batch) {
                  log.info(
                      "consumer {} caught up: {} events in {} ms",
                      projection.name(),
                      backlogEvents + ar.result(),
                      (System.nanoTime() - backlogStarted) / 1_000_000);
                }
                backlogEvents = 0;
                vertx.setTimer(caughtUpPause.toMillis(), t -> loop());
              }
            });
  }

  /** One batch in one transaction; returns how many events it applied (0 when none or locked). */
  Future<Integer> step() {
    return step(batch);
  }

  private Future<Integer> step(int size) {
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(LOCK)
                    .execute(Tuple.of(projection.name()))
                    .compose(
                        locked ->
                            locked.iterator().next().getBoolean(0)
                                ? applyNext(conn, projection, size)
                                : Future.succeededFuture(0)))
        .onSuccess(applied::addAndGet);
  }

  /**
   * A failure the event itself causes, which trying again cannot cure: a data exception or an
   * integrity violation of PostgreSQL (SQLSTATE class 22 or 23, e.g. 22P02 for a customer id that
   * is not a number). Anything else (a connection lost, a timeout, a lock) is retried as it is.
   */
  static boolean dataError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof io.vertx.pgclient.PgException pg) {
        String state = pg.getSqlState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
      }
    }
    return false;
  }

  /**
   * Passes over the next event, which failed alone {@link #POISON_TRIES} times with a data error:
   * records it in {@code outbox_dead_letters} and moves the offset past it, in one transaction
   * under the consumer's lock. An ERROR names it; {@link #deadLetters} counts it.
   */
  private Future<Void> passOver(Throwable cause) {
    String error = cause.toString();
    return pool.<Boolean>withTransaction(
            conn ->
                conn.preparedQuery(LOCK)
                    .execute(Tuple.of(projection.name()))
                    .compose(
                        locked -> {
                          if (!locked.iterator().next().getBoolean(0)) {
                            return Future.succeededFuture(false);
                          }
                          return conn.preparedQuery(OFFSET)
                              .execute(Tuple.of(projection.name()))
                              .compose(
                                  o -> {
                                    Row at = o.iterator().next();
                                    return conn.preparedQuery(BATCH_END)
                                        .execute(Tuple.of(at.getString(0), at.getLong(1), 1));
                                  })
                              .compose(
                                  end -> {
                                    if (end.size() == 0) {
                                      return Future.succeededFuture(false);
                                    }
                                    Row next = end.iterator().next();
                                    String txid = next.getString(0);
                                    long id = next.getLong(1);
                                    return conn.preparedQuery(DEAD_LETTER)
                                        .execute(Tuple.of(projection.name(), txid, id, error))
                                        .compose(
                                            d ->
                                                conn.preparedQuery(MOVE)
                                                    .execute(
                                                        Tuple.of(projection.name(), txid, id, 0)))
                                        .map(
                                            m -> {
                                              log.error(
                                                  "consumer {} passed over event {} (txid {}),"
                                                      + " which failed {} times alone: {}; recorded"
                                                      + " in outbox_dead_letters",
                                                  projection.name(),
                                                  id,
                                                  txid,
                                                  POISON_TRIES,
                                                  error);
                                              return true;
                                            });
                                  });
                        }))
        .andThen(
            ar -> {
              if (ar.succeeded() && ar.result()) {
                deadLetters.incrementAndGet();
                alone = false;
                poisonTries = 0;
              }
            })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Applies the next batch after the stored offset; the caller holds the consumer's lock. */
  static Future<Integer> applyNext(SqlConnection conn, Projection projection, int batch) {
    return conn.preparedQuery(OFFSET)
        .execute(Tuple.of(projection.name()))
        .compose(
            offsets -> {
              if (offsets.size() == 0) {
                return Future.failedFuture(
                    new IllegalStateException("no consumer_offsets row for " + projection.name()));
              }
              Row o = offsets.iterator().next();
              Position from = new Position(o.getString(0), o.getLong(1));
              return conn.preparedQuery(BATCH_END)
                  .execute(Tuple.of(from.txid(), from.id(), batch))
                  .compose(end -> applyRange(conn, projection, from, end));
            });
  }

  private static Future<Integer> applyRange(
      SqlConnection conn, Projection projection, Position from, RowSet<Row> end) {
    if (end.size() == 0) {
      return Future.succeededFuture(0);
    }
    Row last = end.iterator().next();
    Position to = new Position(last.getString(0), last.getLong(1));
    int count = last.getLong(2).intValue();
    return projection
        .apply(conn, from, to)
        .compose(
            x ->
                conn.preparedQuery(MOVE)
                    .execute(Tuple.of(projection.name(), to.txid(), to.id(), count)))
        .map(count);
  }
}
