package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.QueryBudgets;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ObservabilityApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Api admin = api.as(Tokens.get().admin());
  private final Fixtures fx = new Fixtures(server);

  @Test
  void generatesARequestIdAndATraceparentWhenNoneIsGiven() {
    Api.Response r = api.get("/health/live");
    assertThat(r.header("X-Request-Id")).hasValueSatisfying(id -> assertThat(id).hasSize(16));
    assertThat(r.header("traceparent"))
        .hasValueSatisfying(tp -> assertThat(tp).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]"));
  }

  @Test
  void echoesTheRequestIdAndContinuesTheCallersTrace() {
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Api.Response r =
        api.send(
            api.request("/health/live")
                .header("X-Request-Id", "abc-123")
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .GET()
                .build());
    assertThat(r.header("X-Request-Id")).hasValue("abc-123");
    assertThat(r.header("traceparent"))
        .hasValueSatisfying(
            tp -> {
              assertThat(tp).startsWith("00-" + traceId + "-").endsWith("-01");
              assertThat(tp).doesNotContain("00f067aa0ba902b7");
            });
  }

  @Test
  void replacesAnUnsafeRequestIdAndIgnoresAMalformedTraceparent() {
    Api.Response r =
        api.send(
            api.request("/health/live")
                .header("X-Request-Id", "bad id\u00e9<script>")
                .header("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")
                .GET()
                .build());
    assertThat(r.header("X-Request-Id"))
        .hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f]{16}"));
    assertThat(r.header("traceparent"))
        .hasValueSatisfying(
            tp -> assertThat(tp).doesNotContain("-00000000000000000000000000000000-"));
  }

  @Test
  void serverTimingReportsTheDatabaseQueriesOfTheRequest() {
    long customer = fx.customer();
    long order = fx.order(customer, fx.product(100, 10), 1);
    Api.Response one = api.get("/v1/orders/" + order);
    assertThat(one.header("Server-Timing"))
        .hasValueSatisfying(
            st -> {
              assertThat(st).contains("db;dur=").contains("app;dur=").contains("deps;dur=");
              assertThat(QueryBudgets.queries(st)).hasValue(1);
            });
    Api.Response page = api.get("/v1/customers/" + customer + "/orders");
    assertThat(QueryBudgets.queries(page.header("Server-Timing").orElseThrow())).hasValue(2);
    Api.Response live = api.get("/health/live");
    assertThat(QueryBudgets.queries(live.header("Server-Timing").orElseThrow())).hasValue(0);
  }

  @Test
  void metricsExposeRedPerRouteTemplateAndPoolUse() throws Exception {
    long customer = fx.customer();
    api.get("/v1/customers/" + customer);
    api.get("/v1/customers/999999999");
    Api.Response metrics = api.get("/metrics");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.contentType()).startsWith("text/plain");
    assertThat(metrics.body())
        .contains(
            "http_server_requests_seconds_count{outcome=\"SUCCESS\",route=\"/v1/customers/:id\",status=\"200\"}")
        .contains("route=\"/v1/customers/:id\",status=\"404\"")
        .contains(
            "http_server_requests_seconds_bucket{outcome=\"SUCCESS\",route=\"/v1/customers/:id\",status=\"200\",le=\"0.2\"}")
        .contains("hotpath_db_pool_in_use")
        .contains("hotpath_db_pool_waiting")
        .contains("hotpath_db_pool_wait_seconds")
        .contains("jvm_gc_")
        .contains("jvm_memory_used_bytes")
        .contains("cache_gets_total{cache=\"responses\",result=\"hit\"}")
        .contains("hotpath_cache_hit_ratio");
    Api.Response open =
        api.send(
            api.request("/metrics").header("Accept", "application/openmetrics-text").GET().build());
    assertThat(open.contentType()).startsWith("application/openmetrics-text");
    assertThat(open.body()).endsWith("# EOF\n");
  }

  /**
   * A traced request leaves its trace as an exemplar on its latency bucket, and only there: an
   * exemplar on a {@code _count} line makes Prometheus before 2.43 (Debian 12's 2.42, which
   * scripts/check-prometheus.sh runs) refuse the whole scrape.
   */
  @Test
  void exemplarsGoOnHistogramBucketsOnly() {
    String traceId = "5cf92f3577b34da6a3ce929d0e0e4799";
    Api.Response traced =
        api.send(
            api.request("/v1/customers/" + fx.customer())
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .GET()
                .build());
    assertThat(traced.status()).isEqualTo(200);
    Api.Response open =
        api.send(
            api.request("/metrics").header("Accept", "application/openmetrics-text").GET().build());
    List<String> withExemplars = open.body().lines().filter(line -> line.contains(" # {")).toList();
    assertThat(withExemplars)
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith("http_server_requests_seconds_bucket{")
                    .contains("trace_id=\"" + traceId + "\""));
    assertThat(withExemplars)
        .allSatisfy(line -> assertThat(line).matches("^[a-z_]+(_bucket|_total)\\{.*"));
  }

  @Test
  void writesOneAccessLogLinePerRequest() throws Exception {
    api.send(
        api.request("/v1/customers/999999999")
            .header("X-Request-Id", "log-me-1")
            .header("User-Agent", "obs-test \"quoted\"")
            .GET()
            .build());
    java.util.concurrent.atomic.AtomicReference<String> found =
        new java.util.concurrent.atomic.AtomicReference<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              try (var lines = java.nio.file.Files.lines(server.accessLog())) {
                lines.filter(l -> l.contains("\"log-me-1\"")).findFirst().ifPresent(found::set);
              }
              return found.get() != null;
            });
    JsonNode line = new ObjectMapper().readTree(found.get());
    assertThat(line.get("method").asText()).isEqualTo("GET");
    assertThat(line.get("route").asText()).isEqualTo("/v1/customers/:id");
    assertThat(line.get("path").asText()).isEqualTo("/v1/customers/999999999");
    assertThat(line.get("status").asInt()).isEqualTo(404);
    assertThat(line.get("duration_ms").asDouble()).isPositive();
    assertThat(line.get("bytes").asLong()).isPositive();
    assertThat(line.get("client").asText()).isEqualTo("127.0.0.1");
    assertThat(line.get("user_agent").asText()).isEqualTo("obs-test \"quoted\"");
    assertThat(line.get("trace_id").asText()).hasSize(32);
    assertThat(line.get("db_queries").asInt()).isEqualTo(1);
    assertThat(line.get("cache").asText()).isEqualTo("miss");
    assertThat(line.get("limited").asBoolean()).isFalse();
    assertThat(line.get("shed").asBoolean()).isFalse();
    assertThat(line.get("problem").asText()).isEqualTo("not-found");
  }

  @Test
  void librariesLoggingThroughJavaUtilLoggingLogIntoTheServersLog() {
    assertThat(server.app()).isNotNull(); // started, so its logs are routed
    Logger grpc = (Logger) LoggerFactory.getLogger("io.grpc.probe");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    grpc.addAppender(captured);
    try {
      java.util.logging.Logger.getLogger("io.grpc.probe").warning("a library's warning");
      assertThat(captured.list)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getLevel()).isEqualTo(Level.WARN);
                assertThat(e.getFormattedMessage()).isEqualTo("a library's warning");
              });
    } finally {
      grpc.detachAppender(captured);
    }
    // logback's levels are java.util.logging's: grpc-java's per-stream stack traces are not built
    assertThat(
            java.util.logging.Logger.getLogger("io.grpc.netty.NettyServerHandler")
                .isLoggable(java.util.logging.Level.WARNING))
        .isFalse();
    // and the shipped configuration (not this test's) says so
    LoggerContext shipped = new LoggerContext();
    try {
      var configurator = new ch.qos.logback.classic.joran.JoranConfigurator();
      configurator.setContext(shipped);
      configurator.doConfigure(ObservabilityApiTest.class.getResource("/logback.xml"));
      assertThat(shipped.getLogger("io.grpc.netty.NettyServerHandler").getLevel())
          .isEqualTo(Level.ERROR);
      assertThat(shipped.getLogger("io.grpc.netty.NettyServerStream").getLevel())
          .isEqualTo(Level.ERROR);
      assertThat(shipped.getCopyOfListenerList())
          .anyMatch(l -> l instanceof ch.qos.logback.classic.jul.LevelChangePropagator);
    } catch (ch.qos.logback.core.joran.spi.JoranException e) {
      throw new AssertionError(e);
    } finally {
      shipped.stop();
    }
  }

  @Test
  void applicationLogLinesWrittenDuringARequestCarryItsIds() {
    Logger ops = (Logger) LoggerFactory.getLogger("dev.hotpath.OpsRoutes");
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    ops.addAppender(captured);
    try {
      Api.Response r =
          api.send(
              admin
                  .request("/admin/log-level")
                  .header("Content-Type", "application/json")
                  .header("X-Request-Id", "mdc-check-1")
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"logger\":\"dev.hotpath.mdc\",\"level\":\"WARN\"}"))
                  .build());
      assertThat(r.status()).isEqualTo(200);
      ILoggingEvent audit =
          captured.list.stream()
              .filter(e -> e.getFormattedMessage().contains("dev.hotpath.mdc"))
              .findFirst()
              .orElseThrow();
      assertThat(audit.getMDCPropertyMap()).containsEntry("request_id", "mdc-check-1");
      assertThat(audit.getMDCPropertyMap().get("trace_id")).hasSize(32);
    } finally {
      ops.detachAppender(captured);
    }
  }

  @Test
  void adminRoutesNeedATokenWithTheAdminScope() {
    Api.Response none =
        api.anonymous()
            .send(
                api.anonymous()
                    .request("/admin/log-level")
                    .header("Content-Type", "application/json")
                    .PUT(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"logger\":\"dev.hotpath\",\"level\":\"DEBUG\"}"))
                    .build());
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.header("WWW-Authenticate")).hasValue("Bearer realm=\"hotpath\"");
    Api.Response service = api.get("/admin/jfr?seconds=1");
    assertThat(service.status()).as("a service token without admin").isEqualTo(403);
    assertThat(service.header("WWW-Authenticate"))
        .hasValueSatisfying(
            h ->
                assertThat(h).contains("error=\"insufficient_scope\"").contains("scope=\"admin\""));
    Api.Response wrong = api.as("nope").get("/admin/jfr?seconds=1");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.header("WWW-Authenticate"))
        .hasValueSatisfying(h -> assertThat(h).contains("error=\"invalid_token\""));
  }

  @Test
  void changesALogLevelAtRunTime() {
    Api.Response r =
        api.send(
            admin
                .request("/admin/log-level")
                .header("Content-Type", "application/json")
                .PUT(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"logger\":\"dev.hotpath.test\",\"level\":\"DEBUG\"}"))
                .build());
    assertThat(r.status()).isEqualTo(200);
    assertThat(((Logger) LoggerFactory.getLogger("dev.hotpath.test")).getLevel().toString())
        .isEqualTo("DEBUG");
    // every level the contract lists is one the route takes (OFF was once read as false)
    for (String level : List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "INFO")) {
      Api.Response set =
          api.send(
              admin
                  .request("/admin/log-level")
                  .header("Content-Type", "application/json")
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"logger\":\"dev.hotpath.test\",\"level\":\"" + level + "\"}"))
                  .build());
      assertThat(set.status()).as(level + ": " + set.body()).isEqualTo(200);
      assertThat(((Logger) LoggerFactory.getLogger("dev.hotpath.test")).getLevel().toString())
          .isEqualTo(level);
    }
    Api.Response bad =
        api.send(
            admin
                .request("/admin/log-level")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"logger\":\"x\",\"level\":\"LOUD\"}"))
                .build());
    assertThat(bad.status()).isEqualTo(400);
    // a name no logger can have is refused, and no logger is made for it
    for (String name : List.of("../../etc", "dev..hotpath", "dev.hotpath.", "a b", "x\\u0000y")) {
      Api.Response odd =
          api.send(
              admin
                  .request("/admin/log-level")
                  .header("Content-Type", "application/json")
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"logger\":\"" + name + "\",\"level\":\"TRACE\"}"))
                  .build());
      assertThat(odd.status()).as(name + ": " + odd.body()).isEqualTo(400);
      assertThat(odd.body()).contains("/logger");
      assertThat(((LoggerContext) LoggerFactory.getILoggerFactory()).exists(name)).isNull();
    }
    Api.Response root =
        api.send(
            admin
                .request("/admin/log-level")
                .header("Content-Type", "application/json")
                .PUT(
                    HttpRequest.BodyPublishers.ofString("{\"logger\":\"ROOT\",\"level\":\"INFO\"}"))
                .build());
    assertThat(root.status()).as(root.body()).isEqualTo(200);
  }

  @Test
  void recordsAFlightRecordingOnDemand() throws Exception {
    HttpResponse<byte[]> jfr =
        api.client()
            .send(
                admin.request("/admin/jfr?seconds=1").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(jfr.statusCode()).isEqualTo(200);
    assertThat(jfr.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(new String(jfr.body(), 0, 3, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("FLR");
  }

  @Test
  void oneFlightRecordingRunsAtATimeAndACallerThatGoesAwayEndsIts() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("localhost", server.app().port())) {
      socket
          .getOutputStream()
          .write(
              ("GET /admin/jfr?seconds=300 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                      + Tokens.get().admin()
                      + "\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> adminRecordings() == 1);
      Api.Response second = admin.get("/admin/jfr?seconds=1");
      assertThat(second.status()).as(second.body()).isEqualTo(409);
      assertThat(second.header("Content-Type")).hasValue("application/problem+json");
      assertThat(second.body()).contains("already running");
      assertThat(second.header("Retry-After"))
          .hasValueSatisfying(s -> assertThat(Integer.parseInt(s)).isBetween(1, 300));
    }
    // the first caller went away: its recording is closed, not left running for 300 s
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> adminRecordings() == 0);
    HttpResponse<byte[]> next =
        api.client()
            .send(
                admin.request("/admin/jfr?seconds=1").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(adminRecordings()).isZero();
  }

  private static long adminRecordings() {
    return jdk.jfr.FlightRecorder.getFlightRecorder().getRecordings().stream()
        .filter(r -> r.getName().equals("hotpath-admin"))
        .filter(r -> r.getState() != jdk.jfr.RecordingState.CLOSED)
        .count();
  }
}
