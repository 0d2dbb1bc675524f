package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;

/**
 * A projection that applies a range of events with one statement, whose parameters $1 to $4 are the
 * range's bounds (see {@link Projection#RANGE}).
 */
abstract class StatementProjection implements Projection {
  private final String name;
  private final Optional<String> table;
  private final String statement;

  StatementProjection(String name, Optional<String> table, String statement) {
    this.name = name;
    this.table = table;
    this.statement = statement;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final Optional<String> table() {
    return table;
  }

  @Override
  public final Future<?> apply(SqlConnection conn, Position from, Position to) {
    return conn.preparedQuery(statement)
        .execute(Tuple.of(from.txid(), from.id(), to.txid(), to.id()));
  }
}
