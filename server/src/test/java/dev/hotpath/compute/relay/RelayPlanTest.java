package dev.hotpath.compute.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Sql;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The relay's read of the next batch is served by the {@code outbox_position} index of every
 * partition (a merge of index scans in {@code (txid, id)} order, stopped at the batch's size) on
 * the test server's log of 200k orders, never by a sequential scan or a sort of the log: the
 * relay's cost per batch does not grow with the log.
 */
class RelayPlanTest {
  @Test
  void theNextBatchIsReadInLogOrderFromThePositionIndexWithoutASort() throws Exception {
    var db = TestServer.get().database();
    assertThat(Sql.number(db, "SELECT count(*) FROM outbox")).isGreaterThan(200_000);
    String plan;
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement()) {
      // as the relay's connection runs it after a few rounds: prepared, with the generic plan
      st.execute("SET plan_cache_mode = force_generic_plan");
      st.execute(
          "PREPARE next_batch AS "
              + RelayLog.NEXT
                  .replace("?::text", "$1::text")
                  .replace(", ?)", ", $2)")
                  .replace("LIMIT ?", "LIMIT $3"));
      StringBuilder b = new StringBuilder();
      try (ResultSet rs = st.executeQuery("EXPLAIN EXECUTE next_batch('1', 0, 2000)")) {
        while (rs.next()) {
          b.append(rs.getString(1)).append('\n');
        }
      }
      plan = b.toString();
    }
    assertThat(plan)
        .as(plan)
        .startsWith("Limit")
        .contains("Merge Append")
        .contains("Index Scan using outbox_")
        .doesNotContain("Seq Scan on outbox_")
        .doesNotContain("Sort  (");
  }
}
