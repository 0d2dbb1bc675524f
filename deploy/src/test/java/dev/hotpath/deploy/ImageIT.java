package dev.hotpath.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image {@code ./mvnw package} wrote to deploy/target/hotpath-image.tar: its config as a
 * container runtime reads it, and its layers unpacked and run (without a container runtime: the
 * entrypoint's JRE and class path taken from the unpacked root, on this machine's kernel).
 */
class ImageIT {
  static final Path TAR = Path.of(System.getProperty("hotpath.image.tar"));
  static final ObjectMapper JSON = new ObjectMapper();
  static JsonNode manifest;
  static JsonNode config;
  static Path root;

  @BeforeAll
  static void unpack(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("image");
    root = dir.resolve("root");
    Files.createDirectories(image);
    Files.createDirectories(root);
    run(List.of("tar", "-xf", TAR.toString(), "-C", image.toString()), Map.of());
    manifest = JSON.readTree(image.resolve("manifest.json").toFile()).get(0);
    config = JSON.readTree(image.resolve(manifest.get("Config").asText()).toFile());
    for (JsonNode layer : manifest.get("Layers")) {
      run(
          List.of("tar", "-xzf", image.resolve(layer.asText()).toString(), "-C", root.toString()),
          Map.of());
    }
  }

  @Test
  void theConfigRunsTheServerAsANonRootUserOnPort8080WithLabels() {
    assertThat(manifest.get("RepoTags").get(0).asText()).isEqualTo(KubernetesManifestsTest.IMAGE);
    JsonNode c = config.get("config");
    assertThat(c.get("User").asText()).isEqualTo("65532:65532");
    assertThat(texts(c.get("Entrypoint")))
        .startsWith("/opt/java/bin/java", "-XX:+UseParallelGC")
        .contains("-XX:MaxRAMPercentage=" + KubernetesManifestsTest.MAX_RAM_PERCENT)
        .endsWith("dev.hotpath.cli.Main");
    assertThat(texts(c.get("Cmd"))).containsExactly("serve");
    assertThat(c.get("ExposedPorts").has("8080/tcp")).isTrue();
    assertThat(c.get("ExposedPorts").has("8081/tcp")).as("the operations listener's port").isTrue();
    assertThat(texts(c.get("Env"))).contains("HOTPATH_PORT=8080", "HOTPATH_DATA_DIR=/data");
    assertThat(c.get("WorkingDir").asText()).isEqualTo("/data");
    assertThat(c.get("Labels").get("org.opencontainers.image.title").asText()).isEqualTo("hotpath");
    assertThat(c.get("Labels").get("org.opencontainers.image.version").asText())
        .isEqualTo(System.getProperty("hotpath.version"));
    assertThat(config.get("os").asText()).isEqualTo("linux");
  }

  @Test
  void theRootHoldsTheJreItsLoaderAndTheNonRootUser() throws IOException {
    assertThat(root.resolve("opt/java/bin/java")).isExecutable();
    assertThat(root.resolve("lib64/ld-linux-x86-64.so.2")).exists();
    assertThat(root.resolve("lib/x86_64-linux-gnu/libc.so.6")).exists();
    assertThat(Files.readString(root.resolve("etc/passwd"))).contains("nonroot:x:65532:65532:");
    assertThat(Files.readString(root.resolve("etc/hotpath-runtime"))).contains("debian libc6 ");
    assertThat(root.resolve("app/libs")).isDirectoryContaining("glob:**/hotpath-server-*.jar");
  }

  /** {@code migrate}, then {@code serve} until /health/live answers, then SIGTERM: exit 0. */
  @Test
  void theEntrypointMigratesThenServesAndDrains(@TempDir Path data) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("HOTPATH_DATA_DIR", data.toString());
    env.put("HOTPATH_AUTH", "off");
    env.put("HOTPATH_ACCESS_LOG", "off");
    env.put("HOTPATH_EVENT_LOOPS", "2");
    env.put("HOTPATH_SHUTDOWN_DELAY_MS", "0");
    String migrated = run(command("migrate"), env);
    assertThat(migrated).contains("schema migrated");

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    env.put("HOTPATH_PORT", Integer.toString(port));
    Path log = data.resolve("serve.log");
    ProcessBuilder serve = new ProcessBuilder(command("serve")).redirectErrorStream(true);
    serve.redirectOutput(log.toFile());
    serve.environment().keySet().removeIf(k -> k.startsWith("HOTPATH_"));
    serve.environment().putAll(env);
    Process server = serve.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      URI live = URI.create("http://127.0.0.1:" + port + "/health/live");
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .failFast("the server exited; see its log in " + log, () -> !server.isAlive())
          .until(
              () -> {
                return http.send(
                            HttpRequest.newBuilder(live).build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200;
              });
      // the signal handlers are installed after the listener opens; "up" is printed after them
      await()
          .atMost(Duration.ofMinutes(1))
          .until(() -> Files.readString(log).contains("hotpath is up at"));
      server.destroy(); // SIGTERM: the drain
      assertThat(server.waitFor(2, TimeUnit.MINUTES)).isTrue();
      assertThat(server.exitValue()).as(Files.readString(log)).isZero();
    } finally {
      server.destroyForcibly();
    }
  }

  /**
   * The entrypoint with the image's paths taken inside the unpacked root, and a 1 GiB memory bound
   * in place of a container's limit (MaxRAMPercentage applies to it).
   */
  private static List<String> command(String arg) {
    List<String> entry = texts(config.get("config").get("Entrypoint"));
    List<String> cmd = new ArrayList<>();
    cmd.add(root + entry.getFirst());
    cmd.add("-XX:MaxRAM=1g");
    for (String part : entry.subList(1, entry.size())) {
      cmd.add(
          part.startsWith("/app/")
              ? String.join(":", List.of(part.split(":")).stream().map(p -> root + p).toList())
              : part);
    }
    cmd.add(arg);
    return cmd;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().keySet().removeIf(k -> k.startsWith("HOTPATH_"));
    b.environment().putAll(env);
    Process p = b.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).as(command.toString()).isTrue();
    assertThat(p.exitValue()).as(command + "\n" + out).isZero();
    return out;
  }
}
