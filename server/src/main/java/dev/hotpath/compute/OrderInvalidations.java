package dev.hotpath.compute;

import dev.hotpath.serve.cache.CacheInvalidation;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import java.util.Optional;

/**
 * Side effect: announces to every instance's response cache what each order placed through the API
 * changed (its customer's order pages, its products, the order itself), one {@code NOTIFY
 * hotpath_cache} message per {@value #TOKENS_PER_MESSAGE} owners of a batch, in the transaction
 * that moves this consumer's offset: a message is delivered exactly when the batch is consumed, and
 * an order whose writer died right after its commit is announced all the same.
 *
 * <p><b>Why not in the order's own transaction.</b> {@code NOTIFY} takes a database-wide lock at
 * commit and holds it until the commit is flushed, so that notifications enter the queue in commit
 * order; every transaction that notifies therefore commits alone, WAL flush included, and group
 * commit is lost. Measured on this machine (pgbench, TPC-B-like, 64 clients, four runs on the
 * embedded PostgreSQL), one {@code pg_notify} added to the transaction cut its rate to 0.19-0.37 of
 * the plain transaction, which is where order placement stood against pgbench (0.29-0.31) while
 * each order notified; the most sampled wait of the order's sessions was then {@code Lock:object}
 * at {@code COMMIT}. Here one transaction notifies per batch. The price is latency: another
 * instance evicts within about {@code HOTPATH_OUTBOX_POLL_MS} (100 ms) of the commit instead of
 * within milliseconds, and later while a long transaction holds the log's horizon back (see {@link
 * OutboxConsumer}); the writing instance still evicts its own cache, and the shared level, before
 * it answers.
 *
 * <p>A message carries the origin of the instance that placed its orders (the event's {@code
 * cache_origin}), so that instance skips it, having evicted before it answered; events without one
 * are sent as from {@value #ORIGIN}, which is no instance's. Seeded and imported orders are not
 * announced, as before (they never notified). Not rebuildable: the consumer starts at the end of
 * the log when it is created (V14).
 */
public final class OrderInvalidations extends StatementProjection {
  static final String NAME = "cache_invalidation";

  /** The origin of messages about events that name none: not hex, so never an instance's. */
  static final String ORIGIN = "log";

  /** Owner tokens are at most 22 characters; 250 of them stay well below NOTIFY's 8,000 bytes. */
  static final int TOKENS_PER_MESSAGE = 250;

  static final String APPLY =
      "SELECT pg_notify('"
          + CacheInvalidation.CHANNEL
          + "', coalesce(origin, '"
          + ORIGIN
          + "') || '|' || string_agg(token, ',')) FROM (SELECT origin, token,"
          + " (row_number() OVER (PARTITION BY origin ORDER BY token) - 1) / "
          + TOKENS_PER_MESSAGE
          + " AS part FROM (SELECT DISTINCT e.cache_origin AS origin, t.token"
          + " FROM outbox e CROSS JOIN LATERAL ("
          + token(Kind.CUSTOMER_ORDERS, "e.payload->>'customer_id'")
          + " UNION ALL "
          + token(Kind.ORDER, "e.payload->>'order_id'")
          + " UNION ALL "
          + token(Kind.PRODUCT, "i->>'product_id'")
          + " FROM jsonb_array_elements(e.payload->'items') i) t(token)"
          + " WHERE "
          + RANGE
          + " AND e.type = 'order.created' AND e.payload->>'source' = 'api') d) parts"
          + " GROUP BY origin, part";

  private static String token(Kind kind, String id) {
    return "SELECT '" + kind.code() + ":' || (" + id + ")";
  }

  public OrderInvalidations() {
    super(NAME, Optional.empty(), APPLY);
  }
}
