package dev.hotpath.store;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.PreparedStatement;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.spi.DatabaseMetadata;

/**
 * A pooled connection lent to a request with a deadline ({@link GuardedPool#getConnection}). If the
 * request still holds it when the deadline passes, the statement it is running gets a cancel
 * request (PostgreSQL answers it with 57014, the holder rolls back and closes) and the request is
 * answered at once with {@link DatabaseTimeoutException}, even when the database is frozen and
 * neither will happen until it thaws. Statements are not cut short here: the holder's rollback must
 * still reach the database before the connection goes back to the pool.
 *
 * <p>A cancel request names the backend, not the statement: one that arrives after the statement it
 * was sent for has ended cancels whatever that backend runs next. So once it is sent, every later
 * statement on the connection (the holder's ROLLBACK) and the connection's return to the pool wait
 * until the backend has been signalled ({@link DatabaseHealth#cancel}: {@code pg_cancel_backend} on
 * a connection of its own, which returns once the signal is sent; the protocol's cancel request is
 * never answered, and waiting for it to be written was not enough), while it still runs the
 * cancelled statement or is idle (and ignores the signal). Without the wait, under load (a 2-core
 * machine with three builds running, 64 writers, 2026-12-06) a late cancel struck the next
 * request's transaction on the same connection: its BEGIN or claim failed with 57014, a pipelined
 * statement behind with 25P02, and that request was answered 503 or 500 although its own deadline
 * had not passed. One event loop.
 */
final class LentConnection implements SqlConnection {
  private final SqlConnection conn;
  private final Vertx vertx;
  private final long timer;
  private final java.util.function.Supplier<Future<Void>> afterClose;
  private boolean closed;
  private boolean expired;
  private boolean committing;

  /** The cancel sent at the deadline, until the backend has been signalled; else null. */
  private Future<Void> cancelling;

  /** Cancels what a connection's backend runs; completes once the backend has been signalled. */
  @FunctionalInterface
  interface Canceller {
    Future<Void> cancel(PgConnection conn);
  }

  LentConnection(
      SqlConnection conn,
      RequestDeadline deadline,
      long endNanos,
      Vertx vertx,
      Canceller canceller) {
    this(conn, deadline, endNanos, vertx, canceller, null);
  }

  /**
   * @param deadline null for a request without one (no timer)
   * @param afterClose null, or what must complete before {@link #close} answers (the write's
   *     position, for read-your-writes)
   */
  LentConnection(
      SqlConnection conn,
      RequestDeadline deadline,
      long endNanos,
      Vertx vertx,
      Canceller canceller,
      java.util.function.Supplier<Future<Void>> afterClose) {
    this.conn = conn;
    this.vertx = vertx;
    this.afterClose = afterClose;
    if (deadline == null) {
      this.timer = -1;
      return;
    }
    long left = endNanos - System.nanoTime();
    this.timer =
        vertx.setTimer(
            Math.max(1, (left + 999_999) / 1_000_000),
            id -> {
              if (closed || committing) {
                return;
              }
              expired = true;
              if (conn instanceof PgConnection pg) {
                cancelling = canceller.cancel(pg);
              }
              deadline.expire(
                  new DatabaseTimeoutException(
                      "the request still held a database connection at its deadline; its statement was cancelled"));
            });
  }

  /**
   * Marks the transaction's COMMIT as on its way: from now on the deadline no longer answers the
   * request, whose outcome is the COMMIT's. False, and nothing marked, once the deadline has
   * answered it (503): then the transaction must roll back rather than commit.
   */
  boolean committing() {
    if (expired) {
      return false;
    }
    committing = true;
    return true;
  }

  @Override
  public Future<Void> close() {
    if (!closed) {
      closed = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      if (afterClose != null) {
        return afterCancel(conn::close).eventually(afterClose);
      }
    }
    return afterCancel(conn::close);
  }

  /** Runs {@code next} at once, or once the cancel request sent at the deadline is acknowledged. */
  private <T> Future<T> afterCancel(java.util.function.Supplier<Future<T>> next) {
    return cancelling == null ? next.get() : cancelling.transform(c -> next.get());
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return GuardedQueries.query(conn.query(sql), this::afterCancel);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return GuardedQueries.prepared(conn.preparedQuery(sql), this::afterCancel);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return GuardedQueries.prepared(conn.preparedQuery(sql, options), this::afterCancel);
  }

  @Override
  public Future<PreparedStatement> prepare(String sql) {
    return conn.prepare(sql);
  }

  @Override
  public Future<PreparedStatement> prepare(String sql, PrepareOptions options) {
    return conn.prepare(sql, options);
  }

  @Override
  public SqlConnection exceptionHandler(Handler<Throwable> handler) {
    conn.exceptionHandler(handler);
    return this;
  }

  @Override
  public SqlConnection closeHandler(Handler<Void> handler) {
    conn.closeHandler(handler);
    return this;
  }

  @Override
  public Future<Transaction> begin() {
    return conn.begin();
  }

  @Override
  public Transaction transaction() {
    return conn.transaction();
  }

  @Override
  public boolean isSSL() {
    return conn.isSSL();
  }

  @Override
  public DatabaseMetadata databaseMetadata() {
    return conn.databaseMetadata();
  }
}
