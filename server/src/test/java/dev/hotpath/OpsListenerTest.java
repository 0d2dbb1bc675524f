package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operations listener ({@code HOTPATH_OPS_PORT}, issue #18) over real sockets, on an instance
 * whose API port takes 4 connections and whose operations port takes 3: with every API connection
 * held, probes, scrapes and admin calls on the operations port are still answered; the operations
 * port serves nothing of the API; its own bound holds.
 */
class OpsListenerTest {
  private static final TestServer server = TestServer.get();
  private static App app;
  private static int opsPort;
  private static Api api;
  private static Api ops;

  @BeforeAll
  static void startAnInstanceWithTwoListeners() {
    opsPort = TestServer.freePort();
    app =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_MAX_CONNECTIONS", "4",
                    "HOTPATH_OPS_PORT", Integer.toString(opsPort),
                    "HOTPATH_OPS_MAX_CONNECTIONS", "3")));
    api = Api.of("http://localhost:" + app.port());
    ops = Api.of("http://localhost:" + opsPort).as(Tokens.get().admin());
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> api.get("/health/ready").status() == 200);
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /**
   * Opens connections to {@code port}, each sending a request head and reading its answer, until
   * one is closed unanswered; returns the connections it holds (the one refused among them).
   */
  private static List<Socket> takeEveryConnection(int port) throws IOException {
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Socket s = new Socket("localhost", port);
      held.add(s);
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write(
              "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      if (!answered(s)) {
        return held;
      }
    }
    throw new AssertionError("8 connections to port " + port + " were all answered");
  }

  /** Whether the server answered on {@code s} (a status line), rather than closing it. */
  private static boolean answered(Socket s) throws IOException {
    byte[] head = new byte[12];
    int n;
    try {
      n = s.getInputStream().read(head);
    } catch (java.net.SocketException reset) {
      return false;
    }
    return n > 0 && new String(head, 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1");
  }

  private static void closeAll(List<Socket> sockets) throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  @Test
  void withEveryApiConnectionTakenProbesScrapesAndAdminAreAnswered() throws Exception {
    List<Socket> held = takeEveryConnection(app.port());
    try {
      assertThat(held.size())
          .as("the API port took its 4 (the client above may hold one)")
          .isBetween(4, 5);
      // one client for the operations port in this class: it holds one connection at most, so
      // the bound of 3 is the test's to fill
      HttpClient fresh = ops.client();
      Api probe = ops.anonymous();
      Api.Response live = probe.get("/health/live");
      assertThat(live.status()).isEqualTo(200);
      assertThat(live.json().get("status").asText()).isEqualTo("up");
      Api.Response ready = probe.get("/health/ready");
      assertThat(ready.status()).isEqualTo(200);
      assertThat(ready.json().get("checks").get("database").asText()).isEqualTo("up");
      HttpResponse<String> metrics =
          fresh.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + opsPort + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type").orElseThrow())
          .startsWith("text/plain");
      assertThat(metrics.body()).contains("jvm_");
      // the admin routes keep their scope
      assertThat(ops.get("/admin/jobs/stats").status()).isEqualTo(200);
      assertThat(probe.get("/admin/jobs/stats").status()).isEqualTo(401);
      // and the API port still refuses one more
      try (Socket more = new Socket("localhost", app.port())) {
        more.setSoTimeout(10_000);
        more.getOutputStream()
            .write(
                "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(answered(more)).as("the API port is still full").isFalse();
      }
    } finally {
      closeAll(held);
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> api.get("/health/live").status() == 200);
  }

  @Test
  void theOperationsPortServesNothingOfTheApi() throws Exception {
    HttpClient client = ops.client();
    for (String path :
        List.of("/v1/orders/1", "/v1/products?limit=1", "/docs", "/openapi.yaml", "/")) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + opsPort + path))
                  .header("Authorization", "Bearer " + Tokens.get().service())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(r.headers().firstValue("Content-Type").orElseThrow())
          .as(path)
          .isEqualTo("application/problem+json");
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
    }
    // a method the route lacks: 405 with Allow, as on the API port
    HttpResponse<String> post =
        client.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + opsPort + "/health/live"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow").orElseThrow()).contains("GET");
    // the API port serves its operations routes as before
    assertThat(api.get("/health/live").status()).isEqualTo(200);
    assertThat(api.get("/openapi.yaml").status()).isEqualTo(200);
  }

  /**
   * The operations port serves exactly the contract's operations marked {@code x-ops-listener}:
   * each is answered (401 without a token for the admin ones: there, not refused as absent), every
   * other operation of the contract is a 404 problem.
   */
  @Test
  void theOperationsPortServesExactlyTheOperationsTheContractMarks() throws Exception {
    HttpClient client = ops.client();
    var paths = dev.hotpath.http.Contract.load().document().get("paths").properties();
    int marked = 0;
    for (var path : paths) {
      for (var operation : path.getValue().properties()) {
        String method = operation.getKey().toUpperCase(java.util.Locale.ROOT);
        if (!List.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
          continue; // a path's own parameters
        }
        String target = path.getKey().replaceAll("\\{[^}]+}", "1");
        HttpRequest.Builder request =
            HttpRequest.newBuilder(URI.create("http://localhost:" + opsPort + target));
        // no token: an admin route is there (401), not absent; nothing starts or changes
        request.method(
            method,
            method.equals("GET")
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString("{}"));
        if (!method.equals("GET")) {
          request.header("Content-Type", "application/json");
        }
        int status =
            client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        String what = method + " " + path.getKey();
        if (operation.getValue().path("x-ops-listener").asBoolean(false)) {
          marked++;
          assertThat(status).as(what).isIn(200, 401);
        } else {
          assertThat(status).as(what).isEqualTo(404);
        }
      }
    }
    assertThat(marked).as("health, metrics and the admin routes").isEqualTo(8);
  }

  @Test
  void theOperationsPortHasABoundOfItsOwn() throws Exception {
    List<Socket> held = takeEveryConnection(opsPort);
    try {
      // 3 answered (2 when the client of this class still holds its pooled connection), the next
      // closed unanswered
      assertThat(held.size()).as("the operations port's bound is 3").isBetween(3, 4);
      // its connections are not the API's
      assertThat(api.get("/health/live").status()).isEqualTo(200);
    } finally {
      closeAll(held);
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ops.get("/health/live").status() == 200);
  }

  /**
   * Draining: readiness on the operations port turns 503 ("draining") at once, as on the API port,
   * and the operations port answers while the API drains.
   */
  @Test
  void readinessOnTheOperationsPortReportsTheDrain() throws Exception {
    int port = TestServer.freePort();
    App draining =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_OPS_PORT",
                    Integer.toString(port),
                    "HOTPATH_SHUTDOWN_DELAY_MS",
                    "3000")));
    Api probe = Api.at("http://localhost:" + port).anonymous();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> probe.get("/health/ready").status() == 200);
    CompletableFuture<Void> closing = CompletableFuture.runAsync(draining::close);
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> probe.get("/health/ready").status() == 503);
      Api.Response ready = probe.get("/health/ready");
      assertThat(ready.json().get("checks").get("migrations").asText()).isEqualTo("draining");
      assertThat(probe.get("/health/live").status()).isEqualTo(200);
    } finally {
      closing.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
