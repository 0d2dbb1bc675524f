package dev.hotpath.compute.relay;

import dev.hotpath.config.RelaySettings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.store.Migrations;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.Progress;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.support.KafkaBroker;
import dev.hotpath.support.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The relay-only micro-measurement behind the default batching and compression (README, "Events"):
 * for each producer setting, the same seeded log (orders and customers) is relayed from the start
 * to the in-JVM broker; it prints events/s and the bytes the broker stored. Not a test (no
 * assertion, not run by verify); run it by hand on a quiet machine:
 *
 * <pre>
 * ./mvnw -q -pl server test-compile
 * java -cp server/target/test-classes:server/target/classes:$(cat cp.txt) \
 *   dev.hotpath.compute.relay.RelayMeasurement 20000
 * </pre>
 */
public final class RelayMeasurement {
  private RelayMeasurement() {}

  record Setting(String compression, int lingerMs, int batchBytes, int batch) {}

  public static void main(String[] args) throws Exception {
    int orders = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    Setting[] settings = {
      new Setting("none", 0, 16 * 1024, 2_000),
      new Setting("none", 5, 256 * 1024, 2_000),
      new Setting("lz4", 5, 256 * 1024, 2_000),
      new Setting("zstd", 5, 256 * 1024, 2_000),
      new Setting("none", 20, 1024 * 1024, 2_000),
      new Setting("lz4", 20, 1024 * 1024, 2_000),
      new Setting("zstd", 20, 1024 * 1024, 2_000),
      new Setting("lz4", 5, 256 * 1024, 500),
    };
    Path dir = Files.createTempDirectory("relay-measure-");
    KafkaBroker broker = KafkaBroker.get();
    try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir.resolve("pg"), 0);
        Admin admin =
            Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()))) {
      int round = 0;
      for (int pass = 0; pass < 2; pass++) {
        for (Setting s : settings) {
          String name = "m" + round++;
          DatabaseCoordinates db = database(pg.coordinates(), name);
          DataGenerator.seed(db, new SeedPlan(2_000, 100, orders, 5), Progress.NONE);
          long events = queryLong(db, "SELECT count(*) FROM outbox");
          RelaySettings rs =
              new RelaySettings(
                  Optional.of(broker.bootstrap()),
                  name + ".",
                  s.batch(),
                  Duration.ofMillis(s.lingerMs()),
                  s.batchBytes(),
                  s.compression(),
                  Duration.ofMillis(20),
                  Duration.ofMillis(50),
                  Duration.ofSeconds(1),
                  Duration.ofSeconds(30),
                  Duration.ofMillis(200));
          Relay relay = new Relay(rs, db, name, Clock.systemUTC(), new Random(1));
          long start = System.nanoTime();
          relay.start();
          while (relay.published() < events) {
            Thread.sleep(5);
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          long cpuNanos = relayCpuNanos(name);
          relay.stop(Duration.ofSeconds(30));
          long bytes = storedBytes(admin, name + ".");
          System.out.printf(
              "pass %d %-5s linger %2d ms batch.size %7d batch %5d: %7d events in %6.2f s = %8.0f"
                  + " events/s, relay threads' CPU %5.1f us/event, %9d bytes stored (%.0f"
                  + " B/event)%n",
              pass + 1,
              s.compression(),
              s.lingerMs(),
              s.batchBytes(),
              s.batch(),
              events,
              seconds,
              events / seconds,
              cpuNanos / 1e3 / events,
              bytes,
              (double) bytes / events);
        }
      }
    } finally {
      TempDirs.delete(dir);
      System.exit(0);
    }
  }

  /**
   * CPU time of the relay's own threads (its loop, where records are serialised and compressed, and
   * its producer's network thread), which is what the relay takes from the server it runs in.
   */
  static long relayCpuNanos(String owner) {
    var mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long total = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("hotpath-relay")
          || t.getName().equals("kafka-producer-network-thread | hotpath-relay-" + owner)) {
        total += Math.max(0, mx.getThreadCpuTime(t.threadId()));
      }
    }
    return total;
  }

  private static long storedBytes(Admin admin, String prefix) throws Exception {
    long total = 0;
    var dirs =
        admin.describeLogDirs(
            admin.describeCluster().nodes().get().stream().map(n -> n.id()).toList());
    for (var perBroker : dirs.allDescriptions().get().values()) {
      for (var logDir : perBroker.values()) {
        for (var e : logDir.replicaInfos().entrySet()) {
          if (e.getKey().topic().startsWith(prefix)) {
            total += e.getValue().size();
          }
        }
      }
    }
    return total;
  }

  /** A database of its own on {@code server}, migrated like the server's. */
  static DatabaseCoordinates database(DatabaseCoordinates server, String name) throws SQLException {
    try (Connection conn = server.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    DatabaseCoordinates db =
        new DatabaseCoordinates(
            server.host(), server.port(), name, server.user(), server.password());
    Migrations.migrate(db);
    return db;
  }

  private static long queryLong(DatabaseCoordinates db, String sql) throws SQLException {
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
