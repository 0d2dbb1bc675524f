package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.support.Api;
import dev.hotpath.support.ChildServer;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.PgCluster;
import dev.hotpath.support.TempDirs;
import dev.hotpath.support.TestServer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two {@code hotpath serve} processes behind a real HAProxy ({@value #HAPROXY}) that checks {@code
 * /health/ready}: one is killed with SIGKILL while clients write through the balancer. No
 * acknowledged write is lost, only requests in flight on the killed instance fail, HAProxy marks it
 * down within its check interval, and the instance started again rejoins.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class BalancerTest {
  static final String HAPROXY = "/usr/sbin/haproxy";
  private static final int CHECK_MS = 300;
  private static final int FALL = 2;

  private final TestServer server = TestServer.get();

  @Test
  void aKilledInstanceLosesNoAcknowledgedWriteAndRejoinsWhenRestarted() throws Exception {
    PgCluster.requireEngine(HAPROXY, "haproxy");
    Path dir = Files.createTempDirectory("hotpath-balancer-");
    List<ChildServer> children = new ArrayList<>();
    Process haproxy = null;
    try {
      Map<String, String> env =
          Map.of("HOTPATH_DATABASE_URL", server.databaseUrl(), "HOTPATH_SHUTDOWN_DELAY_MS", "0");
      int[] ports = {ChildServer.freePort(), ChildServer.freePort()};
      for (int i = 0; i < 2; i++) {
        children.add(ChildServer.start(ports[i], env, dir.resolve("child-" + i + ".log")));
      }
      for (ChildServer child : children) {
        child.awaitReady(Duration.ofSeconds(120));
      }
      int lbPort = ChildServer.freePort();
      Path socket = dir.resolve("haproxy.sock");
      Files.writeString(dir.resolve("haproxy.cfg"), config(lbPort, socket, ports));
      haproxy =
          new ProcessBuilder(HAPROXY, "-f", dir.resolve("haproxy.cfg").toString(), "-db")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("haproxy.log").toFile())
              .start();
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> status(socket, "hotpath-0").startsWith("UP"));
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> status(socket, "hotpath-1").startsWith("UP"));

      Api api = Api.of("http://127.0.0.1:" + lbPort);
      ConcurrentLinkedQueue<String> acknowledged = new ConcurrentLinkedQueue<>();
      AtomicInteger failed = new AtomicInteger();
      AtomicLong lastFailure = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);
      int clients = 4;
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      while (running.get()) {
                        String email = Fixtures.uniqueEmail("balancer");
                        HttpRequest post =
                            api.request("/v1/customers")
                                .header("Content-Type", "application/json")
                                .POST(
                                    HttpRequest.BodyPublishers.ofString(
                                        "{\"email\":\"" + email + "\",\"name\":\"Balanced\"}"))
                                .build();
                        try {
                          HttpResponse<String> r =
                              api.client().send(post, HttpResponse.BodyHandlers.ofString());
                          if (r.statusCode() == 201) {
                            acknowledged.add(email);
                          } else {
                            failed.incrementAndGet();
                            lastFailure.set(System.nanoTime());
                          }
                        } catch (IOException e) {
                          failed.incrementAndGet();
                          lastFailure.set(System.nanoTime());
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                          return;
                        }
                      }
                    }));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 40);
      long killedAt = System.nanoTime();
      children.get(0).killWithChildren();
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> status(socket, "hotpath-0").startsWith("DOWN"));
      long markedDown = System.nanoTime();
      int before = acknowledged.size();
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= before + 40);

      // restarted on its port, it passes the checks and takes traffic again
      children.set(0, ChildServer.start(ports[0], env, dir.resolve("child-0b.log")));
      children.get(0).awaitReady(Duration.ofSeconds(120));
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> status(socket, "hotpath-0").startsWith("UP"));
      long servedBefore = served(socket, "hotpath-0");
      int again = acknowledged.size();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  acknowledged.size() >= again + 20 && served(socket, "hotpath-0") > servedBefore);
      running.set(false);
      for (Thread t : threads) {
        t.join(60_000);
      }

      // every write a client saw acknowledged is in the database
      List<String> emails = List.copyOf(acknowledged);
      String inList = "('" + String.join("','", emails) + "')";
      assertThat(server.queryLong("SELECT count(*) FROM customers WHERE email IN " + inList))
          .isEqualTo(emails.size());
      // only what was in flight on the killed instance failed, and not after HAProxy saw it down
      assertThat(failed.get()).isLessThanOrEqualTo(clients);
      assertThat(lastFailure.get() == 0 || lastFailure.get() <= markedDown).isTrue();
      // marked down within its checks (fall x inter) plus a slow machine's slack
      assertThat(Duration.ofNanos(markedDown - killedAt))
          .isLessThan(Duration.ofMillis(FALL * CHECK_MS + 5_000));
    } finally {
      if (haproxy != null) {
        haproxy.destroyForcibly();
        haproxy.waitFor(10, TimeUnit.SECONDS);
      }
      children.forEach(ChildServer::kill);
      TempDirs.delete(dir);
    }
  }

  private static String config(int lbPort, Path socket, int[] ports) {
    StringBuilder cfg =
        new StringBuilder()
            .append("global\n  stats socket ")
            .append(socket)
            .append(" mode 600 level admin\n")
            .append("defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n")
            .append("  timeout server 30s\n  retries 2\n  option redispatch\n")
            .append("frontend hotpath\n  bind 127.0.0.1:")
            .append(lbPort)
            .append("\n  default_backend instances\n")
            .append("backend instances\n  balance roundrobin\n")
            .append("  option httpchk GET /health/ready\n  http-check expect status 200\n")
            .append("  default-server inter ")
            .append(CHECK_MS)
            .append(" fall ")
            .append(FALL)
            .append(" rise 2\n");
    for (int i = 0; i < ports.length; i++) {
      cfg.append("  server hotpath-")
          .append(i)
          .append(" 127.0.0.1:")
          .append(ports[i])
          .append(" check\n");
    }
    return cfg.toString();
  }

  /** One server's row of HAProxy's {@code show stat}, as CSV fields. */
  private static String[] row(Path socket, String name) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      StringBuilder out = new StringBuilder();
      while (channel.read(buffer) > 0) {
        buffer.flip();
        out.append(StandardCharsets.US_ASCII.decode(buffer));
        buffer.clear();
      }
      String[] lines = out.toString().split("\n");
      List<String> header = List.of(lines[0].substring(2).split(","));
      for (String line : lines) {
        String[] fields = line.split(",", -1);
        if (fields.length > 1 && fields[1].equals(name)) {
          return new String[] {fields[header.indexOf("status")], fields[header.indexOf("stot")]};
        }
      }
      return new String[] {"MISSING", "0"};
    }
  }

  private static String status(Path socket, String name) throws IOException {
    return row(socket, name)[0];
  }

  private static long served(Path socket, String name) throws IOException {
    return Long.parseLong(row(socket, name)[1]);
  }
}
