package dev.hotpath.compute.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.Progress;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.support.Api;
import dev.hotpath.support.ChildServer;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A hotpath server with the relay on (HOTPATH_KAFKA_BOOTSTRAP), on a database of its own: with the
 * broker down, writes keep succeeding, the lag and the failures show in the metrics, and the lag
 * drains when the broker is back. (examples/kafka-consumer's test checks that its rebuild from the
 * topic equals the server's read model.)
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayApiTest {
  private static final Pattern GAUGE =
      Pattern.compile("^(hotpath_relay_[a-z_]+) ([0-9.eE+-]+|NaN)$", Pattern.MULTILINE);

  private static RelayFixture fixture;
  private static App app;
  private static Api api;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    fixture = new RelayFixture("relay_api");
    DataGenerator.seed(fixture.database, new SeedPlan(300, 30, 3_000, 13), Progress.NONE);
    dir = Files.createTempDirectory("hotpath-relay-");
    var db = fixture.database;
    Settings settings =
        Settings.builder(
                TestServer.environment(
                    Map.of(
                        "HOTPATH_EVENT_LOOPS", "1",
                        "HOTPATH_DB_POOL_SIZE", "4",
                        "HOTPATH_OUTBOX_POLL_MS", "20",
                        "HOTPATH_SHUTDOWN_GRACE_MS", "2000",
                        "HOTPATH_ACCESS_LOG", "off",
                        "HOTPATH_KAFKA_BOOTSTRAP", fixture.broker.bootstrap(),
                        "HOTPATH_KAFKA_TOPIC_PREFIX", fixture.prefix,
                        "HOTPATH_RELAY_DELIVERY_TIMEOUT_MS", "3000",
                        "HOTPATH_RELAY_BACKOFF_BASE_MS", "50",
                        "HOTPATH_RELAY_BACKOFF_CAP_MS", "1000")))
            .dataDir(dir)
            .databaseUrl(
                URI.create(
                    "postgresql://"
                        + db.user()
                        + ":"
                        + db.password()
                        + "@"
                        + db.host()
                        + ":"
                        + db.port()
                        + "/"
                        + db.database()))
            .build();
    app = App.start(settings, App.openDatabase(settings));
    api = Api.of("http://localhost:" + app.port());
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  @Test
  @Order(1)
  void anEventCarriesTheTraceOfTheRequestThatWroteIt() {
    long customer = fixture.queryLong("SELECT min(id) FROM customers");
    long product = fixture.queryLong("SELECT id FROM products ORDER BY stock DESC LIMIT 1");
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Api.Response r =
        api.post(
            "/v1/orders",
            Fixtures.orderBody(customer, product, 1),
            "Idempotency-Key",
            UUID.randomUUID().toString(),
            "traceparent",
            "00-" + traceId + "-00f067aa0ba902b7-01");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    String order = Long.toString(r.json().get("id").asLong());
    fixture.awaitRelayed();
    ConsumerRecord<String, byte[]> created =
        fixture.assertEveryEventArrivedInOrderPerKey().stream()
            .filter(e -> e.key().equals(order))
            .filter(e -> RelayFixture.header(e, "event_type").equals("order.created"))
            .findFirst()
            .orElseThrow();
    // the request's own span (a child of the caller's) is the parent of the consumers' spans
    assertThat(RelayFixture.header(created, "traceparent"))
        .startsWith("00-" + traceId + "-")
        .doesNotContain("00f067aa0ba902b7")
        .isEqualTo(r.header("traceparent").orElseThrow());
  }

  @Test
  @Order(2)
  void withTheBrokerDownWritesSucceedTheLagShowsAndItDrainsWhenTheBrokerIsBack() {
    fixture.awaitRelayed();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> gauge("hotpath_relay_lag_events") == 0);
    long customer = fixture.queryLong("SELECT min(id) FROM customers");
    long product = fixture.queryLong("SELECT id FROM products ORDER BY stock DESC LIMIT 1");
    List<Long> placed = new ArrayList<>();
    fixture.broker.stop();
    try {
      for (int i = 0; i < 20; i++) {
        Api.Response r = api.post("/v1/orders", Fixtures.orderBody(customer, product, 1));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        placed.add(r.json().get("id").asLong());
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  gauge("hotpath_relay_failures_total") > 0
                      && gauge("hotpath_relay_lag_events") >= 20
                      && gauge("hotpath_relay_lag_seconds") > 0);
    } finally {
      fixture.broker.restart();
    }
    fixture.awaitRelayed();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> gauge("hotpath_relay_lag_events") == 0);
    List<ConsumerRecord<String, byte[]>> records = fixture.assertEveryEventArrivedInOrderPerKey();
    assertThat(records.stream().map(ConsumerRecord::key))
        .containsAll(placed.stream().map(String::valueOf).toList());
  }

  @Test
  @Order(3)
  void everyRelayMetricTheAlertsAndTheDashboardUseIsServed() throws Exception {
    String metrics = api.get("/metrics").body();
    Pattern used = Pattern.compile("hotpath_relay_[a-z_]+");
    List<String> names = new ArrayList<>();
    for (String file : List.of("prometheus/alerts.yaml", "grafana/hotpath.json")) {
      Matcher m = used.matcher(Files.readString(Path.of("..", "ops", file)));
      while (m.find()) {
        names.add(m.group());
      }
    }
    assertThat(names)
        .contains(
            "hotpath_relay_lag_seconds",
            "hotpath_relay_lag_events",
            "hotpath_relay_delivery_seconds_bucket");
    assertThat(names).allSatisfy(name -> assertThat(metrics).contains("\n" + name));
  }

  @Test
  @Order(4)
  void aServerWithoutABrokerHasNoRelayAndLoadsNoKafkaClass() throws Exception {
    String metrics = TestServer.get().api().get("/metrics").body();
    assertThat(metrics).contains("hotpath_projection_lag_seconds").doesNotContain("hotpath_relay_");

    Path log = Files.createTempFile("hotpath-no-relay-", ".log");
    Path classes = Files.createTempFile("hotpath-no-relay-classes-", ".log");
    ChildServer child =
        ChildServer.start(
            ChildServer.freePort(),
            Map.of(
                "HOTPATH_DATABASE_URL",
                TestServer.get().databaseUrl(),
                "JAVA_TOOL_OPTIONS",
                "-Xlog:class+load=info:file=" + classes),
            log);
    try {
      child.awaitReady(Duration.ofSeconds(90));
      Api.Response order = Api.of(child.base()).get("/v1/orders/1");
      assertThat(order.status()).isIn(200, 404);
    } finally {
      child.kill();
      child.process().waitFor();
    }
    String loaded = Files.readString(classes);
    assertThat(loaded).as("the class-load log").contains("dev.hotpath.compute.Compute ");
    assertThat(loaded).doesNotContain("org.apache.kafka").doesNotContain("compute.relay");
    Files.deleteIfExists(log);
    Files.deleteIfExists(classes);
  }

  private static double gauge(String name) {
    Matcher m = GAUGE.matcher(api.get("/metrics").body());
    while (m.find()) {
      if (m.group(1).equals(name)) {
        return Double.parseDouble(m.group(2));
      }
    }
    return Double.NaN;
  }
}
