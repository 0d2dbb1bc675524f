package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutboxConsumerTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private long lateEventsCounted() {
    return server.queryLong(
        "SELECT coalesce(sum(value), 0) FROM analytics_counters WHERE metric = 'test.late-commit'");
  }

  /**
   * The hazard of an id-ordered outbox: a transaction takes id N, another takes N+1 and commits
   * first. A reader that remembers "largest id seen" would pass N+1 and skip N forever. The
   * consumers must wait for N's transaction instead, then apply both.
   */
  @Test
  void anEventThatCommitsAfterALaterOneIsNeitherSkippedNorOvertaken() throws Exception {
    server.awaitConsumers();
    long before = lateEventsCounted();
    long customer = fx.customer();
    long product = fx.product(100, 10);
    try (Connection late = server.database().openJdbc();
        Statement st = late.createStatement()) {
      late.setAutoCommit(false);
      long lateId;
      try (ResultSet rs =
          st.executeQuery(
              "INSERT INTO outbox (type, aggregate_id, payload)"
                  + " VALUES ('test.late-commit', 0, '{}') RETURNING id")) {
        rs.next();
        lateId = rs.getLong(1);
      }
      long order = fx.order(customer, product, 1);
      assertThat(
              server.queryLong(
                  "SELECT id FROM outbox WHERE type = 'order.created' AND aggregate_id = " + order))
          .isGreaterThan(lateId);
      // while the older transaction runs, no consumer moves past it, so the later event waits too
      await()
          .during(Duration.ofMillis(600))
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  server.queryLong(
                          "SELECT count(*) FROM consumer_offsets WHERE last_id >= " + lateId)
                      == 0);
      assertThat(
              api.get("/v1/customers/" + customer + "/summary").json().get("order_count").asLong())
          .isZero();
      late.commit();
    }
    server.awaitConsumers();
    assertThat(lateEventsCounted()).isEqualTo(before + 1);
    assertThat(api.get("/v1/customers/" + customer + "/summary").json().get("order_count").asLong())
        .isEqualTo(1);
  }

  /**
   * An event a consumer cannot apply (a data error: here an {@code order.created} whose customer id
   * is not a number, as a row written by hand could be) is tried alone three times, then recorded
   * in {@code outbox_dead_letters} and passed over, so the events behind it are applied. Before,
   * the consumers that read the customer id ({@code customer_order_summary}, {@code notifications})
   * failed every batch with 22P02, retried each second forever, and every later event waited.
   */
  @Test
  void anEventThatCannotBeAppliedIsRecordedAndPassedOver() throws Exception {
    server.awaitConsumers();
    long poison =
        server.queryLong(
            "INSERT INTO outbox (type, aggregate_id, payload) VALUES ('order.created', 1,"
                + " '{\"items\": [], \"source\": \"api\", \"currency\": \"USD\", \"order_id\": 1,"
                + " \"created_at\": \"2026-12-07T23:02:12+00:00\", \"customer_id\": \"x\","
                + " \"total_minor\": 1}') RETURNING id");
    try {
      long customer = fx.customer();
      long product = fx.product(100, 10);
      fx.order(customer, product, 1);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  api.get("/v1/customers/" + customer + "/summary")
                          .json()
                          .get("order_count")
                          .asLong()
                      == 1);
      assertThat(
              server.queryText(
                  "SELECT string_agg(consumer, ',' ORDER BY consumer) FROM outbox_dead_letters"
                      + " WHERE event_id = "
                      + poison
                      + " AND error LIKE '%22P02%'"))
          .contains("customer_order_summary");
      server.awaitConsumers();
    } finally {
      // the log stays what the other tests' rebuilds expect
      server.execute("DELETE FROM outbox WHERE id = " + poison);
    }
  }
}
