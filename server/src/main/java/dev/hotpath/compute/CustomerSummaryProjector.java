package dev.hotpath.compute;

import java.util.Optional;

/**
 * Maintains {@code customer_order_summary}: per customer and currency, the orders not cancelled,
 * what they add up to, and when the latest order was placed. A batch is folded in one statement;
 * counts and sums are integers and the last order time is a maximum, so the result does not depend
 * on how the log is cut into batches (a rebuild equals the incremental model).
 */
public final class CustomerSummaryProjector extends StatementProjection {
  private static final String APPLY =
      "WITH ev AS (SELECT type, (payload->>'customer_id')::bigint AS customer_id,"
          + " payload->>'currency' AS currency, (payload->>'total_minor')::bigint AS total,"
          + " (payload->>'created_at')::timestamptz AS created_at FROM outbox WHERE "
          + RANGE
          + " AND type IN ('order.created', 'order.cancelled')),"
          + " agg AS (SELECT customer_id, currency,"
          + " sum(CASE WHEN type = 'order.created' THEN 1 ELSE -1 END) AS n,"
          + " sum(CASE WHEN type = 'order.created' THEN total ELSE -total END) AS spent,"
          + " max(created_at) FILTER (WHERE type = 'order.created') AS last_at"
          + " FROM ev GROUP BY customer_id, currency)"
          + " INSERT INTO customer_order_summary AS s"
          + " (customer_id, currency, order_count, total_spent_minor, last_order_at)"
          + " SELECT customer_id, currency, n, spent, last_at FROM agg"
          + " ON CONFLICT (customer_id, currency) DO UPDATE SET"
          + " order_count = s.order_count + EXCLUDED.order_count,"
          + " total_spent_minor = s.total_spent_minor + EXCLUDED.total_spent_minor,"
          + " last_order_at = GREATEST(s.last_order_at, EXCLUDED.last_order_at)";

  public CustomerSummaryProjector() {
    super("customer_order_summary", Optional.of("customer_order_summary"), APPLY);
  }
}
