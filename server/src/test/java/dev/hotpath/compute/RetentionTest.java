package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.config.RetentionSettings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.Migrations;
import dev.hotpath.support.Sql;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The outbox and the idempotency keys stay bounded under a steady write load when the maintenance
 * job runs with short retention settings: months pass on a test clock, not on the wall.
 */
class RetentionTest {
  private static final int EVENTS_PER_MONTH = 2_000;
  private static final RetentionSettings SHORT =
      new RetentionSettings(2, 1, Duration.ZERO, Duration.ofHours(1), Duration.ofMinutes(5));

  /** A minute of outbox events, no partition drop: the row purge alone. */
  private static final RetentionSettings MINUTE =
      new RetentionSettings(
          2, 0, Duration.ofSeconds(60), Duration.ofHours(1), Duration.ofSeconds(10));

  private static DatabaseCoordinates database;
  private static Vertx vertx;
  private static Pool pool;

  @BeforeAll
  static void freshDatabase() {
    database = Sql.newDatabase("retention");
    Migrations.migrate(database);
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(2))
            .connectingTo(database.connectOptions(1))
            .using(vertx)
            .build();
  }

  @AfterAll
  static void close() throws Exception {
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void outboxAndIdempotencyKeysStayBoundedMonthAfterMonth() throws Exception {
    YearMonth first = YearMonth.now(ZoneOffset.UTC).plusMonths(1);
    long[] outboxRows = new long[12];
    long[] outboxBytes = new long[12];
    long[] keyRows = new long[12];
    for (int m = 0; m < 12; m++) {
      Instant now = first.plusMonths(m).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      String summary = maintain(now, SHORT, false);
      assertThat(summary).contains("\"partitions_created\":");
      writeLoad(now);
      everyConsumerCaughtUp();
      assertThat(number("SELECT count(*) FROM idempotency_keys")).isEqualTo(EVENTS_PER_MONTH);
      maintain(now.plus(Duration.ofDays(20)), SHORT, false);
      outboxRows[m] = number("SELECT count(*) FROM outbox");
      outboxBytes[m] =
          number(
              "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                  + " WHERE inhparent = 'outbox'::regclass");
      keyRows[m] = number("SELECT count(*) FROM idempotency_keys");
    }
    // after the first months, every month looks the same: this month and the one before it
    assertThat(outboxRows[11]).isEqualTo(outboxRows[3]).isLessThanOrEqualTo(2L * EVENTS_PER_MONTH);
    assertThat(outboxBytes[11]).isLessThanOrEqualTo(outboxBytes[3] + 8192 * 4);
    assertThat(keyRows[11]).isEqualTo(keyRows[3]).isLessThanOrEqualTo(EVENTS_PER_MONTH);
    assertThat(number("SELECT count(*) FROM jobs WHERE status = 'succeeded'"))
        .isLessThanOrEqualTo(EVENTS_PER_MONTH / 100);
    assertThat(
            number(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    + " WHERE i.inhparent = 'outbox'::regclass AND c.relname LIKE 'outbox_y%'"
                    + " AND c.relname < 'outbox_y"
                    + first.plusMonths(10).getYear()
                    + "m"
                    + String.format("%02d", first.plusMonths(10).getMonthValue())
                    + "'"))
        .as("outbox partitions before last month")
        .isZero();
  }

  @Test
  void aConsumerOrTheRelayBehindKeepsTheOutboxPartitionsItHasNotRead() throws Exception {
    YearMonth month = YearMonth.now(ZoneOffset.UTC).plusMonths(30);
    Instant now = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    maintain(now, SHORT, false);
    writeLoad(now);
    everyConsumerCaughtUp();
    execute("UPDATE relay_offsets SET last_txid = '0', last_id = 0");
    Instant later = month.plusMonths(3).atDay(2).atStartOfDay(ZoneOffset.UTC).toInstant();
    long before = number("SELECT count(*) FROM outbox");

    assertThat(maintain(later, SHORT, true))
        .as("the relay runs and has read nothing")
        .contains("\"outbox_partitions_dropped\":0");
    execute(
        "UPDATE consumer_offsets SET last_txid = '0', last_id = 0 WHERE consumer = 'analytics'");
    assertThat(maintain(later, SHORT, false))
        .as("a consumer has read nothing")
        .contains("\"outbox_partitions_dropped\":0");
    assertThat(number("SELECT count(*) FROM outbox")).isEqualTo(before);

    everyConsumerCaughtUp();
    assertThat(maintain(later, SHORT, false)).doesNotContain("\"outbox_partitions_dropped\":0");
    assertThat(number("SELECT count(*) FROM outbox")).isLessThan(before);
  }

  @Test
  void theRowPurgeDeletesOldEventsEveryReaderPassedAndKeepsTheRest() throws Exception {
    // far ahead of the other tests' months, so their events (older, passed) are not counted here
    Instant t =
        YearMonth.now(ZoneOffset.UTC)
            .plusMonths(40)
            .atDay(3)
            .atStartOfDay(ZoneOffset.UTC)
            .toInstant();
    maintain(t, MINUTE, false);
    int old = 2 * Maintenance.BATCH + 5_000;
    events(t, "retention.old", old);
    events(t.plusSeconds(50), "retention.young", 500);
    keys(t, "soak-short", Duration.ofSeconds(60), 300);
    keys(t, "soak-long", Duration.ofSeconds(200), 200);
    everyConsumerCaughtUp();
    // the relay is behind at the 10,000th old event, the analytics consumer at the 20,000th
    execute(
        "UPDATE relay_offsets SET (last_txid, last_id) = (" + oldEvent(Maintenance.BATCH) + ")");
    execute(
        "UPDATE consumer_offsets SET (last_txid, last_id) = ("
            + oldEvent(2 * Maintenance.BATCH)
            + ") WHERE consumer = 'analytics'");
    Instant later = t.plusSeconds(90); // old events are 90 s old, young ones 40 s
    // each batch can read the primary key below the first young event, not every passed event (on
    // a table this small the planner may prefer a seq scan: the access path is what is checked)
    String at = "'" + later.minusSeconds(60) + "'::timestamptz";
    long young = number(Maintenance.YOUNG_FROM.replace("$1", at));
    assertThat(young)
        .isEqualTo(number("SELECT min(id) FROM outbox WHERE type = 'retention.young'"));
    String plan;
    try (Connection conn = database.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("SET enable_seqscan = off");
      try (ResultSet rs =
          st.executeQuery(
              "EXPLAIN (FORMAT JSON) "
                  + new Maintenance(MINUTE, true, Clock.systemUTC())
                      .purgeEventsSql()
                      .replace("$1", at)
                      .replace("$2", Long.toString(young)))) {
        rs.next();
        plan = rs.getString(1);
      }
    }
    assertThat(plan)
        .contains("\"Index Name\": \"outbox_y" + month(t) + "_pkey\"")
        .contains("\"Index Cond\": \"(id < '" + young + "'::bigint)\"");

    assertThat(maintain(later, MINUTE, true)).contains("\"outbox_events\":");
    assertThat(typed("retention.old"))
        .as("the relay runs: what it has not passed stays")
        .isEqualTo(old - Maintenance.BATCH);
    assertThat(number("SELECT count(*) FROM idempotency_keys WHERE client_id = 'soak-short'"))
        .as("keys past their TTL")
        .isZero();
    assertThat(number("SELECT count(*) FROM idempotency_keys WHERE client_id = 'soak-long'"))
        .isEqualTo(200);

    maintain(later, MINUTE, false);
    assertThat(typed("retention.old"))
        .as("the relay does not run: the lagging consumer holds the rest")
        .isEqualTo(old - 2 * Maintenance.BATCH);

    everyConsumerCaughtUp();
    maintain(later, MINUTE, true);
    assertThat(typed("retention.old")).as("every reader passed them").isZero();
    assertThat(typed("retention.young")).as("passed but younger than the retention").isEqualTo(500);

    maintain(later.plusSeconds(30), MINUTE, true);
    assertThat(typed("retention.young")).isZero();
    assertThat(maintain(later.plusSeconds(30), MINUTE, true))
        .as("nothing left to do")
        .contains("\"outbox_events\":0");
    maintain(t.plusSeconds(200), MINUTE, true);
    assertThat(number("SELECT count(*) FROM idempotency_keys WHERE client_id = 'soak-long'"))
        .as("past their TTL too")
        .isZero();
  }

  /** {@code n} outbox events of {@code type} written at {@code at}, in one transaction. */
  private static void events(Instant at, String type, int n) throws SQLException {
    String ts = "'" + at + "'::timestamptz";
    execute(
        "INSERT INTO outbox (id, type, aggregate_id, payload, created_at) SELECT month_id("
            + ts
            + ", nextval('outbox_seq')), '"
            + type
            + "', g, '{}', "
            + ts
            + " FROM generate_series(1, "
            + n
            + ") g");
  }

  /** {@code n} idempotency keys of {@code client} stored at {@code at}, living {@code ttl}. */
  private static void keys(Instant at, String client, Duration ttl, int n) throws SQLException {
    String ts = "'" + at + "'::timestamptz";
    execute(
        "INSERT INTO idempotency_keys (client_id, key, fingerprint, status, content_type, body,"
            + " created_at, expires_at) SELECT '"
            + client
            + "', 'k-' || "
            + ts
            + "::text || g, '\\x00', 201, 'application/json', '\\x7b7d', "
            + ts
            + ", "
            + ts
            + " + interval '"
            + ttl.toSeconds()
            + " seconds' FROM generate_series(1, "
            + n
            + ") g");
  }

  /** The (txid, id) position of the n-th old event in the readers' order. */
  private static String oldEvent(int n) {
    return "SELECT txid, id FROM outbox WHERE type = 'retention.old' ORDER BY txid, id OFFSET "
        + (n - 1)
        + " LIMIT 1";
  }

  /** The yyyymMM of the partition that holds {@code at}. */
  private static String month(Instant at) {
    YearMonth m = YearMonth.from(at.atZone(ZoneOffset.UTC));
    return m.getYear() + "m" + String.format("%02d", m.getMonthValue());
  }

  private static long typed(String type) throws SQLException {
    return number("SELECT count(*) FROM outbox WHERE type = '" + type + "'");
  }

  /** A month of writes at {@code now}: events, idempotency keys living a day, finished jobs. */
  private static void writeLoad(Instant now) throws SQLException {
    String at = "'" + now + "'::timestamptz";
    events(now, "order.created", EVENTS_PER_MONTH);
    keys(now, "c", Duration.ofDays(1), EVENTS_PER_MONTH);
    execute(
        "INSERT INTO jobs (kind, status, max_attempts, timeout_ms, finished_at)"
            + " SELECT 'report', 'succeeded', 1, 1000, "
            + at
            + " FROM generate_series(1, "
            + EVENTS_PER_MONTH / 100
            + ")");
  }

  private static void everyConsumerCaughtUp() throws SQLException {
    execute(
        "UPDATE consumer_offsets SET (last_txid, last_id) = (SELECT txid, id FROM outbox"
            + " ORDER BY txid DESC, id DESC LIMIT 1)");
    execute(
        "UPDATE relay_offsets SET (last_txid, last_id) = (SELECT txid, id FROM outbox"
            + " ORDER BY txid DESC, id DESC LIMIT 1)");
  }

  private static String maintain(Instant now, RetentionSettings settings, boolean relay)
      throws Exception {
    Maintenance maintenance = new Maintenance(settings, relay, Clock.fixed(now, ZoneId.of("UTC")));
    return maintenance.handle(job()).await(60, TimeUnit.SECONDS);
  }

  private static Job job() {
    return new Job() {
      @Override
      public long id() {
        return 0;
      }

      @Override
      public String kind() {
        return Maintenance.KIND;
      }

      @Override
      public String payload() {
        return "{}";
      }

      @Override
      public int attempt() {
        return 1;
      }

      @Override
      public Future<Void> progress(int percent) {
        return Future.succeededFuture();
      }

      @Override
      public Future<Void> completeIn(SqlConnection conn, String result) {
        return Future.failedFuture("maintenance completes through its worker");
      }

      @Override
      public Pool pool() {
        return pool;
      }

      @Override
      public Vertx vertx() {
        return vertx;
      }
    };
  }

  private static void execute(String sql) throws SQLException {
    Sql.execute(database, sql);
  }

  private static long number(String sql) throws SQLException {
    return Sql.number(database, sql);
  }
}
