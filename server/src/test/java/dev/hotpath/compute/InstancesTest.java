package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.ChildServer;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three hotpath processes on one database (the test server and two {@code hotpath serve} child
 * JVMs), as a scaled-out deployment runs: every instance runs the outbox consumers and the job
 * workers, and each event still takes effect exactly once, and every job is done (that a job's
 * handler runs once across instances is {@code JobQueueTest}'s, with a handler that counts).
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class InstancesTest {
  private final TestServer server = TestServer.get();
  private final Fixtures fixtures = new Fixtures(server);

  @Test
  void withThreeInstancesEveryEventTakesEffectOnceAndEveryJobRunsOnce() throws Exception {
    Path dir = Files.createTempDirectory("hotpath-instances-");
    List<ChildServer> children = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        children.add(
            ChildServer.start(
                ChildServer.freePort(),
                Map.of(
                    "HOTPATH_DATABASE_URL", server.databaseUrl(),
                    "HOTPATH_OUTBOX_POLL_MS", "20",
                    "HOTPATH_JOB_POLL_MS", "50"),
                dir.resolve("child-" + i + ".log")));
      }
      List<Api> instances = new ArrayList<>(List.of(server.api()));
      for (ChildServer child : children) {
        child.awaitReady(Duration.ofSeconds(120));
        instances.add(Api.of(child.base()));
      }
      long customer = fixtures.customer();
      long product = fixtures.product(1_250, 10_000);
      int orders = 30;
      for (int i = 0; i < orders; i++) {
        Api api = instances.get(i % instances.size());
        Api.Response r = api.post("/v1/orders", Fixtures.orderBody(customer, product, 2));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
      }
      List<Long> jobs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        Api api = instances.get(i % instances.size());
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        Api.Response r =
            api.post(
                "/v1/reports",
                "{\"from\":\"" + today.minusDays(i) + "\",\"to\":\"" + today + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        jobs.add(r.json().get("id").asLong());
      }
      server.awaitConsumers();

      // every event applied once: a batch applied twice would double these sums
      assertThat(
              server.queryLong(
                  "SELECT order_count FROM customer_order_summary WHERE customer_id = " + customer))
          .isEqualTo(orders);
      assertThat(
              server.queryLong(
                  "SELECT total_spent_minor FROM customer_order_summary WHERE customer_id = "
                      + customer))
          .isEqualTo(orders * 2 * 1_250L);
      assertThat(
              server.queryLong(
                  "SELECT units_sold FROM product_stats WHERE product_id = " + product))
          .isEqualTo(orders * 2L);
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM notifications WHERE customer_id = " + customer))
          .isEqualTo(orders);

      String inList = jobs.toString().replace('[', '(').replace(']', ')');
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  server.queryLong(
                          "SELECT count(*) FROM jobs WHERE status = 'succeeded' AND id IN "
                              + inList)
                      == jobs.size());
      // each report written by one attempt only (a retry after a lost attempt replaces its rows)
      assertThat(server.queryLong("SELECT count(*) FROM reports WHERE id IN " + inList))
          .isEqualTo(jobs.size());
    } finally {
      children.forEach(ChildServer::kill);
      dev.hotpath.support.TempDirs.delete(dir);
    }
  }
}
