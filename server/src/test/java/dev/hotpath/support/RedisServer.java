package dev.hotpath.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Redis (Debian's {@code /usr/bin/redis-server}, which {@code .ci/run} installs) on a free
 * loopback port, in a temporary folder, without persistence. It can be killed and started again on
 * the same port. When the binary is missing the calling test is skipped with the reason, unless
 * {@code CI_STRICT=1}, when it fails.
 */
public final class RedisServer implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/redis-server");

  private final int port;
  private final Path dir;
  private Process process;

  private RedisServer(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  /** Starts one; skips the test (or fails it under CI_STRICT=1) when redis-server is missing. */
  public static RedisServer start() {
    if (!Files.isExecutable(BINARY)) {
      String reason =
          BINARY + " is missing: install Debian's redis-server (as .ci/run does) to run this test";
      if ("1".equals(System.getenv("CI_STRICT"))) {
        throw new IllegalStateException(reason);
      }
      System.err.println("SKIPPED: " + reason);
      Assumptions.abort(reason);
    }
    try {
      RedisServer server = new RedisServer(freePort(), Files.createTempDirectory("hotpath-redis-"));
      server.startAgain();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code redis://127.0.0.1:port}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /**
   * Starts the server (again, after {@link #kill}) on the same port, and waits until it answers.
   */
  public synchronized void startAgain() {
    try {
      process =
          new ProcessBuilder(
                  List.of(
                      BINARY.toString(),
                      "--port",
                      Integer.toString(port),
                      "--bind",
                      "127.0.0.1",
                      "--dir",
                      dir.toString(),
                      "--save",
                      "",
                      "--appendonly",
                      "no",
                      "--protected-mode",
                      "no"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("redis.log").toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> "+PONG".equals(command("PING")));
  }

  /** Kills the server (SIGKILL), as a crash would; its data is gone (no persistence). */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /** Stops the process (SIGSTOP): connections stay open and nothing is answered, as when hung. */
  public synchronized void freeze() {
    signal("-STOP");
  }

  /** Lets a {@link #freeze frozen} server run again (SIGCONT). */
  public synchronized void thaw() {
    signal("-CONT");
  }

  private void signal(String which) {
    try {
      int code =
          new ProcessBuilder("kill", which, Long.toString(process.pid()))
              .inheritIO()
              .start()
              .waitFor();
      if (code != 0) {
        throw new IllegalStateException("kill " + which + " exited " + code);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Sends one inline command and returns the first line of the answer, or null when the server does
   * not answer.
   */
  public String command(String line) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder answer = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\r') {
        answer.append((char) c);
      }
      return answer.toString();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The calls of each command since start (or {@code CONFIG RESETSTAT}), from {@code INFO
   * commandstats}: {@code get -> 12}, {@code evalsha -> 3}.
   */
  public java.util.Map<String, Long> commandCalls() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write("INFO commandstats\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      var in = new java.io.DataInputStream(socket.getInputStream());
      StringBuilder header = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\r') {
        header.append((char) c);
      }
      in.read(); // \n
      byte[] bulk = new byte[Integer.parseInt(header.substring(1))];
      in.readFully(bulk);
      java.util.Map<String, Long> calls = new java.util.TreeMap<>();
      // cmdstat_get:calls=12,usec=40,usec_per_call=3.33,...
      for (String line : new String(bulk, StandardCharsets.UTF_8).split("\r\n")) {
        if (line.startsWith("cmdstat_")) {
          int colon = line.indexOf(':');
          int from = line.indexOf("calls=", colon) + "calls=".length();
          int to = line.indexOf(',', from);
          calls.put(
              line.substring("cmdstat_".length(), colon), Long.parseLong(line.substring(from, to)));
        }
      }
      return calls;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    kill();
    TempDirs.delete(dir);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
