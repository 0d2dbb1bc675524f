package dev.hotpath.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.TransactionPropagation;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The request path's connection pool with the database's faults handled in one place: while the
 * database is unreachable ({@link DatabaseHealth}) every use fails at once with {@link
 * DatabaseUnavailableException}; every statement, connection wait and transaction is bounded by the
 * request's deadline ({@link RequestDeadline}) and fails with {@link DatabaseTimeoutException} when
 * it passes. A transaction or connection block ({@link #withTransaction}, {@link #withConnection})
 * cut short by the deadline also sends PostgreSQL a cancel request for the statement it is running,
 * so the transaction rolls back and the connection returns to the pool healthy; a block that
 * finishes after its deadline was answered rolls back too, so a 503 never hides a commit. A block
 * that finished before the deadline is not cut short: its COMMIT is on its way, and the answer
 * waits for its outcome rather than saying 503 for work that commits a moment later. A connection
 * that arrives after its request's deadline is given straight back. A connection taken with {@link
 * #getConnection} is bounded while it is awaited; once lent, its statements are stopped by the
 * connection's {@code statement_timeout}. Outcomes feed the database's circuit breaker.
 *
 * <p>With read replicas ({@link Replicas}) every use of this pool counts as a write: while it runs
 * no read goes to a replica, and once it is over the primary's WAL position is read and becomes
 * both the floor every replica must clear and the position the request hands back to its client
 * ({@link ReadFloor}) before it answers.
 */
public final class GuardedPool implements Pool {
  static final Runnable NOTHING = () -> {};
  static final Consumer<Object> IGNORE = x -> {};
  private static final Consumer<SqlConnection> GIVE_BACK = SqlConnection::close;

  private final Pool delegate;
  private final Vertx vertx;
  private final DatabaseHealth health;
  private final long graceNanos;
  private final Replicas replicas;

  /**
   * @param grace how long past a request's deadline its database work may still run
   */
  public GuardedPool(Pool delegate, Vertx vertx, DatabaseHealth health, java.time.Duration grace) {
    this(delegate, vertx, health, grace, null);
  }

  /**
   * As above; with {@code replicas} (null: none) the position after every write is tracked for
   * read-your-writes.
   */
  public GuardedPool(
      Pool delegate,
      Vertx vertx,
      DatabaseHealth health,
      java.time.Duration grace,
      Replicas replicas) {
    this.delegate = delegate;
    this.vertx = vertx;
    this.health = health;
    this.graceNanos = grace.toNanos();
    this.replicas = replicas;
  }

  /**
   * Runs {@code use} as a write: reads stay on the primary until it is over and the primary's
   * position after it is known, which becomes the request's written position.
   */
  private <T> Future<T> tracked(java.util.function.Supplier<Future<T>> use) {
    if (replicas == null) {
      return use.get();
    }
    ReadFloor floor = ReadFloor.current();
    replicas.unsettle();
    Future<T> done;
    try {
      done = use.get();
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    return done.transform(
        outcome ->
            settled(floor)
                .compose(
                    v ->
                        outcome.succeeded()
                            ? Future.succeededFuture(outcome.result())
                            : Future.failedFuture(outcome.cause())));
  }

  /**
   * Settles the write {@link Replicas#unsettle} announced; records its position on {@code floor}.
   */
  private Future<Void> settled(ReadFloor floor) {
    return replicas
        .settle()
        .andThen(
            lsn -> {
              if (lsn.succeeded() && floor != null) {
                floor.wrote(lsn.result());
              }
            })
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /**
   * A connection of the pool, awaited no longer than the request's deadline. Lent to a request with
   * a deadline, it is watched: if the request still holds it at the deadline, its running statement
   * gets a cancel request and the request is answered 503 {@code database-timeout} at once; the
   * connection returns to the pool when its holder closes it, after the cancelled statement and the
   * holder's rollback have run.
   */
  @Override
  public Future<SqlConnection> getConnection() {
    Future<SqlConnection> refused = health.refused();
    if (refused != null) {
      return refused;
    }
    RequestDeadline deadline = RequestDeadline.current();
    if (replicas != null) {
      return trackedConnection(deadline);
    }
    if (deadline == null) {
      return delegate.getConnection().onComplete(health.reporter());
    }
    long end = deadline.endNanos() + graceNanos;
    return RequestDeadline.within(vertx, end, delegate::getConnection, NOTHING, GIVE_BACK)
        .onComplete(health.reporter())
        .map(
            conn -> (SqlConnection) new LentConnection(conn, deadline, end, vertx, health::cancel));
  }

  /**
   * Call right before sending the COMMIT of a transaction on a connection from {@link
   * #getConnection}: true when it may commit, and then its request's deadline no longer cuts it
   * short (the answer waits for the COMMIT's outcome instead of saying 503 for work that commits a
   * moment later); false when the deadline has already answered the request, and then the caller
   * must roll back, so that a 503 never hides a commit. True for a connection without a deadline.
   */
  public static boolean committing(SqlConnection conn) {
    return !(conn instanceof LentConnection lent) || lent.committing();
  }

  /**
   * For writes that a connection of no request commits on behalf of the request on the current
   * context (group commit: {@code ingest.OrderGroup}): call on that request's context; the returned
   * action, run once those writes have ended, records the primary's position then as the request's
   * written position (its read-your-writes cookie), as giving back a connection of {@link
   * #getConnection} does for the request that took it. Does nothing without replicas or outside a
   * request.
   */
  public java.util.function.Supplier<Future<Void>> writesOnBehalf() {
    ReadFloor floor = replicas == null ? null : ReadFloor.current();
    if (floor == null) {
      return NO_WRITES;
    }
    return () -> {
      replicas.unsettle();
      return settled(floor);
    };
  }

  private static final java.util.function.Supplier<Future<Void>> NO_WRITES =
      Future::succeededFuture;

  /** {@link #getConnection} with replicas: the write lasts until the connection is given back. */
  private Future<SqlConnection> trackedConnection(RequestDeadline deadline) {
    ReadFloor floor = ReadFloor.current();
    long end = deadline == null ? Long.MAX_VALUE : deadline.endNanos() + graceNanos;
    Future<SqlConnection> lent =
        deadline == null
            ? delegate.getConnection()
            : RequestDeadline.within(vertx, end, delegate::getConnection, NOTHING, GIVE_BACK);
    replicas.unsettle();
    return lent.onComplete(health.reporter())
        .transform(
            got -> {
              if (got.failed()) {
                return settled(floor)
                    .transform(v -> Future.<SqlConnection>failedFuture(got.cause()));
              }
              return Future.succeededFuture(
                  (SqlConnection)
                      new LentConnection(
                          got.result(),
                          deadline,
                          end,
                          vertx,
                          health::cancel,
                          () -> settled(floor)));
            });
  }

  @Override
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> function) {
    return tracked(() -> bounded(fn -> delegate.withConnection(fn), function));
  }

  @Override
  public <T> Future<T> withTransaction(Function<SqlConnection, Future<T>> function) {
    return tracked(() -> bounded(fn -> delegate.withTransaction(fn), function));
  }

  @Override
  public <T> Future<T> withTransaction(
      TransactionPropagation propagation, Function<SqlConnection, Future<T>> function) {
    return tracked(() -> bounded(fn -> delegate.withTransaction(propagation, fn), function));
  }

  /**
   * Runs a connection block within the deadline: the block does not start once the deadline has
   * passed, and a block still running then gets a cancel request for its statement.
   */
  private <T> Future<T> bounded(
      Function<Function<SqlConnection, Future<T>>, Future<T>> run,
      Function<SqlConnection, Future<T>> function) {
    Future<T> refused = health.refused();
    if (refused != null) {
      return refused;
    }
    long end = RequestDeadline.currentEnd(graceNanos);
    if (end == Long.MAX_VALUE) {
      return run.apply(function).onComplete(health.reporter());
    }
    var held =
        new Object() {
          SqlConnection conn;
          boolean expired;
          boolean committing;
          Future<Void> cancelling;
        };
    Runnable cancel =
        () -> {
          held.expired = true;
          if (held.conn instanceof PgConnection pg) {
            // answered by the statement failing with 57014; the block's end (and so the rollback
            // and the connection's return to the pool) waits for it: see LentConnection
            held.cancelling = health.cancel(pg);
          }
        };
    return RequestDeadline.within(
            vertx,
            end,
            () ->
                run.apply(
                    conn -> {
                      if (held.expired) {
                        return Future.failedFuture(
                            new DatabaseTimeoutException(
                                "the request's deadline passed while it waited for a connection"));
                      }
                      held.conn = conn;
                      Future<T> block =
                          function
                              .apply(conn)
                              .andThen(done -> held.conn = null)
                              .compose(
                                  result -> {
                                    if (held.expired) {
                                      // answered 503 already: the work must not commit after all
                                      // (a block can finish before the cancel reaches it)
                                      return Future.failedFuture(
                                          new DatabaseTimeoutException(
                                              "the request's deadline passed; its transaction"
                                                  + " rolls back"));
                                    }
                                    // a transaction's COMMIT goes out now: its outcome decides
                                    held.committing = true;
                                    return Future.succeededFuture(result);
                                  });
                      return block.transform(
                          done ->
                              held.cancelling == null
                                  ? block
                                  : held.cancelling.transform(c -> block));
                    }),
            cancel,
            IGNORE,
            () -> !held.committing)
        .onComplete(health.reporter());
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return GuardedQueries.query(delegate.query(sql), this::guard);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return GuardedQueries.prepared(delegate.preparedQuery(sql), this::guard);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return GuardedQueries.prepared(delegate.preparedQuery(sql, options), this::guard);
  }

  @Override
  public int size() {
    return delegate.size();
  }

  @Override
  public Future<Void> close() {
    return delegate.close();
  }

  private <T> Future<T> guard(java.util.function.Supplier<Future<T>> call) {
    Future<T> refused = health.refused();
    if (refused != null) {
      return refused;
    }
    return tracked(
        () ->
            RequestDeadline.within(
                    vertx, RequestDeadline.currentEnd(graceNanos), call, NOTHING, IGNORE)
                .onComplete(health.reporter()));
  }
}
