package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.http.Problems;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.Progress;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The database's faults over real sockets, on an instance with a PostgreSQL of its own (the shared
 * test server's database is never touched): stopped, the API answers 503 {@code
 * database-unavailable} with {@code Retry-After} at once, still serves what its cache holds, logs
 * once, shows it in {@code hotpath_db_available} and serves again within a second of the database's
 * return; frozen (SIGSTOP) or blocked by a lock, every request is answered within its route budget
 * and the connections come back healthy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseFaultsTest {
  private static final String UNAVAILABLE = "https://hotpath.dev/problems/database-unavailable";
  private static final String TIMEOUT = "https://hotpath.dev/problems/database-timeout";

  /** What a loaded test machine may add to a route budget before the answer is read. */
  private static final long MARGIN_MS = 400;

  @TempDir static Path dir;

  private static int port;
  private static EmbeddedDatabase pg;
  private static App app;
  private static Api api;
  private static DatabaseCoordinates coordinates;
  private static long customer;
  private static final List<Long> products = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    pg = EmbeddedDatabase.start(dir.resolve("pg"), port);
    Settings settings =
        Settings.builder(
                TestServer.environment(
                    Map.of(
                        "HOTPATH_EVENT_LOOPS", "1",
                        "HOTPATH_DB_POOL_SIZE", "2",
                        "HOTPATH_SHUTDOWN_GRACE_MS", "1000",
                        "HOTPATH_DB_DEADLINE_GRACE_MS", "0")))
            .dataDir(dir)
            .databaseUrl(
                URI.create("postgresql://postgres:postgres@localhost:" + port + "/postgres"))
            .build();
    App.Database db = App.openDatabase(settings);
    coordinates = db.coordinates();
    DataGenerator.seed(coordinates, new SeedPlan(20, 10, 20, 7), Progress.NONE);
    app = App.start(settings, db);
    api = Api.at("http://localhost:" + app.port());
    try (Connection c = coordinates.openJdbc();
        Statement st = c.createStatement()) {
      customer = single(st, "SELECT min(id) FROM customers WHERE status = 'active'");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT id FROM products WHERE status = 'active' AND stock > 100 ORDER BY id")) {
        while (rs.next()) {
          products.add(rs.getLong(1));
        }
      }
    }
    assertThat(products).hasSizeGreaterThanOrEqualTo(6);
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  @Order(1)
  void stoppedDatabaseAnswers503FastKeepsTheCacheLogsOnceAndRecoversWithinASecond()
      throws Exception {
    ListAppender<ILoggingEvent> health = capture(DatabaseHealth.class);
    ListAppender<ILoggingEvent> problems = capture(Problems.class);
    String cached = "/v1/customers/" + customer;
    String cachedProduct = "/v1/products/" + products.get(5);
    cache(cached);
    cache(cachedProduct);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> available() == 1.0);

    pg.close();
    pg = null;
    try {
      for (int i = 0; i < 10; i++) {
        Api.Response r = api.get("/v1/products/" + products.get(0));
        assertDatabaseProblem(r, UNAVAILABLE);
      }
      assertThat(available()).isEqualTo(0.0);
      Api.Response metrics = api.get("/metrics");
      assertThat(metrics.body()).contains("hotpath_db_available 0.0");

      // open: nothing is sent any more, every route answers at once
      double rejectedBefore = rejected();
      for (String path :
          List.of(
              "/v1/products/" + products.get(1),
              "/v1/customers/" + customer + "/summary",
              "/v1/customers/" + customer + "/orders",
              "/v1/orders/1")) {
        long start = System.nanoTime();
        Api.Response r = api.get(path);
        assertDatabaseProblem(r, UNAVAILABLE);
        assertThat(millisSince(start)).as(path).isLessThan(200 + MARGIN_MS);
      }
      Api.Response write =
          api.post(
              "/v1/orders",
              Fixtures.orderBody(customer, products.get(0), 1),
              "Idempotency-Key",
              UUID.randomUUID().toString());
      assertDatabaseProblem(write, UNAVAILABLE);
      assertThat(rejected()).isGreaterThanOrEqualTo(rejectedBefore + 5);

      assertThat(api.get(cached).status()).as("the cache still answers").isEqualTo(200);
      Api.Response product = api.get(cachedProduct);
      assertThat(product.status()).isEqualTo(200);
      assertThat(product.header("Cache-Control").orElseThrow())
          .as("a CDN may keep serving it while the server errs")
          .contains("stale-if-error=300");

      assertThat(levels(health, Level.WARN)).as("one line when it went down").hasSize(1);
      assertThat(levels(problems, Level.ERROR)).as("no error per request").isEmpty();
    } finally {
      if (pg == null) {
        pg = EmbeddedDatabase.start(dir.resolve("pg"), port);
      }
    }
    long back = System.nanoTime();
    Awaitility.await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(1))
        .until(() -> available() == 1.0);
    long recoveredMs = millisSince(back);
    System.out.println("database faults: serving again " + recoveredMs + " ms after its return");
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> api.get("/v1/products/" + products.get(0)).status() == 200);
    assertThat(levels(health, Level.INFO)).as("one line when it came back").hasSize(1);
    detach(DatabaseHealth.class, health);
    detach(Problems.class, problems);
  }

  @Test
  @Order(2)
  void frozenDatabaseAnswersEveryRouteWithinItsBudgetThenServesAgain() throws Exception {
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> available() == 1.0);
    // connections of both clients exist before the freeze (a cold first request may overrun)
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                api.get("/v1/products/" + products.get(2)).status() == 200
                    && api.get("/v1/customers/" + customer + "/summary").status() == 200);

    List<Long> frozen = postgresProcesses();
    signal("-STOP", frozen);
    try {
      List<Call> calls = new ArrayList<>();
      calls.add(call("read (pipelined)", 200, () -> get("/v1/products/" + products.get(3))));
      calls.add(
          call("read (pool)", 200, () -> get("/v1/customers/" + (customer + 1) + "/summary")));
      calls.add(call("list", 1000, () -> get("/v1/customers?limit=5")));
      calls.add(
          call(
              "write (lent connection)",
              500,
              () ->
                  api.sendAsync(
                      api.request("/v1/orders")
                          .header("Content-Type", "application/json")
                          .header("Idempotency-Key", UUID.randomUUID().toString())
                          .POST(
                              HttpRequest.BodyPublishers.ofString(
                                  Fixtures.orderBody(customer, products.get(4), 1)))
                          .build())));
      for (Call c : calls) {
        Api.Response r = c.answer().get();
        long took = (c.answered().get() - c.start()) / 1_000_000;
        assertDatabaseProblem(r, TIMEOUT);
        assertThat(took).as(c.what()).isLessThan(c.budgetMs() + MARGIN_MS);
      }
      assertThat(available()).as("slow is not down: the breaker stays closed").isEqualTo(1.0);
    } finally {
      signal("-CONT", frozen);
    }
    // after the thaw the same connections serve reads and writes; none is left in a transaction
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.get("/v1/products/" + products.get(3)).status() == 200);
    Api.Response placed =
        api.post(
            "/v1/orders",
            Fixtures.orderBody(customer, products.get(5), 1),
            "Idempotency-Key",
            UUID.randomUUID().toString());
    assertThat(placed.status()).isEqualTo(201);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> idleInTransaction() == 0);
  }

  @Test
  @Order(3)
  void aWriteBlockedByALockIsCancelledAtItsDeadline() throws Exception {
    try (Connection locker = coordinates.openJdbc()) {
      locker.setAutoCommit(false);
      try (Statement st = locker.createStatement()) {
        st.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE");
        long start = System.nanoTime();
        Api.Response r =
            api.post(
                "/v1/orders",
                Fixtures.orderBody(customer, products.get(5), 1),
                "Idempotency-Key",
                UUID.randomUUID().toString());
        assertDatabaseProblem(r, TIMEOUT);
        assertThat(millisSince(start)).isLessThan(500 + MARGIN_MS);
        // the cancel request, not statement_timeout (2 s), ends the waiting statement: gone while
        // the lock is still held
        Awaitility.await().atMost(Duration.ofMillis(1_200)).until(() -> lockWaiters() == 0);
        assertThat(millisSince(start)).as("before statement_timeout (2 s)").isLessThan(2_000);
      }
      locker.rollback();
    }
    Api.Response placed =
        api.post(
            "/v1/orders",
            Fixtures.orderBody(customer, products.get(5), 1),
            "Idempotency-Key",
            UUID.randomUUID().toString());
    assertThat(placed.status()).as("the cancelled connection came back healthy").isEqualTo(201);
    // none stays idle in a transaction: the background consumers' own transactions pass through
    // that state between their statements for a moment, so it is awaited, not sampled once
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> idleInTransaction() == 0);
  }

  /**
   * Reads {@code path} until it is answered 200, so that the cache holds it. This instance holds
   * requests to their budgets (no grace) and has no warm-up: its first read opens the pipelined
   * client's connection and prepares the statement within the read's 200 ms, which a loaded machine
   * overruns (a cold server's first request took 364 ms, see Warmup), and is answered 503 {@code
   * database-timeout}. That answer, and no other, is read again.
   */
  private static void cache(String path) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              Api.Response r = api.get(path);
              if (r.status() == 503 && TIMEOUT.equals(r.json().path("type").asText())) {
                return false;
              }
              assertThat(r.status()).as(r.toString()).isEqualTo(200);
              return true;
            });
  }

  private static CompletableFuture<Api.Response> get(String path) {
    return api.sendAsync(api.request(path).GET().build());
  }

  /** A request sent while the database is frozen, with the budget of its route class. */
  private record Call(
      String what,
      long budgetMs,
      CompletableFuture<Api.Response> answer,
      long start,
      CompletableFuture<Long> answered) {}

  private static Call call(
      String what, long budgetMs, Supplier<CompletableFuture<Api.Response>> send) {
    long start = System.nanoTime();
    CompletableFuture<Api.Response> answer = send.get();
    return new Call(what, budgetMs, answer, start, answer.handle((r, e) -> System.nanoTime()));
  }

  private static void assertDatabaseProblem(Api.Response r, String type) {
    assertThat(r.status()).as(r.toString()).isEqualTo(503);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).as(r.body()).isEqualTo(type);
    assertThat(r.header("Retry-After")).contains("1");
  }

  private static double available() {
    return app.observability().registry().get("hotpath_db_available").gauge().value();
  }

  private static double rejected() {
    return app.observability().registry().get("hotpath_db_rejected").counter().count();
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private static long single(Statement st, String sql) throws SQLException {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long idleInTransaction() throws SQLException {
    try (Connection c = coordinates.openJdbc();
        Statement st = c.createStatement()) {
      return single(
          st,
          "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"
              + " AND pid <> pg_backend_pid()");
    }
  }

  private static long lockWaiters() throws SQLException {
    try (Connection c = coordinates.openJdbc();
        Statement st = c.createStatement()) {
      return single(
          st,
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
              + " AND pid <> pg_backend_pid()");
    }
  }

  /** The postmaster of this test's cluster and every process it started, by pid. */
  private static List<Long> postgresProcesses() throws IOException {
    long postmaster =
        Long.parseLong(
            Files.readAllLines(dir.resolve("pg").resolve("postmaster.pid")).get(0).trim());
    List<Long> pids = new ArrayList<>();
    pids.add(postmaster);
    try (Stream<ProcessHandle> children =
        ProcessHandle.of(postmaster).orElseThrow().descendants()) {
      children.forEach(p -> pids.add(p.pid()));
    }
    return pids;
  }

  private static void signal(String signal, List<Long> pids) throws Exception {
    List<String> command = new ArrayList<>(List.of("kill", signal));
    pids.forEach(p -> command.add(Long.toString(p)));
    Process kill = new ProcessBuilder(command).inheritIO().start();
    assertThat(kill.waitFor()).as(String.join(" ", command)).isZero();
  }

  private static ListAppender<ILoggingEvent> capture(Class<?> type) {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ((Logger) LoggerFactory.getLogger(type)).addAppender(appender);
    return appender;
  }

  private static void detach(Class<?> type, ListAppender<ILoggingEvent> appender) {
    ((Logger) LoggerFactory.getLogger(type)).detachAppender(appender);
  }

  private static List<ILoggingEvent> levels(ListAppender<ILoggingEvent> appender, Level level) {
    return appender.list.stream().filter(e -> e.getLevel() == level).toList();
  }
}
