package dev.hotpath.compute;

import dev.hotpath.config.RetentionSettings;
import dev.hotpath.store.MonthIds;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
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
 * has passed their last event; when {@link RetentionSettings#outboxEvents} is set, deletes the
 * events older than that which every reader has passed, row by row in bounded batches (each its own
 * short transaction), from the partitions that stay. Dead jobs stay for the operator. Idempotent:
 * what is already made or gone is left as it is. Runs every {@link
 * RetentionSettings#maintenanceInterval}.
 *
 * @param relay whether the outbox relay runs (then its offset holds outbox partitions too)
 */
public record Maintenance(RetentionSettings retention, boolean relay, Clock clock)
    implements JobHandler {
  public static final String KIND = "maintenance.purge";
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

  /**
   * Parts of import files no import still needs: an upload refused or abandoned half-way, or one
   * whose import succeeded without dropping them (the process stopped in between). A day old, so
   * that no upload still arriving loses its parts.
   */
  private static final String PURGE_IMPORT_PARTS =
      "DELETE FROM order_import_parts WHERE (upload, part) IN (SELECT p.upload, p.part"
          + " FROM order_import_parts p WHERE p.created_at < $1 AND NOT EXISTS (SELECT 1"
          + " FROM order_imports i JOIN jobs j ON j.id = i.id WHERE i.upload = p.upload"
          + " AND j.status <> 'succeeded') LIMIT "
          + BATCH
          + ")";

  private static final String OUTBOX_PARTITIONS =
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
          + " WHERE i.inhparent = 'outbox'::regclass ORDER BY c.relname";
  private static final Pattern MONTHLY = Pattern.compile("outbox_y(\\d{4})m(\\d{2})");
  private static final String LEGACY = "outbox_legacy";

  /**
   * The position of the slowest reader, as a one-row table {@code m(last_txid, last_id)}: the
   * consumers' offsets, and the relay's when it runs, compared as the (txid, id) positions they
   * read by. An event at or before it has been read by every reader.
   */
  private static final String SLOWEST_READER =
      "(SELECT last_txid, last_id FROM consumer_offsets%s ORDER BY last_txid, last_id LIMIT 1) m";

  private static final String RELAY_TOO = " UNION ALL SELECT last_txid, last_id FROM relay_offsets";

  /** Whether an event of the partition is still ahead of the slowest reader. */
  private static final String STILL_READ =
      "SELECT EXISTS (SELECT 1 FROM %s e, %s WHERE (e.txid, e.id) > (m.last_txid, m.last_id))";

  /**
   * The id below which the row purge looks: that of the first event, in id order, not older than
   * the retention (ids grow with time: the month, then the sequence), or all when none is. Bounds
   * each batch's scan to the old end of the primary key instead of every event the readers passed.
   */
  static final String YOUNG_FROM =
      "SELECT coalesce((SELECT id FROM outbox WHERE created_at >= $1 ORDER BY id LIMIT 1),"
          + " 9223372036854775807)";

  /** One batch of the row purge: events older than $1, below id $2, that every reader passed. */
  static final String PURGE_EVENTS =
      "DELETE FROM outbox WHERE id < $2 AND id = ANY (ARRAY(SELECT e.id FROM outbox e, %s"
          + " WHERE e.id < $2 AND e.created_at < $1 AND (e.txid, e.id) <= (m.last_txid, m.last_id)"
          + " ORDER BY e.id LIMIT "
          + BATCH
          + "))";

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
            purge(pool, PURGE_KEYS, Tuple.of(now), 0)
                .compose(
                    keys ->
                        purge(pool, PURGE_JOBS, Tuple.of(now.minus(retention.finishedJobs())), 0)
                            .compose(
                                jobs ->
                                    purge(
                                            pool,
                                            PURGE_IMPORT_PARTS,
                                            Tuple.of(now.minus(java.time.Duration.ofDays(1))),
                                            0)
                                        .map(parts -> jobs))
                            .compose(
                                jobs ->
                                    dropOutbox(pool, now)
                                        .compose(
                                            dropped ->
                                                purgeEvents(pool, now)
                                                    .map(
                                                        events ->
                                                            "{\"partitions_created\":"
                                                                + made
                                                                + ",\"idempotency_keys\":"
                                                                + keys
                                                                + ",\"jobs\":"
                                                                + jobs
                                                                + ",\"outbox_partitions_dropped\":"
                                                                + dropped
                                                                + ",\"outbox_events\":"
                                                                + events
                                                                + "}")))));
  }

  private String slowestReader() {
    return SLOWEST_READER.formatted(relay ? RELAY_TOO : "");
  }

  /** One batch of the row purge, with this job's readers. */
  String purgeEventsSql() {
    return PURGE_EVENTS.formatted(slowestReader());
  }

  /**
   * Deletes, in batches of {@value #BATCH} (each a statement of its own: short transactions, row
   * locks only on what it deletes, which no reader takes), the outbox events older than the
   * retention that every reader has passed. Dead tuples are left to autovacuum.
   */
  private Future<Long> purgeEvents(Pool pool, OffsetDateTime now) {
    if (!retention.purgesOutboxEvents()) {
      return Future.succeededFuture(0L);
    }
    OffsetDateTime before = now.minus(retention.outboxEvents());
    String sql = purgeEventsSql();
    return pool.preparedQuery(YOUNG_FROM)
        .execute(Tuple.of(before))
        .compose(rows -> purge(pool, sql, Tuple.of(before, rows.iterator().next().getLong(0)), 0));
  }

  /** Runs a batch of at most {@value #BATCH} deletes until one deletes fewer: rows deleted. */
  private static Future<Long> purge(Pool pool, String sql, Tuple args, long sofar) {
    return pool.preparedQuery(sql)
        .execute(args)
        .compose(
            rows -> {
              long total = sofar + rows.rowCount();
              return rows.rowCount() < BATCH
                  ? Future.succeededFuture(total)
                  : purge(pool, sql, args, total);
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
                    .compose(x -> conn.query(STILL_READ.formatted(name, slowestReader())).execute())
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
