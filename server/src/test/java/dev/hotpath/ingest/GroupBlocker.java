package dev.hotpath.ingest;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;

/**
 * Holds an instance's one order-transaction connection (an instance started with {@code
 * HOTPATH_EVENT_LOOPS=1}, {@code HOTPATH_DB_POOL_SIZE=1} and group commit on) until closed: an
 * order whose product a test transaction has locked holds it, so the orders sent meanwhile wait and
 * go together in one group ({@link OrderGroup}) once it is closed. Closing waits for that order's
 * answer.
 */
final class GroupBlocker implements AutoCloseable {
  private final Connection jdbc;
  private final CompletableFuture<Api.Response> order;

  GroupBlocker(TestServer server, Fixtures fx, Api to) throws Exception {
    long product = fx.product(100, 1_000);
    jdbc = server.database().openJdbc();
    jdbc.setAutoCommit(false);
    try (Statement s = jdbc.createStatement()) {
      s.execute("SELECT 1 FROM products WHERE id = " + product + " FOR UPDATE");
    }
    order = send(to, UUID.randomUUID().toString(), Fixtures.orderBody(fx.customer(), product, 1));
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                server.queryLong(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                            + " AND query LIKE '%FOR UPDATE%' AND pid <> "
                            + pid())
                    >= 1);
  }

  /**
   * Waits until a group's first statement ({@link OrderGroup#READ}) waits on a lock, a test holding
   * one of its products; returns its backend's pid.
   */
  static long awaitGroupReadWaitingOnALock(TestServer server) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                server.queryLong(
                    "SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
                        + " WHERE wait_event_type = 'Lock'"
                        + " AND query LIKE '%WITH ORDINALITY AS k(lock_key%'"),
            pid -> pid > 0);
  }

  /** POSTs an order with {@code key} (and the header pairs in {@code more}) from another thread. */
  static CompletableFuture<Api.Response> send(Api to, String key, String body, String... more) {
    String[] headers = new String[2 + more.length];
    headers[0] = "Idempotency-Key";
    headers[1] = key;
    System.arraycopy(more, 0, headers, 2, more.length);
    return CompletableFuture.supplyAsync(() -> to.post("/v1/orders", body, headers));
  }

  private long pid() throws Exception {
    try (Statement s = jdbc.createStatement();
        var rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Waits until {@code n} orders wait for a group. */
  void awaitWaiting(int n) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> OrderGroup.waitingInProcess() >= n);
  }

  @Override
  public void close() throws Exception {
    if (!jdbc.isClosed()) {
      jdbc.rollback();
      jdbc.close();
    }
    order.join();
  }
}
