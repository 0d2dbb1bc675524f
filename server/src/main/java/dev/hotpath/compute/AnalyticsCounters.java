package dev.hotpath.compute;

import java.util.Optional;

/**
 * Side effect: daily analytics counters — events per type and revenue per currency, by the UTC day
 * the event was recorded. Sums of integers, so rebuildable from the log.
 */
public final class AnalyticsCounters extends StatementProjection {
  private static final String APPLY =
      "WITH ev AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, type, payload"
          + " FROM outbox WHERE "
          + RANGE
          + "),"
          + " m AS (SELECT day, type AS metric, 1::bigint AS value FROM ev"
          + " UNION ALL SELECT day, 'revenue_minor.' || (payload->>'currency'),"
          + " CASE type WHEN 'order.created' THEN 1 ELSE -1 END * (payload->>'total_minor')::bigint"
          + " FROM ev WHERE type IN ('order.created', 'order.cancelled'))"
          + " INSERT INTO analytics_counters AS a (day, metric, value)"
          + " SELECT day, metric, sum(value) FROM m GROUP BY day, metric"
          + " ON CONFLICT (day, metric) DO UPDATE SET value = a.value + EXCLUDED.value";

  public AnalyticsCounters() {
    super("analytics", Optional.of("analytics_counters"), APPLY);
  }
}
