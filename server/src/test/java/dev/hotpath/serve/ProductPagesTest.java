package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.outside.Service;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.Outside;
import dev.hotpath.support.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/products/{id}/page} against the stand-ins, healthy and degraded. */
class ProductPagesTest {
  private static Outside outside;
  private final Fixtures fx = new Fixtures(TestServer.get());

  @BeforeAll
  static void start() {
    outside = Outside.start(Map.of());
  }

  @AfterAll
  static void stop() {
    outside.close();
  }

  @AfterEach
  void healthy() {
    outside.faults(Service.REVIEWS, "");
    outside.faults(Service.RECOMMENDATIONS, "");
  }

  private Api api() {
    return outside.api().anonymous();
  }

  @Test
  void aHealthyPageHasTheProductItsReviewsAndRelatedProducts() {
    long product = fx.product(1999, 5);
    Api.Response r = api().get("/v1/products/" + product + "/page");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode page = r.json();
    assertThat(page.get("product").get("id").asLong()).isEqualTo(product);
    assertThat(page.get("product").get("price_minor").asLong()).isEqualTo(1999);
    assertThat(page.get("reviews").get("items").size()).isLessThanOrEqualTo(5);
    assertThat(page.get("reviews").has("average_rating")).isTrue();
    assertThat(page.get("recommendations").get("items").size()).isPositive();
    assertThat(page.get("degraded")).isEmpty();
    assertThat(page.get("stale")).isEmpty();
    assertThat(r.header("Cache-Control")).contains("no-store");
    assertThat(r.header("ETag")).isEmpty();
    // outside time is reported apart
    assertThat(r.header("Server-Timing").orElseThrow()).containsPattern("deps;dur=[0-9.]+");
  }

  @Test
  void carriesTheTraceAndRequestIdToTheServices() {
    long product = fx.product(100, 5);
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    Api.Response r =
        api()
            .get(
                "/v1/products/" + product + "/page",
                "traceparent",
                "00-" + traceId + "-00f067aa0ba902b7-01",
                "X-Request-Id",
                "page-test-1");
    assertThat(r.status()).isEqualTo(200);
    String[] seen = outside.stub(Service.RECOMMENDATIONS).lastSeen();
    assertThat(seen[0]).startsWith("00-" + traceId + "-").endsWith("-01");
    assertThat(seen[0]).doesNotContain("00f067aa0ba902b7");
    assertThat(seen[1]).isEqualTo("page-test-1");
    // the budget left, less the margin: below the reads budget of 200 ms
    assertThat(Long.parseLong(seen[2])).isBetween(1L, 200L);
  }

  @Test
  void slowReviewsLeaveThePageInTimeWithReviewsDegraded() {
    long product = fx.product(500, 5);
    // the reviews take 20 s; the page's budget is a fraction of a second. The bound sits far from
    // both, so a slow machine cannot fail this and a page that waited for the reviews cannot pass
    outside.faults(Service.REVIEWS, "latency=fixed,ms=20000");
    long start = System.nanoTime();
    Api.Response r = api().get("/v1/products/" + product + "/page");
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(tookMs).as("answered long before the reviews would have").isLessThan(10_000);
    JsonNode page = r.json();
    assertThat(page.get("degraded")).extracting(JsonNode::asText).containsExactly("reviews");
    assertThat(page.has("reviews")).isFalse();
    assertThat(page.get("recommendations").get("items").size()).isPositive();
  }

  @Test
  void aFailingPartIsServedFromItsLastGoodAnswerAndNamedStale() {
    long product = fx.product(700, 5);
    JsonNode fresh = api().get("/v1/products/" + product + "/page").json();
    outside.faults(Service.RECOMMENDATIONS, "error-rate=1,error-status=500");
    Api.Response r = api().get("/v1/products/" + product + "/page");
    assertThat(r.status()).isEqualTo(200);
    JsonNode page = r.json();
    assertThat(page.get("degraded"))
        .extracting(JsonNode::asText)
        .containsExactly("recommendations");
    assertThat(page.get("stale")).extracting(JsonNode::asText).containsExactly("recommendations");
    assertThat(page.get("recommendations")).isEqualTo(fresh.get("recommendations"));
  }

  @Test
  void bothServicesDownStillServeTheProduct() {
    long product = fx.product(800, 5);
    outside.faults(Service.REVIEWS, "outage=refuse");
    outside.faults(Service.RECOMMENDATIONS, "outage=hang");
    List<CompletableFuture<Api.Response>> pages = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      HttpRequest request = api().request("/v1/products/" + product + "/page").GET().build();
      pages.add(api().sendAsync(request));
    }
    for (CompletableFuture<Api.Response> page : pages) {
      Api.Response r = page.join();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("product").get("id").asLong()).isEqualTo(product);
      assertThat(r.json().get("degraded"))
          .extracting(JsonNode::asText)
          .containsExactlyInAnyOrder("reviews", "recommendations");
    }
    // hung calls were cut off at their deadline: their connections do not pile up
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> outside.stub(Service.RECOMMENDATIONS).connections() <= 2 * 32);
  }

  @Test
  void anUnknownProductIsA404() {
    Api.Response r = api().get("/v1/products/999999999/page");
    assertThat(r.status()).isEqualTo(404);
  }
}
