package dev.hotpath.store;

import dev.hotpath.observe.QueryCounter;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

/**
 * The read side's door to the database: runs prepared statements on one event loop's pool and
 * counts each one it sends, so that "how many queries did this take" has a measured answer.
 */
public final class Statements {
  private final Pool pool;
  private final QueryCounter counter;

  public Statements(Pool pool, QueryCounter counter) {
    this.pool = pool;
    this.counter = counter;
  }

  /** Executes {@code sql} (cached as a prepared statement per connection) with {@code args}. */
  public Future<RowSet<Row>> run(String sql, Tuple args) {
    counter.record(sql);
    return pool.preparedQuery(sql).execute(args);
  }
}
