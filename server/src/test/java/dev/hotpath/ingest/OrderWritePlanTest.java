package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.store.OrderStatements;
import dev.hotpath.support.Sql;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The order's write statement, planned as the request connections plan it (once, a generic plan),
 * takes the stock of the ordered products through the products' key. Before, the generic plan
 * joined the lines to a sequential scan of every product (here 200; on the demo's 1,000 that was
 * about a tenth of PostgreSQL's CPU per order), a cost that grows with the catalogue. Taking an
 * order back (a cancellation, a declined payment) reads the lines of the order's month alone.
 */
class OrderWritePlanTest {
  @Test
  void theStockUpdateReadsTheOrderedProductsByKey() throws Exception {
    assertThat(Sql.number(TestServer.get().database(), "SELECT count(*) FROM products"))
        .isGreaterThanOrEqualTo(200);
    String plan =
        genericPlan(
            "order_write(bigint, text, bigint, int, text, int[], bigint[], text[], bigint[], int[],"
                + " text, text, text, text, text, text) AS "
                + OrderWrites.WRITE,
            "order_write(1, 'EUR', 300, 2, '{}', '{1,2}', '{1,2}', '{a,b}', '{100,100}', '{1,2}',"
                + " '[]', 'placed', NULL, NULL, NULL, 'x')");
    String stock = plan.substring(plan.indexOf("Update on products"), plan.indexOf("CTE o"));
    assertThat(stock).as(plan).doesNotContain("Seq Scan").contains("products_pkey");
  }

  /** A group's statements ({@link OrderGroup}), planned so, reach their rows by key too. */
  @Test
  void aGroupsReadAndWriteReachTheirRowsByKey() throws Exception {
    String read =
        genericPlan(
            "group_read(bigint[], text[], text[], bigint[], bigint[]) AS " + OrderGroup.READ,
            "group_read('{1,2}', '{c,c}', '{k1,k2}', '{1,2}', '{1,2,3}')");
    assertThat(read)
        .as(read)
        .doesNotContain("Seq Scan on products")
        .doesNotContain("Seq Scan on customers")
        .doesNotContain("Seq Scan on idempotency_keys")
        .contains("idempotency_keys_pkey");
    String write =
        genericPlan(
            "group_write(bigint[], text[], text[], bigint[], int[], text[], text[], text[], text[],"
                + " text[], text, int[], int[], bigint[], text[], bigint[], int[]) AS "
                + OrderGroup.WRITE,
            "group_write('{1,2}', '{placed,placed}', '{EUR,EUR}', '{300,300}', '{1,1}',"
                + " '{\"{}\",\"{}\"}', '{NULL,NULL}', '{NULL,NULL}', '{\"[]\",\"[]\"}', '{NULL,NULL}',"
                + " 'x', '{1,2}', '{1,1}', '{1,2}', '{a,b}', '{100,100}', '{1,2}')");
    String stock = write.substring(write.indexOf("Update on products"), write.indexOf("CTE o"));
    assertThat(stock).as(write).doesNotContain("Seq Scan").contains("products_pkey");
  }

  @Test
  void takingAnOrderBackReadsTheLinesOfItsMonthOnly() throws Exception {
    long id = Sql.number(TestServer.get().database(), "SELECT max(id) FROM orders_y2025m06");
    String plan =
        genericPlan(
            "take_back(bigint) AS WITH o AS (UPDATE orders SET status = 'cancelled',"
                + " version = version + 1, updated_at = now() WHERE id = $1 RETURNING "
                + OrderRepresentation.COLUMNS
                + "),"
                + OrderStatements.takeBack("")
                + " SELECT id FROM o",
            "take_back(" + id + ")");
    String stock = plan.substring(plan.indexOf("CTE s"), plan.indexOf("CTE e"));
    assertThat(stock.split("on order_items_").length - 1)
        .as("the lines' scans of the stock update in:%n%s", plan)
        .isEqualTo(1);
    assertThat(stock).contains("order_items_y2025m06").contains("Subplans Removed");
  }

  /**
   * The plan of {@code PREPARE prepared} run as {@code EXECUTE execution}, planned as the request
   * connections plan (a generic plan), not run.
   */
  private static String genericPlan(String prepared, String execution) throws Exception {
    try (Connection conn = TestServer.get().database().openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("SET plan_cache_mode = force_generic_plan");
      st.execute("PREPARE " + prepared);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = st.executeQuery("EXPLAIN EXECUTE " + execution)) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }
}
