package dev.hotpath.support;

import dev.hotpath.App;
import dev.hotpath.compute.Rebuild;
import dev.hotpath.config.Settings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.Progress;
import dev.hotpath.store.seed.SeedPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * One server per test JVM, on one embedded PostgreSQL in a fresh folder, seeded once with the
 * volume the query-plan tests need (200k orders). Tests add the rows they assert on themselves.
 */
public final class TestServer {
  public static final SeedPlan BASE_DATA = new SeedPlan(2_000, 200, 200_000, 7);

  private static TestServer instance;

  private final App app;
  private final Api api;

  private TestServer(App app) {
    this.app = app;
    this.api = new Api("http://localhost:" + app.port(), Contracts.instance());
  }

  public static synchronized TestServer get() {
    if (instance == null) {
      instance = start();
    }
    return instance;
  }

  private static TestServer start() {
    try {
      Path dir = Files.createTempDirectory("hotpath-test-");
      Settings settings =
          Settings.builder(
                  environment(
                      Map.of(
                          "HOTPATH_EVENT_LOOPS", "2",
                          "HOTPATH_DB_POOL_SIZE", "8",
                          "HOTPATH_SHUTDOWN_GRACE_MS", "2000",
                          "HOTPATH_H2C", "on",
                          "HOTPATH_ACCESS_LOG", dir.resolve("access.log").toString(),
                          "HOTPATH_OUTBOX_POLL_MS", "20",
                          "HOTPATH_JOB_POLL_MS", "50",
                          "HOTPATH_JOB_BACKOFF_BASE_MS", "20",
                          "HOTPATH_JOB_BACKOFF_CAP_MS", "200",
                          "HOTPATH_IMPORT_CHUNK_LINES", "50")))
              .dataDir(dir)
              .build();
      // gRPC on (#22): the suite's gRPC tests call this server
      settings = settings.toBuilder().grpc(settings.grpc().withPort(freePort())).build();
      App.Database db = App.openDatabase(settings);
      DataGenerator.seed(db.coordinates(), BASE_DATA, Progress.NONE);
      App app = App.start(settings, db);
      TestServer server = new TestServer(app);
      // handed out once it reports ready (its read models caught up, its warm-up done), as a
      // balancer would: a test that runs first must not meet the start-up 503s of readiness
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(120))
          .pollInterval(java.time.Duration.ofMillis(20))
          .until(() -> server.api().anonymous().get("/health/ready").status() == 200);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    app.close();
                    TempDirs.delete(dir);
                  },
                  "test-server-stop"));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A port free now, for a server about to start. */
  public static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Settings of a test server: a free port, the test keys trusted ({@link Tokens}), a limit on
   * failed authentications that the suite's deliberate failures stay under, rate limits that one
   * test token from one address cannot spend (the suite sends thousands of requests so; the
   * rate-limit tests set their own), a concurrency limit above the thousand requests some tests
   * hold in flight at once (the admission tests set their own), no shutdown delay, 10 s of grace
   * past a request's deadline for its database work (the suite's concurrent tests share two cores
   * and miss the route budgets; the database fault tests hold requests to their budgets), then
   * {@code extra}.
   */
  public static Map<String, String> environment(Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(Tokens.get().environment());
    env.put("HOTPATH_PORT", "0");
    env.put("HOTPATH_AUTH_FAILURES_PER_MINUTE", "200");
    env.putAll(generousRateLimits());
    env.put("HOTPATH_ADMISSION_MIN_LIMIT", "2000");
    env.put("HOTPATH_ADMISSION_MAX_LIMIT", "10000");
    // no balancer to wait for: instances closed by tests drain at once
    env.put("HOTPATH_SHUTDOWN_DELAY_MS", "0");
    env.put("HOTPATH_DB_DEADLINE_GRACE_MS", "10000");
    // no warm-up traffic of its own in the counts, logs and quotas tests assert (WarmupTest has it)
    env.put("HOTPATH_WARMUP_MS", "0");
    env.putAll(extra);
    return env;
  }

  /** Rate limits that the test suite's traffic from one token and one address stays under. */
  public static Map<String, String> generousRateLimits() {
    return Map.of(
        "HOTPATH_RATE_CLIENT", "100000000",
        "HOTPATH_RATE_IP", "100000000",
        "HOTPATH_RATE_GLOBAL", "100000000");
  }

  /** Settings of a second instance on this server's database (as a scaled-out deployment runs). */
  public Settings secondInstance(Map<String, String> extra) {
    java.net.URI url = java.net.URI.create(databaseUrl());
    Map<String, String> env = new java.util.HashMap<>(Map.of("HOTPATH_EVENT_LOOPS", "1"));
    env.putAll(extra);
    return Settings.builder(environment(env)).databaseUrl(url).build();
  }

  public Api api() {
    return api;
  }

  public App app() {
    return app;
  }

  /** The access log this server writes (JSON lines, flushed every 50 ms). */
  public Path accessLog() {
    return Path.of(app.settings().accessLog().target());
  }

  public DatabaseCoordinates database() {
    return app.database();
  }

  /**
   * Waits until every outbox consumer has applied every event committed so far (read models and
   * side effects are off the request path, so tests that read them wait for them).
   */
  public void awaitConsumers() {
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(90))
        .pollInterval(java.time.Duration.ofMillis(50))
        .until(() -> queryLong(BEHIND) == 0);
  }

  /**
   * The live read model {@code model} compared with a rebuild from the log up to the very position
   * it has reached (see {@link Rebuild#check}); changes nothing.
   */
  public Rebuild.Check checkRebuild(String model) {
    try {
      return Rebuild.check(app.compute().pool(), Rebuild.named(model).orElseThrow())
          .await(2, java.util.concurrent.TimeUnit.MINUTES);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("checking " + model + " took over 2 minutes", e);
    }
  }

  /**
   * Runs {@code queries} in one snapshot (REPEATABLE READ) in which every outbox consumer has
   * applied every event the snapshot shows, so read models and the tables they summarise can be
   * compared while other work goes on; waits for such a snapshot.
   */
  public List<String> queryTextCaughtUp(String... queries) {
    java.util.concurrent.atomic.AtomicReference<List<String>> result =
        new java.util.concurrent.atomic.AtomicReference<>();
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(90))
        .pollInterval(java.time.Duration.ofMillis(50))
        .until(
            () -> {
              try (Connection conn = database().openJdbc()) {
                conn.setAutoCommit(false);
                conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try {
                  if (queryLong(conn, BEHIND) > 0) {
                    return false;
                  }
                  List<String> texts = new java.util.ArrayList<>();
                  for (String sql : queries) {
                    texts.add(queryText(conn, sql));
                  }
                  result.set(texts);
                  return true;
                } finally {
                  conn.rollback();
                }
              }
            });
    return result.get();
  }

  /** Consumers whose offset is short of the last event in the log. */
  private static final String BEHIND =
      "SELECT count(*) FROM consumer_offsets c, (SELECT txid, id FROM outbox"
          + " ORDER BY txid DESC, id DESC LIMIT 1) e"
          + " WHERE (c.last_txid, c.last_id) < (e.txid, e.id)";

  private static long queryLong(Connection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String queryText(Connection conn, String sql) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        for (int i = 1; i <= columns; i++) {
          out.append(i == 1 ? "" : "|").append(rs.getString(i));
        }
        out.append('\n');
      }
      return out.toString();
    }
  }

  /** The whole result of {@code sql} as text, one line per row, for comparing tables. */
  public String queryText(String sql) {
    try (Connection conn = database().openJdbc()) {
      return queryText(conn, sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** {@code postgresql://...} of the shared database, for a second instance or the CLI. */
  public String databaseUrl() {
    DatabaseCoordinates db = database();
    return "postgresql://"
        + db.user()
        + ":"
        + db.password()
        + "@"
        + db.host()
        + ":"
        + db.port()
        + "/"
        + db.database();
  }

  /** Runs one SQL query and returns the first column of the first row as a long. */
  public long queryLong(String sql) {
    try (Connection conn = database().openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** Runs one SQL statement (DDL or DML). */
  public void execute(String sql) {
    try (Connection conn = database().openJdbc();
        Statement st = conn.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
