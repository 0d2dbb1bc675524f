package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.hotpath.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cancel request sent at a request's deadline must never strike the next statement on the same
 * connection. PostgreSQL cancels whatever the backend runs when the cancel arrives, not the
 * statement it was sent for: a connection whose deadline passed between two statements (or just as
 * one ended) must not run another, nor go back to the pool for another request to use, before the
 * cancel is acknowledged ({@link LentConnection}). Real PostgreSQL, real cancel requests.
 */
class LateCancelTest {
  private Vertx vertx;
  private PgConnection conn;
  private DatabaseHealth health;

  @BeforeEach
  void connect() throws Exception {
    vertx = Vertx.vertx();
    health =
        new DatabaseHealth(
            vertx,
            TestServer.get().database(),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    conn =
        PgConnection.connect(vertx, PgConnectOptions.fromUri(TestServer.get().databaseUrl()))
            .await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    health.close();
    conn.close().await(30, TimeUnit.SECONDS);
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Five times over, on one connection: each run must pass. */
  @Test
  void aStatementAfterTheDeadlinesCancelWaitsForItAndIsNotCancelled() throws Exception {
    for (int run = 0; run < 5; run++) {
      statementAfterCancel();
    }
  }

  /**
   * Cancels stop what they are sent for, and all of them go out on one kept connection: opening one
   * per cancel started a PostgreSQL backend each time the database was already too slow.
   */
  @Test
  void cancelsStopRunningStatementsAndShareOneConnection() throws Exception {
    String canceller =
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hotpath canceller'";
    // the suite's own server may hold its canceller already
    long before = TestServer.get().queryLong(canceller);
    List<PgConnection> sleepers = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        sleepers.add(
            PgConnection.connect(vertx, PgConnectOptions.fromUri(TestServer.get().databaseUrl()))
                .await(30, TimeUnit.SECONDS));
      }
      List<Future<RowSet<Row>>> sleeps = new ArrayList<>();
      for (PgConnection c : sleepers) {
        sleeps.add(c.query("SELECT pg_sleep(60)").execute());
      }
      // every sleep is running before it is cancelled
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  TestServer.get()
                          .queryLong(
                              "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'"
                                  + " AND state = 'active'")
                      == sleepers.size());
      List<Future<Void>> cancels = new ArrayList<>();
      for (PgConnection c : sleepers) {
        cancels.add(health.cancel(c));
      }
      Future.all(cancels).await(30, TimeUnit.SECONDS);
      for (Future<RowSet<Row>> sleep : sleeps) {
        Throwable stopped = catchThrowable(() -> sleep.await(30, TimeUnit.SECONDS));
        assertThat(DatabaseHealth.timedOut(stopped)).as(String.valueOf(stopped)).isTrue();
      }
      assertThat(TestServer.get().queryLong(canceller)).isEqualTo(before + 1);
    } finally {
      for (PgConnection c : sleepers) {
        c.close().await(30, TimeUnit.SECONDS);
      }
    }
    health.close();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> TestServer.get().queryLong(canceller) == before);
  }

  private void statementAfterCancel() throws Exception {
    AtomicReference<Throwable> expired = new AtomicReference<>();
    AtomicReference<Future<RowSet<Row>>> next = new AtomicReference<>();
    AtomicReference<LentConnection> lent = new AtomicReference<>();
    long end = System.nanoTime() + Duration.ofMillis(20).toNanos();
    // the deadline passes while the connection is idle: the cancel goes out then, and the holder
    // sends its next statement at once (as a rollback follows a failure), before the cancel can
    // have arrived
    lent.set(
        new LentConnection(
            conn,
            RequestDeadline.detached(
                end,
                e -> {
                  expired.set(e);
                  next.set(lent.get().query("SELECT pg_sleep(0.3)").execute());
                }),
            end,
            vertx,
            health::cancel));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> next.get() != null);
    assertThat(expired.get()).isInstanceOf(DatabaseTimeoutException.class);

    // it runs once the backend has been signalled (it was idle then, and ignored the signal), not
    // before: without the wait, the cancel stops this sleep (57014)
    RowSet<Row> slept = next.get().await(30, TimeUnit.SECONDS);
    assertThat(slept.size()).isEqualTo(1);
    RowSet<Row> after = lent.get().query("SELECT 1").execute().await(30, TimeUnit.SECONDS);
    assertThat(after.iterator().next().getInteger(0)).isEqualTo(1);
  }
}
