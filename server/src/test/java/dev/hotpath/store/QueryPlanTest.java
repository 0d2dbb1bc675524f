package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The list queries use their indexes with 200k orders loaded: no sequential scan of orders. */
class QueryPlanTest {
  private final TestServer server = TestServer.get();

  /** The plan of {@code sql} as the server runs it: prepared, generic plan, with {@code args}. */
  private String plan(String sql, String args) throws Exception {
    try (Connection conn = server.database().openJdbc();
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

  @Test
  void theSeededVolumeIsThere() {
    assertThat(server.queryLong("SELECT count(*) FROM orders")).isGreaterThanOrEqualTo(200_000);
  }

  @Test
  void customerOrderPagesUseTheCustomerIndex() throws Exception {
    String cols = "SELECT id FROM orders WHERE customer_id = $1";
    String order = " ORDER BY created_at DESC, id DESC LIMIT ";
    String[][] cases = {
      {cols + order + "$2", "42, 21"},
      {cols + " AND (created_at, id) < ($2, $3)" + order + "$4", "42, now(), 100, 21"},
      {cols + " AND status = $2" + order + "$3", "42, 'placed', 21"},
      {
        cols + " AND status = $2 AND (created_at, id) < ($3, $4)" + order + "$5",
        "42, 'placed', now(), 100, 21"
      }
    };
    for (String[] c : cases) {
      String sql = c[0];
      String plan = plan(sql, c[1]);
      assertThat(plan).as(sql).doesNotContain("Seq Scan").contains("Index");
      assertThat(plan).as(sql).doesNotContain("Sort");
    }
  }

  @Test
  void orderLinesOfAPageUseThePrimaryKey() throws Exception {
    String plan =
        plan(
            "SELECT line_no FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, line_no",
            "'{1,2,3,4,5,6,7,8,9,10}'::bigint[]");
    assertThat(plan).doesNotContain("Seq Scan");
    try (Connection conn = server.database().openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery(
                "EXPLAIN SELECT line_no FROM order_items WHERE order_id = ANY('{1,2,3,4,5,6,7,8,9,10}'::bigint[]) ORDER BY order_id, line_no")) {
      StringBuilder p = new StringBuilder();
      while (rs.next()) {
        p.append(rs.getString(1)).append('\n');
      }
      assertThat(p.toString()).doesNotContain("Seq Scan").contains("order_items_pkey");
    }
  }

  @Test
  void singleOrderIsOneIndexLookup() throws Exception {
    String plan =
        plan(
            "SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = $1 ORDER BY i.line_no",
            "42");
    assertThat(plan).doesNotContain("Seq Scan").contains("orders_pkey");
  }

  @Test
  void theOutboxConsumerReadsItsNextBatchDownThePositionIndex() throws Exception {
    assertThat(server.queryLong("SELECT count(*) FROM outbox")).isGreaterThanOrEqualTo(200_000);
    String plan =
        plan(
            "SELECT b.txid::text, b.id, count(*) OVER () FROM (SELECT txid, id FROM outbox"
                + " WHERE (txid, id) > ($1::text::xid8, $2)"
                + " AND txid < pg_snapshot_xmin(pg_current_snapshot())"
                + " ORDER BY txid, id LIMIT $3) b ORDER BY b.txid DESC, b.id DESC LIMIT 1",
            "'0', 0, 5000");
    assertThat(plan).doesNotContain("Seq Scan").contains("outbox_position");
  }
}
