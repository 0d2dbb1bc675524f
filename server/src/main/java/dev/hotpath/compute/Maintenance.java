package dev.hotpath.compute;

import dev.hotpath.config.RetentionSettings;
import dev.hotpath.store.MonthIds;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The recurring {@value #KIND} job, all by the {@link Clock} it is given: creates the monthly
 * partitions of orders, order lines and the outbox {@link RetentionSettings#partitionsAhead} months
 * ahead; deletes expired idempotency keys and succeeded jobs finished longer than {@link
 * RetentionSettings#finishedJobs} ago (their reports and import lines go with them), in bounded
 * batches so no statement holds locks for long; and, when {@link RetentionSettings#outboxMonths} is
 * set, drops the outbox partitions older than that once every consumer, and the relay when it runs,
 * has passed their last event. Dead jobs stay for the operator. Idempotent: what is already made or
 * gone is left as it is.
 *
 * @param relay whether the outbox relay runs (then its offset holds outbox partitions too)
 */
public record Maintenance(RetentionSettings retention, boolean relay, Clock clock)
    implements JobHandler {
  public static final String KIND = "maintenance.purge";
  public static final Duration EVERY = Duration.ofMinutes(5);
  static final int BATCH = 10_000;

  private static final String PARTITIONS =
      "SELECT sum(create_month_partitions(t, $1::timestamptz, $1::timestamptz + make_interval(months => $2)))::int"
          + " FROM unnest(ARRAY['orders', 'order_items', 'outbox']) AS t";
  private static final String PURGE_KEYS =
      "DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM idempotency_keys"
          + " WHERE expires_at <= $1 LIMIT "
          + BATCH
          + "))";
  private static final String PURGE_JOBS =
      "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 'succeeded'"
          + " AND finished_at < $1 LIMIT "
          + BATCH
          + ")";
  private static final String OUTBOX_PARTITIONS =
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
          + " WHERE i.inhparent = 'outbox'::regclass ORDER BY c.relname";
  private static final Pattern MONTHLY = Pattern.compile("outbox_y(\\d{4})m(\\d{2})");
  private static final String LEGACY = "outbox_legacy";

  /**
   * Whether an event of the partition is still ahead of a reader: the consumers' offsets, and the
   * relay's when it runs, compared as the (txid, id) positions they read by.
   */
  private static final String STILL_READ =
      "SELECT EXISTS (SELECT 1 FROM %s e, (SELECT last_txid, last_id FROM consumer_offsets%s"
          + " ORDER BY last_txid, last_id LIMIT 1) m WHERE (e.txid, e.id) > (m.last_txid,"
          + " m.last_id))";

  private static final String RELAY_TOO = " UNION ALL SELECT last_txid, last_id FROM relay_offsets";

  @Override
  public Future<String> handle(Job job) {
    Pool pool = job.pool();
    OffsetDateTime now = OffsetDateTime.now(clock).withOffsetSameInstant(ZoneOffset.UTC);
    Future<Integer> partitions =
        pool.preparedQuery(PARTITIONS)
            .execute(Tuple.of(now, retention.partitionsAhead()))
            .map(rows -> rows.iterator().next().getInteger(0));
    return partitions.compose(
        made ->
            purge(pool, PURGE_KEYS, now, 0)
                .compose(
                    keys ->
                        purge(pool, PURGE_JOBS, now.minus(retention.finishedJobs()), 0)
                            .compose(
                                jobs ->
                                    dropOutbox(pool, now)
                                        .map(
                                            dropped ->
                                                "{\"partitions_created\":"
                                                    + made
                                                    + ",\"idempotency_keys\":"
                                                    + keys
                                                    + ",\"jobs\":"
                                                    + jobs
                                                    + ",\"outbox_partitions_dropped\":"
                                                    + dropped
                                                    + "}"))));
  }

  private static Future<Long> purge(Pool pool, String sql, OffsetDateTime before, long sofar) {
    return pool.preparedQuery(sql)
        .execute(Tuple.of(before))
        .compose(
            rows -> {
              long total = sofar + rows.rowCount();
              return rows.rowCount() < BATCH
                  ? Future.succeededFuture(total)
                  : purge(pool, sql, before, total);
            });
  }

  /** Drops, oldest first, the outbox partitions past retention that no reader still needs. */
  private Future<Integer> dropOutbox(Pool pool, OffsetDateTime now) {
    if (!retention.dropsOutbox()) {
      return Future.succeededFuture(0);
    }
    YearMonth keepFrom = YearMonth.from(now).minusMonths(retention.outboxMonths());
    return pool.query(OUTBOX_PARTITIONS)
        .execute()
        .compose(
            rows -> {
              List<String> old = new ArrayList<>();
              for (Row row : rows) {
                String name = row.getString(0);
                if (monthOf(name) != null && monthOf(name).isBefore(keepFrom)) {
                  old.add(name);
                }
              }
              return dropInOrder(pool, old, 0, 0);
            });
  }

  /** The month an outbox partition holds, or null for the default partition. */
  static YearMonth monthOf(String partition) {
    if (partition.equals(LEGACY)) {
      return MonthIds.month(0);
    }
    Matcher m = MONTHLY.matcher(partition);
    return m.matches()
        ? YearMonth.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)))
        : null;
  }

  private Future<Integer> dropInOrder(Pool pool, List<String> names, int index, int dropped) {
    if (index == names.size()) {
      return Future.succeededFuture(dropped);
    }
    String name = names.get(index);
    return pool.withTransaction(
            conn ->
                conn.query("SET LOCAL lock_timeout = '2s'")
                    .execute()
                    .compose(
                        x ->
                            conn.query(STILL_READ.formatted(name, relay ? RELAY_TOO : ""))
                                .execute())
                    .compose(
                        still -> {
                          if (still.iterator().next().getBoolean(0)) {
                            return Future.succeededFuture(false);
                          }
                          return conn.query("DROP TABLE " + name).execute().map(true);
                        }))
        // a reader still needs it: the younger ones are needed too
        .compose(
            gone ->
                gone
                    ? dropInOrder(pool, names, index + 1, dropped + 1)
                    : Future.succeededFuture(dropped));
  }
}
