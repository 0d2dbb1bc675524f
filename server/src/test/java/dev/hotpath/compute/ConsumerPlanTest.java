package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Sql;
import dev.hotpath.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A consumer's next batch is read in log order from the {@code (txid, id)} index of every outbox
 * partition and stops at the batch's size, whatever the log's statistics say: the consumers'
 * connections plan their statements once (generic plans). On 10M seeded orders, whose 11M events
 * share one transaction, the custom plan sorted every event after the position for each batch (6.2
 * s a batch), and the catch-up ran at about 1,300 events/s; the generic plan takes 6 ms.
 */
class ConsumerPlanTest {
  @Test
  void theNextBatchIsAMergeOfIndexScansStoppedAtTheBatchSize() throws Exception {
    var db = TestServer.get().database();
    assertThat(Sql.number(db, "SELECT count(*) FROM outbox")).isGreaterThan(200_000);
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("SET plan_cache_mode = force_generic_plan");
      st.execute("PREPARE batch_end(text, bigint, int) AS " + OutboxConsumer.BATCH_END);
      StringBuilder b = new StringBuilder();
      try (ResultSet rs = st.executeQuery("EXPLAIN EXECUTE batch_end('1', 0, 1000)")) {
        while (rs.next()) {
          b.append(rs.getString(1)).append('\n');
        }
      }
      String plan = b.toString();
      assertThat(plan)
          .as(plan)
          .contains("Merge Append")
          .contains("Index Only Scan using outbox_")
          .doesNotContain("Seq Scan on outbox_");
      // one sort only: the last row of the batch (top-N over at most a batch), never of the log
      assertThat(plan.split("Sort  \\(", -1)).as(plan).hasSize(2);
      assertThat(plan.indexOf("Sort  (")).as(plan).isLessThan(plan.indexOf("WindowAgg"));
    }
  }

  /** {@link Projection#RANGE} selects exactly what the row comparisons it stands for select. */
  @Test
  void theRangeSelectsWhatTheRowComparisonsSelect() throws Exception {
    var db = TestServer.get().database();
    String rows =
        "SELECT t::text::xid8 AS txid, i::bigint AS id FROM generate_series(5, 8) t,"
            + " generate_series(1, 6) i";
    String positions =
        "generate_series(4, 9) t1, generate_series(0, 7) i1,"
            + " generate_series(4, 9) t3, generate_series(0, 7) i3";
    String range =
        Projection.RANGE
            .replace("$1::text::xid8", "t1::text::xid8")
            .replace("$3::text::xid8", "t3::text::xid8")
            .replace("$2", "i1")
            .replace("$4", "i3");
    // every (from, to) with from <= to and a few past the log's ends, over every event
    long differ =
        Sql.number(
            db,
            "SELECT count(*) FROM "
                + positions
                + " WHERE (t1, i1) <= (t3, i3) AND (SELECT count(*) FROM ("
                + rows
                + ") e WHERE (txid, id) > (t1::text::xid8, i1) AND (txid, id) <= (t3::text::xid8,"
                + " i3)) <> (SELECT count(*) FROM ("
                + rows
                + ") e WHERE "
                + range
                + ")");
    assertThat(differ).isZero();
  }

  /**
   * A batch inside one transaction's events (the test log's seed wrote them in one) reads a few
   * index pages, not the rest of the transaction's events.
   */
  @Test
  void aBatchInsideOneTransactionReadsAFewPagesOfTheIndex() throws Exception {
    var db = TestServer.get().database();
    String txid =
        Sql.text(db, "SELECT txid::text FROM outbox GROUP BY txid ORDER BY count(*) DESC LIMIT 1");
    long from = Sql.number(db, "SELECT min(id) FROM outbox WHERE txid = '" + txid + "'::xid8");
    long to =
        Sql.number(
            db,
            "SELECT id FROM outbox WHERE txid = '"
                + txid
                + "'::xid8 ORDER BY id OFFSET 1000 LIMIT 1");
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement()) {
      // the log's statistics as autovacuum would have gathered them by now: in one CI run (the
      // partition holding many transactions' events after the suite's writes) the generic plan
      // was a parallel scan of that partition's whole index, 1,614 buffers; the consumers'
      // connections plan without parallel workers (Compute.PARALLEL_WORKERS), as this one does
      st.execute("ANALYZE outbox");
      st.execute("SET plan_cache_mode = force_generic_plan");
      st.execute("SET max_parallel_workers_per_gather = " + Compute.PARALLEL_WORKERS);
      st.execute(
          "PREPARE batch(text, bigint, text, bigint) AS SELECT count(*) FROM outbox WHERE "
              + Projection.RANGE);
      StringBuilder b = new StringBuilder();
      try (ResultSet rs =
          st.executeQuery(
              "EXPLAIN (ANALYZE, BUFFERS) EXECUTE batch('%s', %d, '%s', %d)"
                  .formatted(txid, from, txid, to))) {
        while (rs.next()) {
          b.append(rs.getString(1)).append('\n');
        }
      }
      String plan = b.toString();
      java.util.regex.Matcher buffers =
          java.util.regex.Pattern.compile("Buffers: shared hit=(\\d+)(?: read=(\\d+))?")
              .matcher(plan);
      assertThat(buffers.find()).as(plan).isTrue();
      long total =
          Long.parseLong(buffers.group(1))
              + (buffers.group(2) == null ? 0 : Long.parseLong(buffers.group(2)));
      // 1,000 events: their heap pages and a few index pages (the rest of the transaction's
      // events, read by the row comparisons, is about 100k index entries here)
      assertThat(total).as(plan).isLessThan(200);
      // a sequential scan only of a partition the statistics know to be empty (next months')
      plan.lines()
          .filter(line -> line.contains("Seq Scan on outbox_"))
          .forEach(line -> assertThat(line).as(plan).contains("(cost=0.00..0.00 "));
    }
  }

  @Test
  void theConsumersConnectionsUseTheGenericPlan() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool =
          PgBuilder.pool()
              .with(new PoolOptions().setMaxSize(1))
              .connectingTo(Compute.connectOptions(TestServer.get().database(), 1))
              .using(vertx)
              .build();
      String mode =
          pool.query("SHOW plan_cache_mode")
              .execute()
              .map(rows -> rows.iterator().next().getString(0))
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      assertThat(mode).isEqualTo("force_generic_plan");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
