package dev.hotpath.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy (Debian's {@value #BINARY}, which {@code .ci/run} installs) on a free loopback
 * port, balancing HTTP round robin over servers {@code hotpath-0}, {@code hotpath-1}, ... that it
 * checks with {@code GET /health/ready} every {@code checkEvery} ({@code fall} failed checks mark a
 * server down, {@code rise} passed ones up again; a check may take 5 s, so that a slow instance is
 * not taken for a dead one), as {@code scripts/cluster.sh} configures it. A request whose
 * connection to a server is refused is sent again ({@code retries 2}), the last time to another
 * server ({@code option redispatch}). Its stats socket tells each server's state. When the binary
 * is missing the calling test is skipped with the reason, unless {@code CI_STRICT=1}, when it
 * fails.
 */
public final class Haproxy implements AutoCloseable {
  public static final String BINARY = "/usr/sbin/haproxy";

  private final Process process;
  private final int port;
  private final Path socket;
  private final Path log;

  private Haproxy(Process process, int port, Path socket, Path log) {
    this.process = process;
    this.port = port;
    this.socket = socket;
    this.log = log;
  }

  /** Skips (or, with CI_STRICT=1, fails) the calling test when haproxy is missing. */
  public static void require() {
    PgCluster.requireEngine(BINARY, "haproxy");
  }

  /**
   * Starts HAProxy in {@code dir} in front of the servers on {@code serverPorts} (named {@code
   * hotpath-<index>}); returns once its stats socket answers.
   */
  public static Haproxy start(
      Path dir, List<Integer> serverPorts, Duration checkEvery, int fall, int rise) {
    require();
    int port = ChildServer.freePort();
    Path socket = dir.resolve("haproxy.sock");
    Path config = dir.resolve("haproxy.cfg");
    Path log = dir.resolve("haproxy.log");
    StringBuilder cfg =
        new StringBuilder()
            .append("global\n  nbthread 1\n  log stdout format raw local0\n  stats socket ")
            .append(socket)
            .append(" mode 600 level admin\n")
            .append("defaults\n  mode http\n  log global\n  option httplog\n")
            .append("  timeout connect 2s\n  timeout check 5s\n")
            .append(
                "  timeout client 60s\n  timeout server 60s\n  retries 2\n  option redispatch\n")
            .append("frontend hotpath\n  bind 127.0.0.1:")
            .append(port)
            .append("\n  default_backend instances\n")
            .append("backend instances\n  balance roundrobin\n")
            .append("  option httpchk GET /health/ready\n  http-check expect status 200\n")
            .append("  default-server inter ")
            .append(checkEvery.toMillis())
            .append(" fall ")
            .append(fall)
            .append(" rise ")
            .append(rise)
            .append('\n');
    for (int i = 0; i < serverPorts.size(); i++) {
      cfg.append("  server hotpath-")
          .append(i)
          .append(" 127.0.0.1:")
          .append(serverPorts.get(i))
          .append(" check\n");
    }
    try {
      Files.writeString(config, cfg);
      Process process =
          new ProcessBuilder(BINARY, "-f", config.toString(), "-db")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      Haproxy haproxy = new Haproxy(process, port, socket, log);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new AssertionError(
                      "haproxy exited with " + process.exitValue() + ": " + Files.readString(log));
                }
                return haproxy.server("hotpath-0") != null;
              });
      return haproxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code http://127.0.0.1:port}, the balancer's front. */
  public String base() {
    return "http://127.0.0.1:" + port;
  }

  /** What HAProxy says of one server now (one {@code show stat} over its stats socket). */
  public Server server(String name) throws IOException {
    String stat = command("show stat");
    String[] lines = stat.split("\n");
    List<String> header = List.of(lines[0].substring(2).split(","));
    for (String line : lines) {
      String[] fields = line.split(",", -1);
      if (fields.length > 1 && fields[0].equals("instances") && fields[1].equals(name)) {
        return new Server(
            fields[header.indexOf("status")],
            Long.parseLong(fields[header.indexOf("stot")]),
            Long.parseLong(fields[header.indexOf("chkfail")]),
            Long.parseLong(fields[header.indexOf("chkdown")]));
      }
    }
    throw new IOException("no server " + name + " in HAProxy's stats:\n" + stat);
  }

  /**
   * A server's row of the stats.
   *
   * @param status {@code UP}, {@code DOWN}, or a transition ({@code UP 1/2}: up, failing checks)
   * @param sessions requests HAProxy has sent it ({@code stot}; health checks are not counted)
   * @param failedChecks checks it failed while up ({@code chkfail})
   * @param downs times the checks took it from up to down ({@code chkdown})
   */
  public record Server(String status, long sessions, long failedChecks, long downs) {}

  /** Waits until HAProxy reports {@code name} exactly in {@code status}; returns that row. */
  public Server awaitStatus(String name, String status, Duration bound) {
    return await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(10))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> server(name), s -> s.status().equals(status));
  }

  private String command(String command) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      StringBuilder out = new StringBuilder();
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        out.append(StandardCharsets.US_ASCII.decode(buffer));
        buffer.clear();
      }
      return out.toString();
    }
  }

  /** HAProxy's own output: alerts, warnings, and one line per request (its httplog format). */
  public Path log() {
    return log;
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
