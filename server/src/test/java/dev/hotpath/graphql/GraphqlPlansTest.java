package dev.hotpath.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The batch statements of GraphQL use their indexes with 200k orders loaded, as the server runs
 * them (prepared, generic plan): no sequential scan, however many keys a level holds.
 */
class GraphqlPlansTest {
  private final TestServer server = TestServer.get();

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
  void pagesOfManyCustomersAreOneRangeScanEach() throws Exception {
    String plan =
        plan(
            Loaders.ORDER_PAGES_SQL,
            "ARRAY[42, 43, 44]::bigint[], ARRAY[NULL, 'placed', NULL]::text[],"
                + " ARRAY[NULL, NULL, now()]::timestamptz[], ARRAY[NULL, NULL, 100]::bigint[],"
                + " ARRAY[21, 21, 3]::int[]");
    // one range scan of the (customer_id, created_at, id) index in each monthly partition
    assertNoSequentialScanOfRows(plan);
    assertThat(plan).contains("customer_id_created_at_id_idx");
  }

  @Test
  void rowsByIdAreIndexLookups() throws Exception {
    for (String sql :
        new String[] {
          Loaders.CUSTOMERS_BY_ID,
          Loaders.ORDERS_BY_ID,
          Loaders.PRODUCTS_BY_ID,
          Loaders.LINES_OF_ORDERS
        }) {
      String ids = "ARRAY[1, 2, 3, 200000]::bigint[]";
      String args = ids;
      if (sql.contains("ANY($2)")) {
        args += ", ARRAY[42, 43]::bigint[]";
      }
      if (sql.contains("BETWEEN")) {
        // every month: the lookups by id themselves are what this test is about
        args += ", 0, 9223372036854775807";
      }
      String plan = plan(sql, args);
      assertNoSequentialScanOfRows(plan);
      assertThat(plan).as(sql).contains("Index");
    }
  }

  /**
   * Orders and their lines by id open only the months between the lowest and highest id: the plan
   * (generic, as the server runs it) is pruned when it starts, which an array parameter alone does
   * not allow (without the range, every month of the table is opened to be probed).
   */
  @Test
  void ordersAndLinesByIdOpenOnlyTheirMonths() throws Exception {
    long id = server.queryLong("SELECT max(id) FROM orders");
    long customer = server.queryLong("SELECT customer_id FROM orders WHERE id = " + id);
    String ids = "ARRAY[" + id + "]::bigint[]";
    for (String plan :
        new String[] {
          plan(Loaders.ORDERS_BY_ID, ids + ", " + id + ", " + id),
          plan(
              Loaders.LINES_OF_ORDERS,
              ids + ", ARRAY[" + customer + "]::bigint[], " + id + ", " + id)
        }) {
      assertThat(plan).contains("Subplans Removed");
      assertNoSequentialScanOfRows(plan);
    }
  }

  /**
   * No table holding rows is read sequentially (the planner may scan an empty partition, such as
   * the default one, that way at no cost).
   */
  private void assertNoSequentialScanOfRows(String plan) {
    Matcher scan = Pattern.compile("Seq Scan on (\\w+)").matcher(plan);
    while (scan.find()) {
      assertThat(
              server.queryLong(
                  "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE relname = '"
                      + scan.group(1)
                      + "'"))
          .as("rows of %s, read by a Seq Scan in:%n%s", scan.group(1), plan)
          .isLessThan(2_000);
    }
  }
}
