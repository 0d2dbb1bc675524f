package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
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
        new AnalyticsCounters(),
        new OrderInvalidations());
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

  /**
   * What {@link #check} found: the live model at {@code position} and a rebuild up to the same
   * position, as row counts and up to {@value #SHOWN} rows that only one of them has ({@code "live
   * (...)"} or {@code "rebuilt (...)"}).
   */
  public record Check(
      String name, Position position, long liveRows, long rebuiltRows, List<String> differences) {
    public Check {
      differences = List.copyOf(differences);
    }

    public boolean equal() {
      return differences.isEmpty() && liveRows == rebuiltRows;
    }
  }

  static final int SHOWN = 20;

  /**
   * The last readable position and the number of events up to it. {@code ORDER BY o.txid}, not
   * {@code txid}: a bare name would mean the output column {@code txid::text}, ordered as text, so
   * that a log whose txids run from 3-digit to 4-digit numbers "ended" at the last 3-digit one and
   * the rebuild stopped short of the live model (seen in CI: 200,038 against 200,245 orders).
   */
  private static final String END_OF_LOG =
      "SELECT o.txid::text, o.id, count(*) OVER () FROM outbox o"
          + " WHERE o.txid < pg_snapshot_xmin(pg_current_snapshot())"
          + " ORDER BY o.txid DESC, o.id DESC LIMIT 1";

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
    String table = tableOf(projection);
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

  /**
   * Compares the live model of {@code projection} with a rebuild from the log up to the very
   * position the live model has reached, and changes nothing: while it holds the consumer's lock
   * (so no batch moves the model or its offset), it copies the table, recomputes it from the start
   * of the log to the stored offset, compares the two, and rolls back. A live model compared with a
   * rebuild taken at another moment differs by whatever was committed in between; compared at one
   * position they must be equal, always.
   *
   * @throws IllegalArgumentException when it is a side effect, not a read model
   */
  public static Future<Check> check(Pool pool, Projection projection) {
    String table = tableOf(projection);
    return pool.getConnection()
        .compose(
            conn ->
                conn.begin()
                    .compose(tx -> compare(conn, projection, table).eventually(tx::rollback))
                    .eventually(conn::close));
  }

  /** The comparison of {@link #check}, inside its transaction (rolled back by the caller). */
  private static Future<Check> compare(SqlConnection conn, Projection projection, String table) {
    return conn.preparedQuery(OutboxConsumer.WAIT_LOCK)
        .execute(Tuple.of(projection.name()))
        .compose(
            locked ->
                conn.preparedQuery(OutboxConsumer.OFFSET).execute(Tuple.of(projection.name())))
        .compose(
            offset -> {
              Row o = offset.iterator().next();
              Position at = new Position(o.getString(0), o.getLong(1));
              return conn.query("CREATE TEMP TABLE rebuild_live ON COMMIT DROP AS TABLE " + table)
                  .execute()
                  .compose(x -> conn.query("DELETE FROM " + table).execute())
                  .compose(x -> projection.apply(conn, Position.START, at))
                  .compose(x -> differences(conn, projection.name(), table, at));
            });
  }

  private static Future<Check> differences(
      SqlConnection conn, String name, String table, Position at) {
    String counts =
        "SELECT (SELECT count(*) FROM rebuild_live), (SELECT count(*) FROM " + table + ")";
    String only =
        "SELECT 'live ' || t::text FROM (TABLE rebuild_live EXCEPT ALL TABLE "
            + table
            + ") t UNION ALL SELECT 'rebuilt ' || t::text FROM (TABLE "
            + table
            + " EXCEPT ALL TABLE rebuild_live) t ORDER BY 1 LIMIT "
            + SHOWN;
    return conn.query(counts)
        .execute()
        .compose(
            n ->
                conn.query(only)
                    .execute()
                    .map(
                        rows -> {
                          Row c = n.iterator().next();
                          List<String> differing = new ArrayList<>();
                          rows.forEach(r -> differing.add(r.getString(0)));
                          return new Check(name, at, c.getLong(0), c.getLong(1), differing);
                        }));
  }

  private static String tableOf(Projection projection) {
    return projection
        .table()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    projection.name()
                        + " is a side effect and is never replayed; rebuildable: "
                        + rebuildable()));
  }

  private static Future<Result> reset(
      SqlConnection conn, Projection projection, Position to, long events) {
    return conn.preparedQuery(RESET)
        .execute(Tuple.of(projection.name(), to.txid(), to.id(), events))
        .map(x -> new Result(projection.name(), events, to));
  }
}
