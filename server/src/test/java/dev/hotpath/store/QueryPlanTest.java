package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.serve.OrderReads;
import dev.hotpath.support.Sql;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hot queries use their indexes with 200k orders loaded (the test server's data): no sequential
 * scan of a large table, and a lookup by id prunes to its month's partitions. {@code ScalePlanTest}
 * runs the same assertions on 5M orders.
 */
class QueryPlanTest {
  /** The database the plans are asked of. */
  DatabaseCoordinates database() {
    return TestServer.get().database();
  }

  private long number(String sql) throws SQLException {
    return Sql.number(database(), sql);
  }

  private String text(String sql) throws SQLException {
    return Sql.text(database(), sql);
  }

  /** The plan of {@code sql} as the server runs it: prepared, generic plan, with {@code args}. */
  private String plan(String sql, String args) throws Exception {
    try (Connection conn = database().openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("SET plan_cache_mode = force_generic_plan");
      st.execute("PREPARE q AS " + sql);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = st.executeQuery("EXPLAIN EXECUTE q(" + args + ")")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }

  /**
   * Asserts that {@code plan} reads no table holding rows sequentially: the planner may well scan
   * an empty partition (the default one) that way, at no cost.
   */
  private void assertNoSequentialScanOfRows(String plan) throws SQLException {
    Matcher scan = SEQ_SCAN.matcher(plan);
    while (scan.find()) {
      assertThat(
              number(
                  "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = '"
                      + scan.group(1)
                      + "'"))
          .as("rows of %s, read by a Seq Scan in:%n%s", scan.group(1), plan)
          .isLessThan(SMALL_TABLE);
    }
  }

  private static final long SMALL_TABLE = 2_000;

  private static final Pattern SEQ_SCAN = Pattern.compile("Seq Scan on (\\w+)");

  /** A page's worth of real order ids, as an array literal. */
  private String someOrderIds() throws SQLException {
    return "'"
        + text(
            "SELECT array_agg(id)::text FROM (SELECT id FROM orders WHERE id < month_id('2025-07-01', 0)"
                + " ORDER BY id DESC LIMIT 10) t")
        + "'::bigint[]";
  }

  /**
   * The arguments of a statement by the ids of a page (OrderReads#byIds): the customer of the
   * first, the ids, their lowest and highest.
   */
  private String byIds(String ids) throws SQLException {
    return number("SELECT customer_id FROM orders WHERE id = (" + ids + ")[1]")
        + ", "
        + ids
        + ", "
        + number("SELECT min(i) FROM unnest(" + ids + ") i")
        + ", "
        + number("SELECT max(i) FROM unnest(" + ids + ") i");
  }

  @Test
  void theSeededVolumeIsThere() throws SQLException {
    assertThat(number("SELECT count(*) FROM orders")).isGreaterThanOrEqualTo(200_000);
  }

  @Test
  void customerOrderPagesByStatusUseTheCustomerIndex() throws Exception {
    // the statements of a page by status (serve/OrderReads, and GraphQL's page by status)
    String[][] cases = {
      {OrderReads.statusPageStatement(false), "42, 'placed', 21"},
      {OrderReads.statusPageStatement(true), "42, 'placed', now(), 100, 21"}
    };
    for (String[] c : cases) {
      String sql = c[0];
      String plan = plan(sql, c[1]);
      assertNoSequentialScanOfRows(plan);
      assertThat(plan).as(sql).contains("Index");
      // a Merge Append of the monthly partitions' index scans keeps the order; a Sort node would
      // read every row of the customer
      assertThat(plan).as(sql).doesNotContain("Sort  (");
    }
  }

  /**
   * A page without a status filter as REST reads it: its positions from the key alone, then its
   * orders with their lines by id, the id range a parameter, so that the generic plan starts the
   * scans of the page's months only ("Subplans Removed" on orders and on order_items); without the
   * range each probe starts a scan of every month, which was most of a page's cost.
   */
  @Test
  void customerOrderPagesReadTheKeyThenTheOrdersWithTheirLinesInTheirMonthsOnly() throws Exception {
    for (String[] c :
        new String[][] {
          {OrderReads.keysStatement(false), "42, 21"},
          {OrderReads.keysStatement(true), "42, now(), 100, 21"}
        }) {
      String plan = plan(c[0], c[1]);
      assertThat(plan)
          .as(c[0])
          .contains("Index Only Scan Backward using orders_by_customer_pkey")
          .doesNotContain("Sort  (")
          .doesNotContain("Seq Scan");
    }
    String args = byIds(someOrderIds());
    long partitions =
        number("SELECT count(*) FROM pg_inherits WHERE inhparent = 'orders'::regclass");
    for (boolean withLines : new boolean[] {false, true}) {
      String sql = OrderReads.ordersStatement(withLines);
      String plan = plan(sql, args);
      assertNoSequentialScanOfRows(plan);
      assertThat(plan).as(sql).contains("_pkey on orders_y").doesNotContain("Hash Join");
      // pruned when the plan starts, once per partitioned table the statement reads
      assertThat(plan.split("Subplans Removed").length - 1)
          .as("scans pruned at start-up in:%n%s", plan)
          .isEqualTo(withLines ? 2 : 1);
      // the ids lie in at most a few months: far fewer scans started than months kept
      assertThat(plan.split("Index Scan using").length - 1)
          .as("index scans started in:%n%s", plan)
          .isLessThan((int) partitions / 2);
      if (withLines) {
        assertThat(plan).as(sql).contains("_pkey on order_items_y");
      }
    }
  }

  @Test
  void orderLinesOfAPageUseThePrimaryKey() throws Exception {
    String ids = someOrderIds();
    // as serve/OrderReads reads them: the page's customer, its ids and their range
    String plan = plan(OrderReads.linesStatement(), byIds(ids));
    assertNoSequentialScanOfRows(plan);
    assertThat(plan).contains("order_items_y").contains("_pkey");
    try (Connection conn = database().openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "EXPLAIN SELECT line_no FROM order_items WHERE order_id = ANY("
                    + ids
                    + ") ORDER BY order_id, line_no")) {
      StringBuilder p = new StringBuilder();
      while (rs.next()) {
        p.append(rs.getString(1)).append('\n');
      }
      assertNoSequentialScanOfRows(p.toString());
      assertThat(p.toString()).contains("order_items_y").contains("_pkey");
    }
  }

  @Test
  void singleOrderIsOneIndexLookup() throws Exception {
    String plan =
        plan(
            "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id"
                + " AND i.customer_id = o.customer_id WHERE o.id = $1 ORDER BY i.line_no",
            Long.toString(number("SELECT min(id) FROM orders")));
    assertThat(plan).doesNotContain("Seq Scan").contains("_pkey");
  }

  /**
   * The measurement behind the key (docs/data-at-scale.md): the lookup by an id that carries its
   * month reads a few buffers; the same lookup with nothing to prune by, as on tables partitioned
   * by created_at, probes the primary key of every month.
   */
  @Test
  void anIdThatCarriesItsMonthReadsOnePartitionInsteadOfEveryMonths() throws Exception {
    long id = number("SELECT max(id) FROM orders_y2025m06");
    String sql = "SELECT * FROM orders WHERE id = " + id;
    long partitions =
        number("SELECT count(*) FROM pg_inherits WHERE inhparent = 'orders'::regclass");
    long pruned = buffers(sql, true);
    long everyMonth = buffers(sql, false);
    System.out.printf(
        "order by id: %d buffers pruned, %d probing all %d partitions of orders%n",
        pruned, everyMonth, partitions);
    assertThat(pruned).isLessThanOrEqualTo(4);
    assertThat(everyMonth).isGreaterThanOrEqualTo(partitions);
  }

  /** Shared buffers hit or read by {@code sql}, with partition pruning on or off. */
  private long buffers(String sql, boolean pruning) throws SQLException {
    try (Connection conn = database().openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("SET enable_partition_pruning = " + pruning);
      long total = 0;
      try (ResultSet rs = st.executeQuery("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)) {
        rs.next();
        Matcher m = BUFFERS.matcher(rs.getString(1));
        if (m.find()) {
          total = Long.parseLong(m.group(1)) + Long.parseLong(m.group(2));
        }
      }
      return total;
    }
  }

  private static final Pattern BUFFERS =
      Pattern.compile("\"Shared Hit Blocks\": (\\d+),\\s*\"Shared Read Blocks\": (\\d+)");

  @Test
  void singleOrderPrunesToItsMonthsPartitionWithTheGenericPlan() throws Exception {
    long id = number("SELECT max(id) FROM orders_y2025m06");
    String plan =
        plan(
            "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id"
                + " AND i.customer_id = o.customer_id WHERE o.id = $1 ORDER BY i.line_no",
            Long.toString(id));
    assertThat(number("SELECT count(*) FROM pg_inherits WHERE inhparent = 'orders'::regclass"))
        .isGreaterThan(24);
    assertThat(plan).contains("Subplans Removed").doesNotContain("Seq Scan");
    assertThat(plan.split("Index Only Scan|Index Scan").length - 1)
        .as("one index scan of orders_y2025m06 and one of order_items_y2025m06:\n" + plan)
        .isEqualTo(2);
    assertThat(plan).contains("orders_y2025m06_pkey").contains("order_items_y2025m06_pkey");
  }

  @Test
  void theOutboxConsumerReadsItsNextBatchDownThePositionIndex() throws Exception {
    assertThat(number("SELECT count(*) FROM outbox")).isGreaterThanOrEqualTo(200_000);
    String plan =
        plan(
            "SELECT b.txid::text, b.id, count(*) OVER () FROM (SELECT txid, id FROM outbox"
                + " WHERE (txid, id) > ($1::text::xid8, $2)"
                + " AND txid < pg_snapshot_xmin(pg_current_snapshot())"
                + " ORDER BY txid, id LIMIT $3) b ORDER BY b.txid DESC, b.id DESC LIMIT 1",
            "'0', 0, 5000");
    // outbox_position, on every monthly partition of the outbox
    assertThat(plan).doesNotContain("Seq Scan").contains("_txid_id_idx on outbox_y");
  }
}
