package dev.hotpath.compute.relay;

import dev.hotpath.config.RelaySettings;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.support.TempDirs;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The relay's CPU per event under a steady write load (README, "Events"), the measurement behind
 * its defaults: a writer appends order events to the outbox at a fixed rate, one transaction per
 * event as {@code POST /v1/orders} does, while the relay publishes them to a broker running as a
 * process of its own (the tests' in-JVM KRaft broker, {@code support/KafkaBrokerMain}). For each
 * setting it reports, per 10,000 events, the CPU seconds of
 *
 * <ul>
 *   <li>the relay's own threads (its loop and its producer's network thread: ThreadMXBean),
 *   <li>the relay's PostgreSQL backend (the holder of its advisory lock: {@code /proc/PID/stat}),
 *   <li>the rest of PostgreSQL but the writers' backends and the relay's (WAL writer, checkpointer,
 *       ...), minus the same with the relay off,
 *   <li>the broker process, minus the same with the relay off,
 * </ul>
 *
 * and the write-to-acknowledgement p50/p99. Not a test (no assertion, not run by verify); run it by
 * hand, niced, on a machine as quiet as can be had (CPU time moves little with noise, rates do):
 *
 * <pre>
 * ./mvnw -q -B -pl server test-compile
 * ./mvnw -q -B -pl server dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=cp.txt
 * nice -n 10 java -cp server/target/test-classes:server/target/classes:$(cat server/cp.txt) \
 *   dev.hotpath.compute.relay.RelayCost RATE EVENTS SETTING...
 * </pre>
 *
 * RATE is events/s written, EVENTS the events measured per setting (after a 3 s warm-up); SETTING
 * is {@code off} (writers only, the baseline) or {@code compression:pollMs:batch}, e.g. {@code
 * lz4:50:2000}.
 */
public final class RelayCost {
  private RelayCost() {}

  private static final long HZ = 100; // USER_HZ on Linux

  record Setting(String compression, int pollMs, int batch) {
    static Setting parse(String s) {
      if (s.equals("off")) {
        return null;
      }
      String[] p = s.split(":");
      return new Setting(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }
  }

  /** CPU seconds per 10,000 events, by part. */
  record Cost(double relay, double backend, double pgOther, double broker) {
    double total() {
      return relay + backend + pgOther + broker;
    }
  }

  public static void main(String[] args) throws Exception {
    int rate = Integer.parseInt(args[0]);
    int events = Integer.parseInt(args[1]);
    List<String> settings = List.of(args).subList(2, args.length);
    Path dir = Files.createTempDirectory("relay-cost-");
    Process broker = startBroker(dir);
    try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir.resolve("pg"), 0)) {
      String bootstrap = readBootstrap(broker);
      long postmaster =
          Long.parseLong(Files.readAllLines(dir.resolve("pg").resolve("postmaster.pid")).get(0));
      List<String> names = new ArrayList<>();
      List<Measured> measured = new ArrayList<>();
      int round = 0;
      for (String name : settings) {
        String db = "c" + round++;
        DatabaseCoordinates coords = RelayMeasurement.database(pg.coordinates(), db);
        Measured m =
            measure(
                coords, bootstrap, db, Setting.parse(name), rate, events, postmaster, broker.pid());
        names.add(name);
        measured.add(m);
        System.out.printf(
            "%-16s %6d events in %5.1f s, %4d tx: relay threads %.3f, relay backend %.3f,"
                + " pg other %.3f, broker %.3f s per 10k events (gross)%n",
            name,
            m.events,
            m.seconds,
            m.transactions,
            m.cost.relay(),
            m.cost.backend(),
            m.cost.pgOther(),
            m.cost.broker());
      }
      // the broker and PostgreSQL cost something with the relay off too (the broker's idle work is
      // noisy): their mean over the runs with the relay off is subtracted
      double pgOff = 0;
      double brokerOff = 0;
      int offs = 0;
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).equals("off")) {
          pgOff += measured.get(i).cost.pgOther();
          brokerOff += measured.get(i).cost.broker();
          offs++;
        }
      }
      pgOff /= Math.max(1, offs);
      brokerOff /= Math.max(1, offs);
      System.out.printf(
          "== CPU seconds per 10,000 events at %d events/s written (relay off: pg other %.3f,"
              + " broker %.3f, subtracted)%n",
          rate, pgOff, brokerOff);
      for (int i = 0; i < names.size(); i++) {
        Measured m = measured.get(i);
        if (names.get(i).equals("off")) {
          continue;
        }
        Cost net =
            new Cost(
                m.cost.relay(),
                m.cost.backend(),
                m.cost.pgOther() - pgOff,
                m.cost.broker() - brokerOff);
        System.out.printf(
            "%-16s %5.0f events/s, %4.0f events/tx: relay threads %.3f, relay backend %.3f,"
                + " pg other %+.3f, broker %+.3f = %.3f s (%.0f us/event); write to ack p50 %.0f"
                + " ms, p99 %.0f ms%n",
            names.get(i),
            m.events / m.seconds,
            (double) m.events / Math.max(1, m.transactions),
            net.relay(),
            net.backend(),
            net.pgOther(),
            net.broker(),
            net.total(),
            net.total() * 1e6 / 10_000,
            m.p50,
            m.p99);
      }
    } finally {
      broker.destroy();
      broker.waitFor(30, TimeUnit.SECONDS);
      TempDirs.delete(dir);
      System.exit(0);
    }
  }

  record Measured(
      long events, double seconds, long transactions, Cost cost, double p50, double p99) {}

  private static Measured measure(
      DatabaseCoordinates db,
      String bootstrap,
      String name,
      Setting s,
      int rate,
      int events,
      long postmaster,
      long brokerPid)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong written = new AtomicLong();
    List<Long> writerPids = new ArrayList<>();
    List<Thread> writers = new ArrayList<>();
    int threads = 2;
    for (int i = 0; i < threads; i++) {
      Connection conn = db.openJdbc();
      writerPids.add(queryLong(conn, "SELECT pg_backend_pid()"));
      try (Statement st = conn.createStatement()) {
        st.execute("SET synchronous_commit = off");
      }
      int base = i * 10_000_000;
      writers.add(
          Thread.ofPlatform().start(() -> write(conn, rate / threads, base, stop, written)));
    }
    Relay relay = null;
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try {
      if (s != null) {
        RelaySettings rs =
            new RelaySettings(
                Optional.of(bootstrap),
                name + ".",
                s.batch(),
                Duration.ofMillis(20),
                1024 * 1024,
                s.compression(),
                Duration.ofMillis(s.pollMs()),
                Duration.ofMillis(200),
                Duration.ofSeconds(10),
                Duration.ofSeconds(30),
                Duration.ofMillis(200));
        relay = new Relay(rs, db, name, Clock.systemUTC(), new Random(1)).bind(registry);
        relay.start();
      }
      Thread.sleep(3_000);
      Long backend = s == null ? null : relayBackend(db);
      long published0 = relay == null ? written.get() : relay.published();
      long tx0 = relay == null ? 0 : relay.transactions();
      double requests0 = producerRequests(name);
      long relay0 = RelayMeasurement.relayCpuNanos(name);
      long backend0 = backend == null ? 0 : cpuNanos(backend);
      List<Long> notOther = new ArrayList<>(writerPids);
      if (backend != null) {
        notOther.add(backend);
      }
      Map<Long, Long> pg0 = pgCpuNanos(postmaster, notOther);
      long broker0 = ticks(brokerPid);
      long t0 = System.nanoTime();
      Relay r = relay;
      while ((r == null ? written.get() : r.published()) - published0 < events) {
        Thread.sleep(20);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long n = (r == null ? written.get() : r.published()) - published0;
      double per10k = 10_000.0 / n / 1e9;
      Cost cost =
          new Cost(
              (RelayMeasurement.relayCpuNanos(name) - relay0) * per10k,
              backend == null ? 0 : (cpuNanos(backend) - backend0) * per10k,
              delta(pg0, pgCpuNanos(postmaster, notOther)) * per10k,
              (ticks(brokerPid) - broker0) * (1e9 / HZ) * per10k);
      long tx = relay == null ? 0 : relay.transactions() - tx0;
      if (tx > 0) {
        System.out.printf(
            "  producer requests per transaction: %.1f%n",
            (producerRequests(name) - requests0) / tx);
      }
      double p50 = 0;
      double p99 = 0;
      if (relay != null) {
        Timer t = registry.find("hotpath_relay_delivery").timer();
        for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
          if (v.percentile() == 0.5) {
            p50 = v.value(TimeUnit.MILLISECONDS);
          } else if (v.percentile() == 0.99) {
            p99 = v.value(TimeUnit.MILLISECONDS);
          }
        }
      }
      return new Measured(n, seconds, tx, cost, p50, p99);
    } finally {
      stop.set(true);
      for (Thread t : writers) {
        t.join();
      }
      if (relay != null) {
        relay.stop(Duration.ofSeconds(30));
      }
    }
  }

  /** Order events, one per transaction, paced to {@code rate} per second. */
  private static void write(
      Connection conn, int rate, int base, AtomicBoolean stop, AtomicLong written) {
    String sql =
        "INSERT INTO outbox (type, aggregate_id, payload, trace_parent) SELECT 'order.created', ?,"
            + " jsonb_build_object('order_id', ?, 'customer_id', ? % 997, 'currency', 'EUR',"
            + " 'total_minor', 4599, 'created_at', now(), 'source', 'api', 'items',"
            + " jsonb_build_array(jsonb_build_object('product_id', 17, 'quantity', 2,"
            + " 'line_total_minor', 2598), jsonb_build_object('product_id', 5, 'quantity', 1,"
            + " 'line_total_minor', 2001))), ?";
    long start = System.nanoTime();
    long n = 0;
    try (conn;
        PreparedStatement st = conn.prepareStatement(sql)) {
      while (!stop.get()) {
        long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
        if (n >= due) {
          Thread.sleep(1);
          continue;
        }
        long id = base + n;
        st.setLong(1, id);
        st.setLong(2, id);
        st.setLong(3, id);
        st.setString(4, String.format("00-%032x-%016x-01", id + 1, id + 1));
        st.executeUpdate();
        n++;
        written.incrementAndGet();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Requests the relay's producer sent to the broker (its JMX metrics), 0 without a relay. */
  private static double producerRequests(String owner) {
    try {
      Object v =
          ManagementFactory.getPlatformMBeanServer()
              .getAttribute(
                  new javax.management.ObjectName(
                      "kafka.producer:type=producer-metrics,client-id=hotpath-relay-" + owner),
                  "request-total");
      return ((Number) v).doubleValue();
    } catch (javax.management.JMException e) {
      return 0;
    }
  }

  private static Long relayBackend(DatabaseCoordinates db) throws SQLException {
    try (Connection conn = db.openJdbc()) {
      return queryLong(
          conn,
          "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid ="
              + " (hashtext('outbox-relay:kafka')::bigint & 4294967295)::oid"
              + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    }
  }

  /**
   * CPU of PostgreSQL's processes but those excluded (schedstat: nanoseconds), by process: a
   * process that ends between two samples must not count negative.
   */
  private static Map<Long, Long> pgCpuNanos(long postmaster, List<Long> exclude)
      throws IOException {
    Map<Long, Long> cpu = new HashMap<>();
    cpu.put(postmaster, cpuNanos(postmaster));
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String f = p.getFileName().toString();
        if (!f.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(f);
        if (exclude.contains(pid)) {
          continue;
        }
        try {
          String stat = Files.readString(p.resolve("stat"));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (Long.parseLong(fields[1]) == postmaster) {
            cpu.put(pid, cpuNanos(pid));
          }
        } catch (IOException e) {
          // the process ended
        }
      }
    }
    return cpu;
  }

  /** CPU used between two samples by the processes alive at the second. */
  private static long delta(Map<Long, Long> before, Map<Long, Long> after) {
    long total = 0;
    for (Map.Entry<Long, Long> e : after.entrySet()) {
      total += e.getValue() - before.getOrDefault(e.getKey(), 0L);
    }
    return total;
  }

  private static long cpuNanos(long pid) {
    try {
      return Long.parseLong(
          Files.readString(Path.of("/proc/" + pid + "/schedstat")).trim().split(" ")[0]);
    } catch (IOException e) {
      return 0;
    }
  }

  /** utime + stime of a process, all its threads, ended ones included. */
  private static long ticks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static Process startBroker(Path dir) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-Xmx1g",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.hotpath.support.KafkaBrokerMain")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.PIPE)
        .start();
  }

  private static String readBootstrap(Process broker) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("bootstrap=")) {
        String bootstrap = line.substring("bootstrap=".length());
        Thread.ofPlatform().daemon().start(() -> drain(in));
        return bootstrap;
      }
    }
    throw new IllegalStateException("the broker ended before it served");
  }

  private static void drain(BufferedReader in) {
    try {
      while (in.readLine() != null) {
        // the broker's log is not needed
      }
    } catch (IOException e) {
      // the broker ended
    }
  }

  private static long queryLong(Connection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
