package dev.hotpath.observe.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.cli.AnalyzeCommand;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code hotpath analyze} on the access log a real server wrote: a known mix of requests over real
 * sockets to an instance with an access log of its own, the instance closed (which flushes its
 * log), then the log analysed. Regression test of "analyze finds nothing in the server's own access
 * log" (the parser wanted a {@code logger} field the server's lines do not carry).
 */
class AnalyzeEndToEndTest {
  private static final String BOT = "Mozilla/5.0 (compatible; AhrefsBot/7.0)";
  private final TestServer server = TestServer.get();
  private final Fixtures fixtures = new Fixtures(server);

  private App instance(Path log, Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(extra);
    env.put("HOTPATH_ACCESS_LOG", log.toString());
    return App.start(server.secondInstance(env));
  }

  private static TrafficAnalysis analyse(Path log) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(log)) {
      return TrafficAnalysis.of(in);
    }
  }

  @Test
  void countsEachClassOfAKnownMixInTheLogTheServerWrote(@TempDir Path dir) throws IOException {
    long customer = fixtures.customer();
    long product = fixtures.product(100, 50);
    Path log = dir.resolve("access.log");
    App app = instance(log, Map.of());
    try {
      Api api = Api.of("http://localhost:" + app.port());
      // business: 5 + 3 reads, one read of a customer that does not exist, 2 orders
      for (int i = 0; i < 5; i++) {
        assertThat(api.get("/v1/customers/" + customer).status()).isEqualTo(200);
      }
      for (int i = 0; i < 3; i++) {
        assertThat(api.get("/v1/products/" + product).status()).isEqualTo(200);
      }
      assertThat(api.get("/v1/customers/999999999").status()).isEqualTo(404);
      String key = UUID.randomUUID().toString();
      String order = Fixtures.orderBody(customer, product, 1);
      assertThat(api.post("/v1/orders", order, "Idempotency-Key", key).status()).isEqualTo(201);
      assertThat(api.post("/v1/orders", order).status()).isEqualTo(201);
      // retries: the first order sent twice more with its key
      for (int i = 0; i < 2; i++) {
        assertThat(api.post("/v1/orders", order, "Idempotency-Key", key).status()).isLessThan(500);
      }
      // scanners
      assertThat(api.get("/wp-login.php").status()).isEqualTo(404);
      assertThat(api.get("/.env").status()).isEqualTo(404);
      assertThat(api.get("/phpmyadmin/index.php").status()).isEqualTo(404);
      // bots on 4xx
      assertThat(api.get("/v1/customers/999999998", "User-Agent", BOT).status()).isEqualTo(404);
      assertThat(api.get("/v1/products/999999999", "User-Agent", "sqlmap/1.7").status())
          .isEqualTo(404);
      // malformed bodies
      assertThat(api.post("/v1/orders", "{not json").status()).isEqualTo(400);
      assertThat(api.post("/v1/customers", "[").status()).isEqualTo(400);
    } finally {
      app.close(); // drains the access log
    }

    TrafficAnalysis a = analyse(log);

    assertThat(a.notJson() + a.notAccess()).isZero();
    assertThat(a.lines()).isEqualTo(20);
    assertThat(a.requests()).isEqualTo(20);
    assertThat(a.business()).isEqualTo(11);
    assertThat(a.noise()).isEqualTo(9);
    assertThat(
            a.noiseKinds(5).stream()
                .collect(
                    Collectors.toMap(
                        TrafficAnalysis.NoiseRow::kind, TrafficAnalysis.NoiseRow::count)))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Noise.MALFORMED, 2L, Noise.SCANNER, 3L, Noise.BOT, 2L, Noise.RETRY, 2L));
    assertThat(a.routes())
        .extracting(TrafficAnalysis.RouteRow::route, TrafficAnalysis.RouteRow::count)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("GET /v1/customers/:id", 6L),
            org.assertj.core.groups.Tuple.tuple("GET /v1/products/:id", 3L),
            org.assertj.core.groups.Tuple.tuple("POST /v1/orders", 2L));
    assertThat(a.routes().get(0).clientErrors()).isEqualTo(1);
    assertThat(a.routes().get(0).p50()).isPositive();

    // and the command prints the same
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit =
          new CommandLine(new AnalyzeCommand())
              .execute(log.toString(), "--html", dir.resolve("traffic.html").toString());
    } finally {
      System.setOut(original);
    }
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("20 lines: 20 requests (11 business, 9 noise = 45.0%), 0 skipped");
  }

  @Test
  void aSampledRouteIsScaledBackToItsRequestsWhileMetricsCountEveryOne(@TempDir Path dir)
      throws IOException {
    long customer = fixtures.customer();
    Path log = dir.resolve("access.log");
    // every fast successful read sampled, one in four written
    App app =
        instance(
            log,
            Map.of(
                "HOTPATH_ACCESS_LOG_SAMPLE_ABOVE", "0", "HOTPATH_ACCESS_LOG_SAMPLE_ONE_IN", "4"));
    String metrics;
    try {
      Api api = Api.of("http://localhost:" + app.port());
      for (int i = 0; i < 40; i++) {
        assertThat(api.get("/v1/customers/" + customer).status()).isEqualTo(200);
      }
      metrics = api.get("/metrics").body();
    } finally {
      app.close();
    }

    TrafficAnalysis a = analyse(log);

    assertThat(served(metrics, "/v1/customers/:id", 200)).isEqualTo(40);
    assertThat(a.sampledLines()).isPositive();
    assertThat(a.lines()).isLessThan(40);
    // each written line stands for itself and those left out before it: at most 3 not yet counted
    assertThat(a.business()).isBetween(37L, 40L);
    assertThat(a.routes())
        .singleElement()
        .satisfies(r -> assertThat(r.count()).isBetween(37L, 40L));
    assertThat(Files.readAllLines(log))
        .filteredOn(l -> l.contains("\"sample\":"))
        .allSatisfy(l -> assertThat(l).contains("\"sample\":4}"));
  }

  /** The request count the server's own metrics give for {@code route} and {@code status}. */
  private static long served(String metrics, String route, int status) {
    Matcher m =
        Pattern.compile(
                "^http_server_requests_seconds_count\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(metrics);
    long total = 0;
    while (m.find()) {
      if (m.group(1).contains("route=\"" + route + "\"")
          && m.group(1).contains("status=\"" + status + "\"")) {
        total += (long) Double.parseDouble(m.group(2));
      }
    }
    return total;
  }
}
