package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL 15 primary and one streaming replica from Debian's binaries ({@value #BIN}), in a
 * temporary folder, on free loopback ports, started by the test that needs them and stopped after.
 * The servers run as the {@code postgres} user when the tests run as root (PostgreSQL refuses
 * root). Without the binaries the calling test is skipped with the reason, unless {@code
 * CI_STRICT=1}, where it fails. The primary preloads pg_stat_statements, so a test can see on the
 * replica which statements it ran. Trust authentication, loopback only: a test fixture.
 */
public final class PgCluster implements AutoCloseable {
  public static final String BIN = "/usr/lib/postgresql/15/bin";
  private static final Duration STEP = Duration.ofSeconds(90);

  private final Path dir;
  private final int primaryPort;
  private final int replicaPort;

  private PgCluster(Path dir, int primaryPort, int replicaPort) {
    this.dir = dir;
    this.primaryPort = primaryPort;
    this.replicaPort = replicaPort;
  }

  /** Skips (or, with CI_STRICT=1, fails) the calling test when {@code binary} is missing. */
  public static void requireEngine(String binary, String packageName) {
    boolean present = Files.isExecutable(Path.of(binary));
    String reason =
        binary + " is missing: install the Debian package " + packageName + " (.ci/run does)";
    if (!present && "1".equals(System.getenv("CI_STRICT"))) {
      throw new AssertionError(reason + " [CI_STRICT=1]");
    }
    if (!present) {
      System.err.println("SKIPPED (engine missing): " + reason);
    }
    Assumptions.assumeTrue(present, reason);
  }

  /** Starts a primary with database {@code hotpath} and a streaming replica of it. */
  public static PgCluster start() {
    requireEngine(BIN + "/pg_basebackup", "postgresql-15");
    try {
      Path dir = Files.createTempDirectory("hotpath-pg-cluster-");
      PgCluster cluster = new PgCluster(dir, ChildServer.freePort(), ChildServer.freePort());
      try {
        cluster.create();
      } catch (RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
      return cluster;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void create() throws IOException {
    if (root()) {
      run(List.of("chown", "postgres:postgres", dir.toString()), false);
    }
    runAsPostgres(
        BIN + "/initdb",
        "-D",
        primaryDir().toString(),
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8");
    String conf =
        "\nlisten_addresses = '127.0.0.1'\n"
            + "port = "
            + primaryPort
            + "\nunix_socket_directories = '"
            + dir
            + "'\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            + "max_connections = 200\nfsync = off\nfull_page_writes = off\n"
            + "shared_preload_libraries = 'pg_stat_statements'\n"
            + "wal_receiver_status_interval = 1s\nhot_standby_feedback = on\n";
    appendAsPostgres(primaryDir().resolve("postgresql.conf"), conf);
    pgCtl(primaryDir(), "start");
    try (Connection c = connect(primaryPort, "postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE hotpath");
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database hotpath", e);
    }
    try (Connection c = connect(primaryPort, "hotpath");
        Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION pg_stat_statements");
    } catch (SQLException e) {
      throw new IllegalStateException("could not create pg_stat_statements", e);
    }
    runAsPostgres(
        BIN + "/pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        String.valueOf(primaryPort),
        "-U",
        "postgres",
        "-D",
        replicaDir().toString(),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast");
    appendAsPostgres(replicaDir().resolve("postgresql.auto.conf"), "port = " + replicaPort + "\n");
    pgCtl(replicaDir(), "start");
    await()
        .atMost(STEP)
        .ignoreExceptions()
        .until(() -> queryLong(replicaPort, "SELECT count(*) FROM pg_stat_wal_receiver") == 1);
  }

  private Path primaryDir() {
    return dir.resolve("primary");
  }

  private Path replicaDir() {
    return dir.resolve("replica");
  }

  /** {@code postgresql://postgres@127.0.0.1:port/hotpath} of the primary. */
  public URI primaryUrl() {
    return URI.create("postgresql://postgres@127.0.0.1:" + primaryPort + "/hotpath");
  }

  /** The replica's URL, as {@link #primaryUrl}. */
  public URI replicaUrl() {
    return URI.create("postgresql://postgres@127.0.0.1:" + replicaPort + "/hotpath");
  }

  /** Runs {@code sql} on the replica, returning its first column of its first row as a long. */
  public long onReplica(String sql) {
    try {
      return queryLong(replicaPort, sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on the replica", e);
    }
  }

  /** Runs {@code sql} on the primary, returning its first column of its first row as a long. */
  public long onPrimary(String sql) {
    try {
      return queryLong(primaryPort, sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on the primary", e);
    }
  }

  /** Runs {@code sql} (no result expected) on the replica. */
  public void executeOnReplica(String sql) {
    try (Connection c = connect(replicaPort, "hotpath");
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + " failed on the replica", e);
    }
  }

  /** Stops the replica at once ({@code pg_ctl stop -m immediate}), as a crash would. */
  public void stopReplica() {
    runAsPostgres(BIN + "/pg_ctl", "-D", replicaDir().toString(), "-m", "immediate", "stop");
  }

  /** Starts the replica again; it resumes streaming from where it stopped. */
  public void startReplica() {
    pgCtl(replicaDir(), "start");
  }

  private static long queryLong(int port, String sql) throws SQLException {
    try (Connection c = connect(port, "hotpath");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Connection connect(int port, String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres", "");
  }

  private void pgCtl(Path data, String action) {
    runAsPostgres(
        BIN + "/pg_ctl",
        "-D",
        data.toString(),
        "-l",
        data.resolveSibling(data.getFileName() + ".log").toString(),
        "-w",
        "-t",
        "90",
        action);
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  private void appendAsPostgres(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
  }

  private void runAsPostgres(String... command) {
    List<String> full = new ArrayList<>();
    if (root()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(List.of(command));
    run(full, true);
  }

  private void run(List<String> command, boolean inDir) {
    try {
      Path out = Files.createTempFile("hotpath-pg-cmd-", ".log");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()));
      if (inDir) {
        builder.directory(dir.toFile());
      }
      Process p = builder.start();
      boolean done = p.waitFor(STEP.toSeconds(), TimeUnit.SECONDS);
      String output = Files.readString(out);
      Files.deleteIfExists(out);
      if (!done) {
        p.destroyForcibly();
      }
      assertThat(done && p.exitValue() == 0).as("%s failed: %s", command, output).isTrue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops both servers (immediately: nothing here needs to survive) and deletes the folder. */
  @Override
  public void close() {
    for (Path data : List.of(replicaDir(), primaryDir())) {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        try {
          runAsPostgres(BIN + "/pg_ctl", "-D", data.toString(), "-m", "immediate", "stop");
        } catch (AssertionError e) {
          System.err.println("could not stop " + data + ": " + e.getMessage());
        }
      }
    }
    TempDirs.delete(dir);
  }
}
