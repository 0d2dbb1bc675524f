package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.Optional;

/**
 * One consumer of the event log: a read model or a side effect. {@link #apply} runs inside the
 * transaction that also moves the consumer's offset, so its effects happen exactly once even though
 * delivery is at least once; effects that leave the database must be idempotent on their own.
 */
public interface Projection {
  /** The consumer name, its row in {@code consumer_offsets}. */
  String name();

  /**
   * The table this projection owns when it is a read model that can be rebuilt from the log; empty
   * for side effects (which must not run twice).
   */
  Optional<String> table();

  /**
   * Applies every event with a position in {@code (from, to]}. Every row of that range is committed
   * and visible when this is called, and no row will ever be added to it.
   */
  Future<?> apply(SqlConnection conn, Position from, Position to);

  /** The SQL condition selecting the events of {@code (from, to]}, with parameters $1 to $4. */
  String RANGE = "(txid, id) > ($1::text::xid8, $2) AND (txid, id) <= ($3::text::xid8, $4)";
}
