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
