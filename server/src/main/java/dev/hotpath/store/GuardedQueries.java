package dev.hotpath.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collector;

/**
 * Queries whose every execution goes through a {@link Guard}: the pool's deadline and circuit
 * breaker ({@link GuardedPool}), or a lent connection's wait for its cancel request ({@link
 * LentConnection}).
 */
final class GuardedQueries {
  private GuardedQueries() {}

  /** Runs one execution of a statement, or fails it without running it. */
  interface Guard {
    <T> Future<T> run(Supplier<Future<T>> execution);
  }

  static <T> Query<T> query(Query<T> query, Guard guard) {
    return new Guarded<>(query, guard);
  }

  static <T> PreparedQuery<T> prepared(PreparedQuery<T> query, Guard guard) {
    return new GuardedPrepared<>(query, guard);
  }

  private record Guarded<T>(Query<T> query, Guard guard) implements Query<T> {
    @Override
    public Future<T> execute() {
      return guard.run(query::execute);
    }

    @Override
    public <R> Query<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new Guarded<>(query.collecting(collector), guard);
    }

    @Override
    public <U> Query<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new Guarded<>(query.mapping(mapper), guard);
    }
  }

  private record GuardedPrepared<T>(PreparedQuery<T> query, Guard guard)
      implements PreparedQuery<T> {
    @Override
    public Future<T> execute() {
      return guard.run(query::execute);
    }

    @Override
    public Future<T> execute(Tuple args) {
      return guard.run(() -> query.execute(args));
    }

    @Override
    public Future<T> executeBatch(List<Tuple> batch) {
      return guard.run(() -> query.executeBatch(batch));
    }

    @Override
    public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
      return new GuardedPrepared<>(query.collecting(collector), guard);
    }

    @Override
    public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
      return new GuardedPrepared<>(query.mapping(mapper), guard);
    }
  }
}
