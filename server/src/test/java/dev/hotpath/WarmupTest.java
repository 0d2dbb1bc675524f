package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A starting server runs its own read routes before it reports ready, through the whole stack and
 * with an authorization that no longer works once the warm-up is over.
 */
class WarmupTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void readinessWaitsForTheWarmUpWhichServesReadsThenRevokesItsAuthorization() throws Exception {
    Path accessLog = dir.resolve("access.log");
    App app =
        App.start(
            TestServer.get()
                .secondInstance(
                    Map.of(
                        "HOTPATH_WARMUP_MS",
                        "600000",
                        "HOTPATH_ACCESS_LOG",
                        accessLog.toString())));
    try {
      Api anonymous = Api.of("http://localhost:" + app.port()).anonymous();
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> anonymous.get("/health/ready").status() == 200);
      String state = anonymous.get("/health/ready").json().get("checks").get("warm-up").asText();
      Matcher m =
          Pattern.compile("done: (\\d+) requests in \\d+ ms, (\\d+) not answered 2xx")
              .matcher(state);
      assertThat(m.matches()).as(state).isTrue();
      long sent = Long.parseLong(m.group(1));
      // a time bound no machine reaches: the request bound ends it (each of the 8 loops may send
      // one
      // request past it)
      assertThat(sent).isBetween(4_000L, 4_008L);
      assertThat(Long.parseLong(m.group(2))).as("every warm-up request answered 2xx").isZero();

      // every kind of read went through the stack (the access log writes the first 100 a second
      // of each route in full)
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.exists(accessLog) && Files.readAllLines(accessLog).size() > 10);
      List<JsonNode> warmups =
          Files.readAllLines(accessLog).stream()
              .map(WarmupTest::parse)
              .filter(j -> Warmup.USER_AGENT.equals(j.path("user_agent").asText()))
              .toList();
      assertThat(warmups.stream().map(j -> j.get("route").asText()).distinct())
          .contains(
              "/v1/orders/:id",
              "/v1/customers/:id",
              "/v1/products/:id",
              "/v1/customers/:id/orders",
              "/v1/products",
              "/v1/customers");
      assertThat(warmups).allSatisfy(j -> assertThat(j.get("status").asInt()).isEqualTo(200));
      assertThat(warmups).allSatisfy(j -> assertThat(j.get("method").asText()).isEqualTo("GET"));
    } finally {
      app.close();
    }
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (Exception e) {
      throw new IllegalStateException(line, e);
    }
  }
}
