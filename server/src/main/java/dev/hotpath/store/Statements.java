package dev.hotpath.store;

import dev.hotpath.observe.QueryCounter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/**
 * The read side's door to the database: runs prepared statements on one event loop's pipelined
 * client and counts each one it sends, so that "how many queries did this take" has a measured
 * answer. Pipelined: a statement goes out at once on a connection that may still be answering
 * others, so reads never wait for a free connection; only single statements belong here (a
 * pipelined client lends no connection, so no transaction).
 *
 * <p>Faults: while the database is unreachable ({@link DatabaseHealth}) a statement fails at once
 * with {@link DatabaseUnavailableException} and is not sent; a statement still unanswered at the
 * request's deadline ({@link RequestDeadline}) fails with {@link DatabaseTimeoutException}. A
 * pipelined client cannot address the one backend running a statement, so no cancel request is sent
 * from here: the connections' {@code statement_timeout} stops it on the server, and the connection
 * stays in use for the others.
 */
public final class Statements {
  private final SqlClient client;
  private final QueryCounter counter;
  private final Vertx vertx;
  private final DatabaseHealth health;
  private final long graceNanos;

  /**
   * @param grace how long past a request's deadline its statements may still run
   */
  public Statements(
      SqlClient client,
      QueryCounter counter,
      Vertx vertx,
      DatabaseHealth health,
      java.time.Duration grace) {
    this.client = client;
    this.counter = counter;
    this.vertx = vertx;
    this.health = health;
    this.graceNanos = grace.toNanos();
  }

  /** Executes {@code sql} (cached as a prepared statement per connection) with {@code args}. */
  public Future<RowSet<Row>> run(String sql, Tuple args) {
    Future<RowSet<Row>> refused = health.refused();
    if (refused != null) {
      return refused;
    }
    counter.record(sql);
    return RequestDeadline.within(
            vertx,
            RequestDeadline.currentEnd(graceNanos),
            () -> client.preparedQuery(sql).execute(args),
            GuardedPool.NOTHING,
            GuardedPool.IGNORE)
        .onComplete(health.reporter());
  }

  /** As {@link #run}, for a statement that finds one row: its first row, or empty for none. */
  public Future<Optional<Row>> first(String sql, Tuple args) {
    return run(sql, args).map(Statements::first);
  }

  /** The first row of {@code rows}, or empty when there is none. */
  public static Optional<Row> first(RowSet<Row> rows) {
    RowIterator<Row> it = rows.iterator();
    return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
  }
}
