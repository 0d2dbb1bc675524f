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
 * A starting server runs its own reads, and orders that are refused, through the whole stack before
 * it reports ready; the refused orders change no order.
 */
class WarmupTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void readinessWaitsForTheWarmUpOfReadsAndRefusedWritesWhichChangeNoOrder() throws Exception {
    long ordersBefore = orders();
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
          Pattern.compile("done: (\\d+) requests in \\d+ ms, (\\d+) not answered as expected")
              .matcher(state);
      assertThat(m.matches()).as(state).isTrue();
      long sent = Long.parseLong(m.group(1));
      // a time bound no machine reaches: the request bound ends it (each of the 8 loops may send
      // one
      // request past it)
      assertThat(sent).isBetween(4_000L, 4_008L);
      assertThat(Long.parseLong(m.group(2)))
          .as("every warm-up request answered as expected")
          .isZero();

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
      // reads answered 200; the writes, orders for a product that does not exist, refused 422
      // and nothing else
      assertThat(warmups)
          .filteredOn(j -> j.get("method").asText().equals("GET"))
          .isNotEmpty()
          .allSatisfy(j -> assertThat(j.get("status").asInt()).isEqualTo(200));
      assertThat(warmups)
          .filteredOn(j -> j.get("method").asText().equals("POST"))
          .isNotEmpty()
          .allSatisfy(
              j -> {
                assertThat(j.get("route").asText()).isEqualTo("/v1/orders");
                assertThat(j.get("status").asInt()).isEqualTo(422);
                // a refusal the write's transaction stored is sent as stored: the access log
                // names no problem for it (a validation refusal would name one)
                assertThat(j.path("problem").asText("unknown-product"))
                    .isEqualTo("unknown-product");
              });
      assertThat(orders()).as("no order written").isEqualTo(ordersBefore);
    } finally {
      app.close();
    }
  }

  private static long orders() throws Exception {
    try (var c = TestServer.get().database().openJdbc();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT count(*) FROM orders")) {
      rs.next();
      return rs.getLong(1);
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
