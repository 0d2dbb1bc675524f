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
      String plan = plan(sql, sql.contains("$2") ? ids + ", ARRAY[42, 43]::bigint[]" : ids);
      assertNoSequentialScanOfRows(plan);
      assertThat(plan).as(sql).contains("Index");
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
