package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.cli.Main;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code hotpath serve} run as a child JVM from the test class path, as an operator runs it: its
 * own process to signal ({@code SIGTERM}) or kill ({@code SIGKILL}), its output appended to a log.
 */
public final class ChildServer {
  private final Process process;
  private final int port;
  private final Path log;

  private ChildServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts {@code hotpath serve} on {@code port} with the test keys trusted and {@code env} (no
   * other {@code HOTPATH_*} variable of this JVM's environment leaks in); does not wait for it.
   */
  public static ChildServer start(int port, Map<String, String> env, Path log) {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(k -> k.startsWith("HOTPATH_"));
    environment.putAll(Tokens.get().environment());
    environment.put("HOTPATH_ACCESS_LOG", "off");
    environment.put("HOTPATH_PORT", String.valueOf(port));
    environment.put("HOTPATH_EVENT_LOOPS", "2");
    environment.put("HOTPATH_DB_POOL_SIZE", "4");
    environment.put("HOTPATH_COMPUTE_POOL_SIZE", "2");
    environment.putAll(TestServer.generousRateLimits());
    // as the shared test server: a loaded machine misses the route budgets; the fault tests hold
    // them
    environment.put("HOTPATH_DB_DEADLINE_GRACE_MS", "10000");
    environment.put("HOTPATH_WARMUP_MS", "0");
    environment.putAll(env);
    try {
      return new ChildServer(builder.start(), port, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until {@code /health/ready} answers 200, failing at once if the process exits (a failed
   * start) and after {@code bound} otherwise.
   */
  public ChildServer awaitReady(Duration bound) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready =
        HttpRequest.newBuilder(URI.create(base() + "/health/ready"))
            .timeout(Duration.ofSeconds(5))
            .build();
    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(
            () -> {
              assertThat(process.isAlive())
                  .as("the server exited with %s before it was ready; see %s", exitCode(), log)
                  .isTrue();
              return client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            });
    return this;
  }

  private String exitCode() {
    return process.isAlive() ? "nothing" : String.valueOf(process.exitValue());
  }

  public String base() {
    return "http://localhost:" + port;
  }

  public int port() {
    return port;
  }

  public Process process() {
    return process;
  }

  public Path log() {
    return log;
  }

  /** SIGKILL to the server and every process it started (as when its whole group is killed). */
  public void killWithChildren() {
    process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** Kills it if it still runs (test clean-up). */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
