package dev.hotpath.store;

import dev.hotpath.observe.QueryCounter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;
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
 *
 * <p>Replicas: with read replicas ({@link Replicas}) a statement goes to a replica that has
 * replayed every write its request must see ({@link ReadFloor}: the client's own last write, and
 * every write this process has seen invalidate the cache); to the primary otherwise. A statement a
 * replica fails (other than by the request's deadline) is sent again to the primary, and that
 * replica takes no reads until its next good poll. Statements that must see the primary whatever
 * the floor (reads that feed a write) go through {@link #primary()}.
 */
public final class Statements {
  private final SqlClient client;
  private final QueryCounter counter;
  private final Vertx vertx;
  private final DatabaseHealth health;
  private final long graceNanos;
  private final Replicas replicas;
  private final List<SqlClient> replicaClients;
  private final Statements primary;

  /**
   * @param grace how long past a request's deadline its statements may still run
   */
  public Statements(
      SqlClient client,
      QueryCounter counter,
      Vertx vertx,
      DatabaseHealth health,
      java.time.Duration grace) {
    this(client, counter, vertx, health, grace, null, List.of());
  }

  /**
   * As the constructor above, with reads sent to {@code replicas} (null: none) through this event
   * loop's {@code replicaClients} (one per replica, in the order of {@link Replicas#clients}).
   */
  public Statements(
      SqlClient client,
      QueryCounter counter,
      Vertx vertx,
      DatabaseHealth health,
      java.time.Duration grace,
      Replicas replicas,
      List<SqlClient> replicaClients) {
    this.client = client;
    this.counter = counter;
    this.vertx = vertx;
    this.health = health;
    this.graceNanos = grace.toNanos();
    this.replicas = replicas;
    this.replicaClients = List.copyOf(replicaClients);
    this.primary = replicas == null ? this : new Statements(client, counter, vertx, health, grace);
  }

  /** The same door, always to the primary: for reads whose answer feeds a write. */
  public Statements primary() {
    return primary;
  }

  /** Executes {@code sql} (cached as a prepared statement per connection) with {@code args}. */
  public Future<RowSet<Row>> run(String sql, Tuple args) {
    if (replicas != null) {
      ReadFloor floor = ReadFloor.current();
      int k = replicas.pick(floor == null ? 0 : floor.needed());
      if (k >= 0) {
        return onReplica(k, sql, args);
      }
    }
    Future<RowSet<Row>> refused = health.refused();
    if (refused != null) {
      return refused;
    }
    return send(client, sql, args).onComplete(health.reporter());
  }

  /** Counts and sends one statement on {@code to}, bounded by the request's deadline. */
  private Future<RowSet<Row>> send(SqlClient to, String sql, Tuple args) {
    counter.record(sql);
    return RequestDeadline.within(
        vertx,
        RequestDeadline.currentEnd(graceNanos),
        () -> to.preparedQuery(sql).execute(args),
        GuardedPool.NOTHING,
        GuardedPool.IGNORE);
  }

  private Future<RowSet<Row>> onReplica(int k, String sql, Tuple args) {
    return send(replicaClients.get(k), sql, args)
        .recover(
            failure -> {
              if (failure instanceof DatabaseTimeoutException) {
                return Future.failedFuture(failure);
              }
              replicas.failed(k, failure);
              return primary.run(sql, args);
            });
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
