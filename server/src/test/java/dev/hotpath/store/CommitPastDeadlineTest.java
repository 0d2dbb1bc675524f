package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request's deadline that passes while its transaction's COMMIT is in flight must not answer 503
 * for work that then commits: 20 concurrent cancellations of one order once all answered 503 {@code
 * database-timeout} although one of them had cancelled it. The COMMIT is held here by a deferred
 * constraint trigger that waits for an advisory lock the test holds until the deadline has passed,
 * so the timing is the test's, not the machine's. Real PostgreSQL.
 */
class CommitPastDeadlineTest {
  private static final long LOCK = 7_304_211;
  private Vertx vertx;
  private Pool pool;
  private DatabaseHealth health;
  private PgConnection holder;

  @BeforeEach
  void setUp() throws Exception {
    TestServer server = TestServer.get();
    server.execute(
        "CREATE TABLE IF NOT EXISTS commit_probe (id bigint PRIMARY KEY);"
            + " CREATE OR REPLACE FUNCTION commit_probe_wait() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$ BEGIN PERFORM pg_advisory_xact_lock("
            + LOCK
            + "); RETURN NULL; END $$;"
            + " DROP TRIGGER IF EXISTS commit_probe_wait ON commit_probe;"
            + " CREATE CONSTRAINT TRIGGER commit_probe_wait AFTER INSERT ON commit_probe"
            + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_probe_wait()");
    vertx = Vertx.vertx();
    health =
        new DatabaseHealth(
            vertx,
            server.database(),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(2))
            .connectingTo(PgConnectOptions.fromUri(server.databaseUrl()))
            .using(vertx)
            .build();
    holder =
        PgConnection.connect(vertx, PgConnectOptions.fromUri(server.databaseUrl()))
            .await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    holder.close().await(30, TimeUnit.SECONDS);
    pool.close().await(30, TimeUnit.SECONDS);
    health.close();
    vertx.close().await(30, TimeUnit.SECONDS);
    TestServer.get().execute("DROP TABLE IF EXISTS commit_probe");
  }

  @Test
  void aDeadlineThatPassesDuringTheCommitWaitsForItsOutcome() throws Exception {
    holder.query("SELECT pg_advisory_lock(" + LOCK + ")").execute().await(30, TimeUnit.SECONDS);
    GuardedPool guarded = new GuardedPool(pool, vertx, health, Duration.ZERO);
    long id = System.nanoTime();
    // generous enough for the INSERT on a loaded machine; the COMMIT then waits for the lock
    long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    Promise<Void> done = Promise.promise();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              RequestDeadline.bind(end, null, e -> {});
              guarded
                  .withTransaction(
                      conn ->
                          conn.preparedQuery("INSERT INTO commit_probe (id) VALUES ($1)")
                              .execute(Tuple.of(id))
                              .mapEmpty())
                  .<Void>mapEmpty()
                  .onComplete(done);
            });
    Future<Void> result = done.future();
    // the COMMIT waits for the lock (the INSERT is done), and the deadline passes meanwhile
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                TestServer.get()
                        .queryLong(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                + " AND wait_event = 'advisory' AND query LIKE 'COMMIT%'")
                    == 1);
    // a second past the deadline, its timer has had every chance to fire
    long past = end + Duration.ofSeconds(1).toNanos();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() > past);
    assertThat(result.isComplete()).as("no answer before the COMMIT's own: " + result).isFalse();
    holder.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute().await(30, TimeUnit.SECONDS);
    result.await(30, TimeUnit.SECONDS);
    assertThat(TestServer.get().queryLong("SELECT count(*) FROM commit_probe WHERE id = " + id))
        .isEqualTo(1);
  }

  /**
   * The block is held past its deadline; the lock is released as soon as the request has been
   * answered 503, so the block may finish before the cancel request reaches its statement. Either
   * way the transaction must roll back: a 503 never hides a commit.
   */
  @Test
  void aDeadlineThatPassesInsideTheBlockStillFailsAndRollsBack() throws Exception {
    GuardedPool guarded = new GuardedPool(pool, vertx, health, Duration.ZERO);
    long id = System.nanoTime();
    holder.query("SELECT pg_advisory_lock(" + LOCK + ")").execute().await(30, TimeUnit.SECONDS);
    long end = System.nanoTime() + Duration.ofMillis(300).toNanos();
    Promise<Void> done = Promise.promise();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              RequestDeadline.bind(end, null, e -> {});
              guarded
                  .withTransaction(
                      conn ->
                          conn.preparedQuery("INSERT INTO commit_probe (id) VALUES ($1)")
                              .execute(Tuple.of(id))
                              .compose(
                                  x ->
                                      conn.query("SELECT pg_advisory_xact_lock(" + LOCK + ")")
                                          .execute())
                              .mapEmpty())
                  .<Void>mapEmpty()
                  .onComplete(done);
            });
    Throwable failure =
        org.assertj.core.api.Assertions.catchThrowable(
            () -> done.future().await(30, TimeUnit.SECONDS));
    assertThat(failure).isInstanceOf(DatabaseTimeoutException.class);
    holder.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute().await(30, TimeUnit.SECONDS);
    assertThat(TestServer.get().queryLong("SELECT count(*) FROM commit_probe WHERE id = " + id))
        .isEqualTo(0);
  }

  /**
   * The orders' path: a connection lent for a hand-run transaction (BEGIN, statements, COMMIT).
   * Once it is marked as committing, its deadline no longer answers the request.
   */
  @Test
  void aLentConnectionMarkedCommittingIsNotAnswered503WhileItsCommitRuns() throws Exception {
    holder.query("SELECT pg_advisory_lock(" + LOCK + ")").execute().await(30, TimeUnit.SECONDS);
    GuardedPool guarded = new GuardedPool(pool, vertx, health, Duration.ZERO);
    long id = System.nanoTime();
    long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    java.util.concurrent.atomic.AtomicReference<Throwable> answered503 =
        new java.util.concurrent.atomic.AtomicReference<>();
    Promise<Boolean> marked = Promise.promise();
    Promise<Void> committed = Promise.promise();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              RequestDeadline.bind(end, null, answered503::set);
              guarded
                  .getConnection()
                  .compose(
                      conn ->
                          conn.query("BEGIN")
                              .execute()
                              .compose(
                                  x ->
                                      conn.preparedQuery(
                                              "INSERT INTO commit_probe (id) VALUES ($1)")
                                          .execute(Tuple.of(id)))
                              .compose(
                                  x -> {
                                    marked.complete(GuardedPool.committing(conn));
                                    return conn.query("COMMIT").execute();
                                  })
                              .eventually(conn::close))
                  .<Void>mapEmpty()
                  .onComplete(committed);
            });
    assertThat(marked.future().await(30, TimeUnit.SECONDS)).isTrue();
    long past = end + Duration.ofSeconds(1).toNanos();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() > past);
    assertThat(answered503.get()).as("the deadline answered the request").isNull();
    holder.query("SELECT pg_advisory_unlock(" + LOCK + ")").execute().await(30, TimeUnit.SECONDS);
    committed.future().await(30, TimeUnit.SECONDS);
    assertThat(TestServer.get().queryLong("SELECT count(*) FROM commit_probe WHERE id = " + id))
        .isEqualTo(1);
    assertThat(answered503.get()).isNull();
  }

  @Test
  void aLentConnectionWhoseDeadlineAnsweredMayNotCommit() throws Exception {
    GuardedPool guarded = new GuardedPool(pool, vertx, health, Duration.ZERO);
    long end = System.nanoTime() + Duration.ofMillis(200).toNanos();
    java.util.concurrent.atomic.AtomicReference<Throwable> answered503 =
        new java.util.concurrent.atomic.AtomicReference<>();
    Promise<io.vertx.sqlclient.SqlConnection> lent = Promise.promise();
    vertx
        .getOrCreateContext()
        .runOnContext(
            v -> {
              RequestDeadline.bind(end, null, answered503::set);
              guarded.getConnection().onComplete(lent);
            });
    io.vertx.sqlclient.SqlConnection conn = lent.future().await(30, TimeUnit.SECONDS);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> answered503.get() != null);
    assertThat(answered503.get()).isInstanceOf(DatabaseTimeoutException.class);
    assertThat(GuardedPool.committing(conn)).isFalse();
    conn.close().await(30, TimeUnit.SECONDS);
  }
}
