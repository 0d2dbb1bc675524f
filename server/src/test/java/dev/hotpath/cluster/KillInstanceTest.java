package dev.hotpath.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.support.Api;
import dev.hotpath.support.ChildServer;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.Haproxy;
import dev.hotpath.support.TempDirs;
import dev.hotpath.support.TestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two {@code hotpath serve} processes on one database behind a real HAProxy that checks {@code
 * /health/ready} (as {@code scripts/cluster.sh} runs them): while clients place orders through the
 * balancer, one instance is killed with SIGKILL. Every order a client saw acknowledged (201) is in
 * the database; the only requests that fail are those in flight while it died; HAProxy takes it out
 * after exactly {@code fall} failed checks and sends it nothing more; started again on its port, it
 * passes the checks and takes requests again. Each instance connects as a database role of its own,
 * so the test also counts its connections against the README's pool sizing.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class KillInstanceTest {
  private static final Duration CHECK_EVERY = Duration.ofMillis(300);
  private static final int FALL = 2;
  private static final int RISE = 2;
  private static final int CLIENTS = 4;
  private static final int EVENT_LOOPS = 2;
  private static final int DB_POOL_SIZE = 4;
  private static final int COMPUTE_POOL_SIZE = 2;

  /**
   * The README's bound (Scale out, Pools) of one instance's connections to the primary, without
   * replicas or a Kafka relay: both pools of every event loop, the workers' pool, the cache
   * listener, the canceller.
   */
  private static final int CONNECTION_BOUND =
      2 * EVENT_LOOPS * Math.max(1, DB_POOL_SIZE / EVENT_LOOPS) + COMPUTE_POOL_SIZE + 1 + 1;

  private final TestServer server = TestServer.get();
  private final Fixtures fixtures = new Fixtures(server);

  @Test
  void aKilledInstanceLosesNoAcknowledgedWriteFailsOnlyItsInFlightRequestsAndRejoins()
      throws Exception {
    Haproxy.require();
    long customer = fixtures.customer();
    long product = fixtures.product(100, 1_000_000_000);
    Path dir = Files.createTempDirectory("hotpath-kill-");
    List<ChildServer> children = new ArrayList<>();
    ConnectionSampler connections = new ConnectionSampler(server.database());
    Load load = null;
    boolean passed = false;
    try {
      List<Integer> ports = List.of(ChildServer.freePort(), ChildServer.freePort());
      for (int i = 0; i < ports.size(); i++) {
        children.add(startInstance(ports.get(i), "hotpath_kill_" + i, dir));
      }
      for (ChildServer child : children) {
        child.awaitReady(Duration.ofMinutes(3));
      }
      try (Haproxy balancer = Haproxy.start(dir, ports, CHECK_EVERY, FALL, RISE)) {
        balancer.awaitStatus("hotpath-0", "UP", Duration.ofSeconds(60));
        balancer.awaitStatus("hotpath-1", "UP", Duration.ofSeconds(60));
        connections.start();
        load = new Load(Api.of(balancer.base()), Fixtures.orderBody(customer, product, 1));
        load.start(CLIENTS);
        Load running = load;
        // both instances take writes
        await()
            .atMost(Duration.ofMinutes(2))
            .until(
                () ->
                    running.acknowledged() >= 40
                        && balancer.server("hotpath-0").sessions() >= 10
                        && balancer.server("hotpath-1").sessions() >= 10);

        // fully up (not "UP 1/2", failing checks): it takes exactly `fall` failures to go down
        Haproxy.Server before = balancer.awaitStatus("hotpath-0", "UP", Duration.ofSeconds(60));
        long downsBefore = before.downs() + balancer.server("hotpath-1").downs();
        Process victim = children.get(0).process();
        long killSent = System.nanoTime();
        victim.destroyForcibly(); // SIGKILL
        assertThat(victim.waitFor(60, TimeUnit.SECONDS)).isTrue();
        long deathSeen = System.nanoTime();
        Haproxy.Server down = balancer.awaitStatus("hotpath-0", "DOWN", Duration.ofSeconds(60));
        long markedDown = System.nanoTime();
        load.check();
        // the health checks took it out: exactly `fall` failed checks, one transition to down
        assertThat(down.failedChecks() - before.failedChecks()).isEqualTo(FALL);
        assertThat(down.downs() - before.downs()).isEqualTo(1);
        // checks run every interval, so that is within (fall + 1) intervals of the kill; the clock
        // bound adds a busy machine's slack
        assertThat(Duration.ofNanos(markedDown - killSent))
            .isLessThan(CHECK_EVERY.multipliedBy(FALL + 1).plusSeconds(10));
        // and from then on HAProxy sends it nothing while the writes go on through the other
        int afterDown = load.acknowledged();
        await().atMost(Duration.ofMinutes(2)).until(() -> running.acknowledged() >= afterDown + 40);
        assertThat(balancer.server("hotpath-0").sessions()).isEqualTo(down.sessions());
        assertThat(balancer.server("hotpath-0").status()).isEqualTo("DOWN");

        // started again on its port, it passes the checks and takes requests again
        children.set(0, startInstance(ports.get(0), "hotpath_kill_0_again", dir));
        children.get(0).awaitReady(Duration.ofMinutes(3));
        Haproxy.Server up = balancer.awaitStatus("hotpath-0", "UP", Duration.ofSeconds(60));
        int afterUp = load.acknowledged();
        await()
            .atMost(Duration.ofMinutes(2))
            .until(
                () ->
                    running.acknowledged() >= afterUp + 40
                        && balancer.server("hotpath-0").sessions() >= up.sessions() + 10);
        load.stop();
        connections.stop();

        List<Outcome> outcomes = load.outcomes();
        List<Outcome> failed = outcomes.stream().filter(o -> o.orderId() == 0).toList();
        List<Outcome> inFlightAtKill =
            outcomes.stream().filter(o -> o.start() <= deathSeen && o.end() >= killSent).toList();
        System.out.printf(
            "kill test: %d times an instance was taken down before the kill; %d writes acknowledged, %d failed, %d in flight while the instance died"
                + " (%.1f ms from SIGKILL to exit seen); HAProxy marked it DOWN %.0f ms after"
                + " SIGKILL (checks every %d ms, fall %d); peak connections per instance %s"
                + " (bound %d)%n",
            downsBefore,
            outcomes.size() - failed.size(),
            failed.size(),
            inFlightAtKill.size(),
            (deathSeen - killSent) / 1e6,
            (markedDown - killSent) / 1e6,
            CHECK_EVERY.toMillis(),
            FALL,
            connections.peaks(),
            CONNECTION_BOUND);

        failed.forEach(
            f ->
                System.out.printf(
                    "failed write: started %.1f ms after SIGKILL, took %.1f ms: %s%n",
                    (f.start() - killSent) / 1e6,
                    (f.end() - f.start()) / 1e6,
                    f.failure().lines().findFirst().orElse("")));
        // clients saw at most the failures of the requests in flight while it died
        assertThat(inFlightAtKill).containsAll(failed);
        assertThat(failed.size()).isLessThanOrEqualTo(inFlightAtKill.size());
        // no acknowledged write is lost: every 201's order is in the database, once
        List<Long> ids = outcomes.stream().map(Outcome::orderId).filter(id -> id != 0).toList();
        assertThat(ids).doesNotHaveDuplicates();
        String inList = ids.toString().replace('[', '(').replace(']', ')');
        assertThat(server.queryLong("SELECT count(*) FROM orders WHERE id IN " + inList))
            .isEqualTo(ids.size());
        // a client retries what failed with the same key: each key is then exactly one order
        Api api = Api.of(balancer.base());
        for (Outcome lost : failed) {
          Api.Response r =
              api.post("/v1/orders", load.body(), "Idempotency-Key", lost.idempotencyKey());
          assertThat(r.status()).as(r.body()).isEqualTo(201);
        }
        assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
            .isEqualTo(outcomes.size());
        // no instance opened more connections than the README's sizing says
        assertThat(connections.peaks()).hasSize(3);
        assertThat(connections.peaks().values()).allSatisfy(p -> assertThat(p).isPositive());
        assertThat(connections.peaks().values())
            .allSatisfy(p -> assertThat(p).isLessThanOrEqualTo(CONNECTION_BOUND));
        passed = true;
      }
    } finally {
      if (!passed) {
        printDiagnosis(dir);
      }
      if (load != null) {
        load.stop();
      }
      connections.stop();
      children.forEach(ChildServer::kill);
      TempDirs.delete(dir);
    }
  }

  /** What HAProxy answered other than 201, and what the instances logged above INFO. */
  private static void printDiagnosis(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      for (Path log : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        System.out.println("--- " + log.getFileName());
        try (var lines = Files.lines(log)) {
          lines
              .filter(l -> !l.contains(" 201 ") && !l.contains("INFO"))
              .limit(200)
              .forEach(System.out::println);
        }
      }
    }
  }

  /**
   * {@code hotpath serve} on {@code port}, connected as {@code role} (a superuser made for it, so
   * that its connections can be told from the others' in pg_stat_activity).
   */
  private ChildServer startInstance(int port, String role, Path dir) {
    server.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
            + role
            + "') THEN CREATE ROLE "
            + role
            + " LOGIN SUPERUSER PASSWORD 'kill'; END IF; END $$");
    DatabaseCoordinates db = server.database();
    String url =
        "postgresql://" + role + ":kill@" + db.host() + ":" + db.port() + "/" + db.database();
    return ChildServer.start(
        port,
        Map.of(
            "HOTPATH_DATABASE_URL", url,
            "HOTPATH_EVENT_LOOPS", String.valueOf(EVENT_LOOPS),
            "HOTPATH_DB_POOL_SIZE", String.valueOf(DB_POOL_SIZE),
            "HOTPATH_COMPUTE_POOL_SIZE", String.valueOf(COMPUTE_POOL_SIZE),
            "HOTPATH_SHUTDOWN_DELAY_MS", "0"),
        dir.resolve(role + ".log"));
  }

  /**
   * One write through the balancer: when it started and ended ({@link System#nanoTime}), and the
   * order it created (0 when it failed).
   */
  record Outcome(String idempotencyKey, long start, long end, long orderId, String failure) {}

  /**
   * Clients that each place one order after another through the balancer, each with a fresh {@code
   * Idempotency-Key}. A balancer's own error (a 502/503 page, not hotpath's problem+json) or a
   * broken connection is a failure to count; any other answer than 201 is a defect, reported by
   * {@link #check}.
   */
  private static final class Load {
    private final Api api;
    private final String body;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    Load(Api api, String body) {
      this.api = api;
      this.body = body;
    }

    String body() {
      return body;
    }

    void start(int clients) {
      for (int c = 0; c < clients; c++) {
        threads.add(Thread.ofPlatform().name("kill-test-client-" + c).start(this::run));
      }
    }

    private void run() {
      while (running.get()) {
        String key = UUID.randomUUID().toString();
        HttpRequest post =
            api.request("/v1/orders")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long start = System.nanoTime();
        try {
          HttpResponse<byte[]> raw =
              api.client().send(post, HttpResponse.BodyHandlers.ofByteArray());
          long end = System.nanoTime();
          String type = raw.headers().firstValue("Content-Type").orElse("");
          if (raw.statusCode() == 201) {
            long id = api.conforming(post, raw).json().get("id").asLong();
            outcomes.add(new Outcome(key, start, end, id, ""));
          } else if (raw.statusCode() >= 502
              && raw.statusCode() <= 504
              && !type.startsWith("application/problem+json")) {
            outcomes.add(
                new Outcome(
                    key,
                    start,
                    end,
                    0,
                    raw.statusCode() + " " + new String(raw.body(), StandardCharsets.UTF_8)));
          } else {
            unexpected.add(api.conforming(post, raw).toString());
          }
        } catch (IOException e) {
          outcomes.add(new Outcome(key, start, System.nanoTime(), 0, e.toString()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException | AssertionError e) {
          unexpected.add(e.toString());
        }
      }
    }

    /** Fails with what was answered if any answer was neither a 201 nor a balancer's error. */
    void check() {
      assertThat(unexpected).as("answers other than 201 or a balancer's 502/503").isEmpty();
    }

    /** Writes acknowledged so far; fails at once on an unexpected answer. */
    int acknowledged() {
      check();
      return (int) outcomes.stream().filter(o -> o.orderId() != 0).count();
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(Duration.ofMinutes(1));
      }
      check();
    }

    List<Outcome> outcomes() {
      return List.copyOf(outcomes);
    }
  }

  /** Samples, every 50 ms, how many connections each {@code hotpath_kill_*} role holds. */
  private static final class ConnectionSampler {
    private static final String COUNT =
        "SELECT usename, count(*) FROM pg_stat_activity WHERE usename LIKE 'hotpath_kill_%'"
            + " GROUP BY usename";
    private final DatabaseCoordinates database;
    private final Map<String, Long> peaks = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private Thread thread;

    ConnectionSampler(DatabaseCoordinates database) {
      this.database = database;
    }

    void start() {
      running.set(true);
      thread = Thread.ofPlatform().name("kill-test-connections").start(this::run);
    }

    private void run() {
      try (Connection conn = database.openJdbc();
          Statement st = conn.createStatement()) {
        while (running.get()) {
          try (ResultSet rs = st.executeQuery(COUNT)) {
            while (rs.next()) {
              peaks.merge(rs.getString(1), rs.getLong(2), Math::max);
            }
          }
          Thread.sleep(50); // a sampling period, not a wait for a condition
        }
      } catch (SQLException e) {
        throw new IllegalStateException("sampling connections failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      if (thread != null) {
        thread.join(Duration.ofMinutes(1));
      }
    }

    /** The most connections each role held at once, by role name. */
    Map<String, Long> peaks() {
      return Map.copyOf(peaks);
    }
  }
}
