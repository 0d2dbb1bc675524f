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
 * still reach the database before the connection goes back to the pool. One event loop.
 */
final class LentConnection implements SqlConnection {
  private final SqlConnection conn;
  private final Vertx vertx;
  private final long timer;
  private final java.util.function.Supplier<Future<Void>> afterClose;
  private boolean closed;

  LentConnection(SqlConnection conn, RequestDeadline deadline, long endNanos, Vertx vertx) {
    this(conn, deadline, endNanos, vertx, null);
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
              if (closed) {
                return;
              }
              if (conn instanceof PgConnection pg) {
                pg.cancelRequest();
              }
              deadline.expire(
                  new DatabaseTimeoutException(
                      "the request still held a database connection at its deadline; its statement was cancelled"));
            });
  }

  @Override
  public Future<Void> close() {
    if (!closed) {
      closed = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      if (afterClose != null) {
        return conn.close().eventually(afterClose);
      }
    }
    return conn.close();
  }

  @Override
  public Query<RowSet<Row>> query(String sql) {
    return conn.query(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
    return conn.preparedQuery(sql);
  }

  @Override
  public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
    return conn.preparedQuery(sql, options);
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
