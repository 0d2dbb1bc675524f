package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate limits over real sockets, on instances with tiny quotas and an hour-long window (so nothing
 * refills while a test runs): headers on every limited response, 429s naming the policy that
 * refused, clients apart from addresses apart from the whole server, and 304s for free. Each test
 * uses clients and client addresses of its own.
 */
class RateLimitApiTest {
  private static final TestServer server = TestServer.get();
  private static final String BATCH = "{\"ids\":[1]}";
  private static final String POLICY =
      "\"client\";q=20;w=3600, \"ip\";q=40;w=3600, \"global\";q=100000;w=3600";
  private static App tight;
  private static App tightGlobally;
  private static Path accessLog;
  private static String base;

  @BeforeAll
  static void startInstancesWithTinyQuotas() throws Exception {
    accessLog = Files.createTempFile("hotpath-rate-limits-", ".log");
    tight =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_RATE_WINDOW_S", "3600",
                    "HOTPATH_RATE_CLIENT", "20",
                    "HOTPATH_RATE_IP", "40",
                    "HOTPATH_RATE_GLOBAL", "100000",
                    "HOTPATH_ACCESS_LOG", accessLog.toString())));
    base = "http://localhost:" + tight.port();
    tightGlobally =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_RATE_WINDOW_S", "3600",
                    "HOTPATH_RATE_GLOBAL", "10",
                    "HOTPATH_ACCESS_LOG", "off")));
  }

  @AfterAll
  static void stop() {
    tight.close();
    tightGlobally.close();
  }

  /** A client of the tight instance with a token of its own subject, from its own address. */
  private static Api client(String subject, String address) {
    return Api.of(base).as(Tokens.get().builder().sub(subject).es256()).from(address);
  }

  private static String order() {
    return "/v1/orders/" + server.queryLong("SELECT min(id) FROM orders");
  }

  @Test
  void everyLimitedResponseCarriesThePoliciesAndTheQuotaLeft() {
    Api api = client("service:rl-headers", "127.0.0.31");
    Api.Response first = api.get(order());
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.header("RateLimit-Policy")).hasValue(POLICY);
    // 19 left of 20; 20 units refill per hour, so one is back in 180 s
    assertThat(first.header("RateLimit")).hasValue("\"client\";r=19;t=180");
    assertThat(api.get(order()).header("RateLimit")).hasValue("\"client\";r=18;t=360");
  }

  @Test
  void writesListsAndBatchesCostMoreThanReads() {
    Api api = client("service:rl-costs", "127.0.0.32");
    assertThat(api.get(order()).header("RateLimit")).hasValue("\"client\";r=19;t=180");
    assertThat(api.get("/v1/customers?limit=1").header("RateLimit"))
        .hasValue("\"client\";r=17;t=540");
    Api.Response batch = api.post("/v1/customers/batch-get", BATCH);
    assertThat(batch.status()).isEqualTo(200);
    assertThat(batch.header("RateLimit")).hasValue("\"client\";r=12;t=1440");
  }

  @Test
  void aSpentClientQuotaIsA429NamingThePolicyWithRetryAfter() throws Exception {
    Api api = client("service:rl-spent", "127.0.0.33");
    for (int i = 0; i < 4; i++) {
      assertThat(api.post("/v1/customers/batch-get", BATCH).status()).isEqualTo(200);
    }
    Api.Response refused = api.post("/v1/customers/batch-get", BATCH);
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.json().get("type").asText())
        .isEqualTo("https://hotpath.dev/problems/rate-limited");
    assertThat(refused.json().get("status").asInt()).isEqualTo(429);
    assertThat(refused.json().get("detail").asText()).contains("client quota is spent");
    // 5 units refill at 20 per hour: 900 s
    assertThat(refused.header("Retry-After")).hasValue("900");
    assertThat(refused.header("RateLimit")).hasValue("\"client\";r=0;t=3600");
    assertThat(refused.header("RateLimit-Policy")).hasValue(POLICY);
    // a cheaper request is refused too: nothing is left
    assertThat(api.get(order()).status()).isEqualTo(429);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Files.readAllLines(accessLog))
                    .anySatisfy(
                        line ->
                            assertThat(line)
                                .contains("\"route\":\"/v1/customers/batch-get\"")
                                .contains("\"status\":429")
                                .contains("\"limited\":true")));
    assertThat(metric(base, "hotpath_rate_limited_total{policy=\"client\""))
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void clientsFromOneAddressHaveQuotasOfTheirOwn() {
    Api spender = client("service:rl-spender", "127.0.0.34");
    Api neighbour = client("service:rl-neighbour", "127.0.0.34");
    for (int i = 0; i < 4; i++) {
      spender.post("/v1/customers/batch-get", BATCH);
    }
    assertThat(spender.get(order()).status()).isEqualTo(429);
    Api.Response other = neighbour.get(order());
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.header("RateLimit")).hasValue("\"client\";r=19;t=180");
  }

  @Test
  void anAddressQuotaSpansEveryClientBehindIt() {
    for (String who : List.of("service:rl-nat-1", "service:rl-nat-2")) {
      Api api = client(who, "127.0.0.35");
      for (int i = 0; i < 4; i++) {
        assertThat(api.post("/v1/customers/batch-get", BATCH).status()).isEqualTo(200);
      }
    }
    Api third = client("service:rl-nat-3", "127.0.0.35");
    Api.Response refused = third.get(order());
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.header("RateLimit")).hasValue("\"ip\";r=0;t=3600");
    assertThat(refused.json().get("detail").asText()).contains("ip quota is spent");
    // the refusal cost the third client nothing, and another address is not affected
    Api.Response elsewhere = client("service:rl-nat-3", "127.0.0.36").get(order());
    assertThat(elsewhere.status()).isEqualTo(200);
    assertThat(elsewhere.header("RateLimit")).hasValue("\"client\";r=19;t=180");
  }

  @Test
  void aNotModifiedAnswerCostsNothing() {
    Api api = client("service:rl-revalidate", "127.0.0.37");
    Api.Response first = api.get(order());
    String etag = first.header("ETag").orElseThrow();
    assertThat(first.header("RateLimit")).hasValue("\"client\";r=19;t=180");
    // more revalidations than the whole quota: none is refused, none is charged
    for (int i = 0; i < 30; i++) {
      Api.Response again = api.get(order(), "If-None-Match", etag);
      assertThat(again.status()).isEqualTo(304);
      assertThat(again.header("RateLimit")).hasValue("\"client\";r=19;t=180");
    }
    assertThat(api.get(order()).header("RateLimit")).hasValue("\"client\";r=18;t=360");
  }

  @Test
  void publicRoutesAreLimitedByAddressAndOperationsRoutesNotAtAll() {
    Api anonymous = Api.of(base).anonymous().from("127.0.0.38");
    Api.Response product = anonymous.get("/v1/products/1");
    assertThat(product.status()).isEqualTo(200);
    assertThat(product.header("RateLimit-Policy"))
        .hasValue("\"ip\";q=40;w=3600, \"global\";q=100000;w=3600");
    assertThat(product.header("RateLimit")).hasValue("\"ip\";r=39;t=90");
    Api.Response health = anonymous.get("/health/live");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.header("RateLimit")).isEmpty();
  }

  @Test
  void theGlobalQuotaSpansEveryClientAndAddress() {
    String globalBase = "http://localhost:" + tightGlobally.port();
    Api first = Api.of(globalBase).as(Tokens.get().builder().sub("service:g1").es256());
    Api second =
        Api.of(globalBase).as(Tokens.get().builder().sub("service:g2").es256()).from("127.0.0.39");
    assertThat(first.post("/v1/customers/batch-get", BATCH).status()).isEqualTo(200);
    assertThat(second.post("/v1/customers/batch-get", BATCH).status()).isEqualTo(200);
    Api.Response refused =
        Api.of(globalBase)
            .as(Tokens.get().builder().sub("service:g3").es256())
            .from("127.0.0.40")
            .get(order());
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.header("RateLimit")).hasValue("\"global\";r=0;t=3600");
    assertThat(refused.json().get("detail").asText()).contains("global quota is spent");
  }

  /** The sum of the values of every series whose line starts with {@code prefix}. */
  static double metric(String base, String prefix) {
    String text = Api.of(base).anonymous().get("/metrics").body();
    double sum = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(prefix)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }
}
