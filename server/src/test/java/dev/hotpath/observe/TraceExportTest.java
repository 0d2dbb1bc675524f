package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Traces reach an OTLP/HTTP collector (a local stand-in on loopback) when sampled. */
class TraceExportTest {
  @Test
  void exportsSampledRequestSpansWithTheirDatabaseCalls() throws Exception {
    TestServer shared = TestServer.get();
    Vertx collectorVertx = Vertx.vertx();
    ConcurrentLinkedQueue<byte[]> received = new ConcurrentLinkedQueue<>();
    HttpServer collector =
        collectorVertx
            .createHttpServer()
            .requestHandler(
                req -> {
                  if (req.path().equals("/v1/traces")) {
                    req.body()
                        .onSuccess(
                            body -> {
                              received.add(body.getBytes());
                              req.response()
                                  .putHeader("Content-Type", "application/x-protobuf")
                                  .end();
                            });
                  } else {
                    req.response().setStatusCode(404).end();
                  }
                })
            .listen(0)
            .await(10, TimeUnit.SECONDS);
    Settings settings =
        shared.secondInstance(
            Map.of(
                "HOTPATH_TRACE_SAMPLE_RATE",
                "1.0",
                "HOTPATH_OTLP_ENDPOINT",
                "http://127.0.0.1:" + collector.actualPort()));
    App app = App.start(settings);
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://localhost:" + app.port() + "/v1/customers/1"))
                      .header(
                          "Authorization", "Bearer " + dev.hotpath.support.Tokens.get().service())
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      String traceparent = r.headers().firstValue("traceparent").orElseThrow();
      String traceId = traceparent.substring(3, 35);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
      String payload = new String(received.peek(), StandardCharsets.ISO_8859_1);
      // protobuf carries ids as raw bytes and names as UTF-8 strings
      assertThat(payload).contains("/v1/customers/:id").contains("db.query").contains("hotpath");
      assertThat(payload)
          .contains(
              new String(java.util.HexFormat.of().parseHex(traceId), StandardCharsets.ISO_8859_1));
    } finally {
      app.close();
      collectorVertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
