package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;

/**
 * Recomputes a read model from the whole event log with the same {@link Projection} code the live
 * consumer runs, in one transaction: wait for the consumer's lock (a running batch finishes first;
 * live consumers skip while the rebuild holds it), empty the table, apply every event up to the end
 * of the readable log, set the offset there. Readers see the old model until the commit.
 */
public final class Rebuild {
  /** Every consumer of the log, in the order the compute flow starts them. */
  public static List<Projection> projections() {
    return List.of(
        new CustomerSummaryProjector(),
        new ProductStatsProjector(),
        new ConfirmationNotifier(),
        new AnalyticsCounters());
  }

  /** The projections that are read models and can be rebuilt, by name. */
  public static List<String> rebuildable() {
    return projections().stream().filter(p -> p.table().isPresent()).map(Projection::name).toList();
  }

  public static Optional<Projection> named(String name) {
    return projections().stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** What a rebuild did. */
  public record Result(String name, long events, Position position) {}

  private static final String END_OF_LOG =
      "SELECT txid::text, id, count(*) OVER () FROM outbox"
          + " WHERE txid < pg_snapshot_xmin(pg_current_snapshot())"
          + " ORDER BY txid DESC, id DESC LIMIT 1";
  private static final String RESET =
      "UPDATE consumer_offsets SET last_txid = $2::text::xid8, last_id = $3, events = $4,"
          + " updated_at = now() WHERE consumer = $1";

  private Rebuild() {}

  /**
   * Rebuilds {@code projection}.
   *
   * @throws IllegalArgumentException when it is a side effect, not a read model
   */
  public static Future<Result> run(Pool pool, Projection projection) {
    String table =
        projection
            .table()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        projection.name()
                            + " is a side effect and is never replayed; rebuildable: "
                            + rebuildable()));
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(OutboxConsumer.WAIT_LOCK)
                .execute(Tuple.of(projection.name()))
                .compose(locked -> conn.query("DELETE FROM " + table).execute())
                .compose(deleted -> conn.query(END_OF_LOG).execute())
                .compose(
                    end -> {
                      if (end.size() == 0) {
                        return reset(conn, projection, Position.START, 0);
                      }
                      Row last = end.iterator().next();
                      Position to = new Position(last.getString(0), last.getLong(1));
                      long events = last.getLong(2);
                      return projection
                          .apply(conn, Position.START, to)
                          .compose(x -> reset(conn, projection, to, events));
                    }));
  }

  private static Future<Result> reset(
      io.vertx.sqlclient.SqlConnection conn, Projection projection, Position to, long events) {
    return conn.preparedQuery(RESET)
        .execute(Tuple.of(projection.name(), to.txid(), to.id(), events))
        .map(x -> new Result(projection.name(), events, to));
  }
}
