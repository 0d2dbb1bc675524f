package dev.hotpath.store;

import dev.hotpath.observe.QueryCounter;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * The read side's door to the database: runs prepared statements on one event loop's pipelined
 * client and counts each one it sends, so that "how many queries did this take" has a measured
 * answer. Pipelined: a statement goes out at once on a connection that may still be answering
 * others, so reads never wait for a free connection; only single statements belong here (a
 * pipelined client lends no connection, so no transaction).
 */
public final class Statements {
  private final SqlClient client;
  private final QueryCounter counter;

  public Statements(SqlClient client, QueryCounter counter) {
    this.client = client;
    this.counter = counter;
  }

  /** Executes {@code sql} (cached as a prepared statement per connection) with {@code args}. */
  public Future<RowSet<Row>> run(String sql, Tuple args) {
    counter.record(sql);
    return client.preparedQuery(sql).execute(args);
  }
}
