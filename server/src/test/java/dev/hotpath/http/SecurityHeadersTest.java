package dev.hotpath.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every response tells browsers to treat it as data; errors reveal nothing internal. */
class SecurityHeadersTest {
  private final Api api = TestServer.get().api();

  @Test
  void everyResponseCarriesTheSecurityHeadersButNoHstsInCleartext() {
    for (Api.Response r :
        List.of(
            api.get("/v1/products?limit=1"),
            api.get("/v1/orders/999999999"),
            api.anonymous().get("/v1/orders/1"),
            api.get("/v1/nothing-here"),
            api.get("/health/live"),
            api.get("/v1/customers?limit=0"))) {
      assertThat(r.header("X-Content-Type-Options")).as(r.toString()).hasValue("nosniff");
      assertThat(r.header("Referrer-Policy")).hasValue("no-referrer");
      assertThat(r.header("X-Frame-Options")).hasValue("DENY");
      assertThat(r.header("Content-Security-Policy"))
          .hasValueSatisfying(csp -> assertThat(csp).startsWith("default-src 'none'"));
      assertThat(r.header("Strict-Transport-Security")).isEmpty();
    }
  }

  @Test
  void errorBodiesNameNoClassSqlOrStack() {
    for (Api.Response r :
        List.of(
            api.get("/v1/orders/99999999999999999999"),
            api.get("/v1/customers?cursor=%27%3B%20DROP%20TABLE%20orders%3B--"),
            api.post("/v1/orders", "{\"customer_id\": 1, \"items\": [{\"product_id\": 1e999}]}"),
            api.post("/v1/customers/batch-get", "{\"ids\": [\"1 OR 1=1\"]}"))) {
      assertThat(r.status()).as(r.toString()).isBetween(400, 499);
      assertThat(r.body())
          .doesNotContainIgnoringCase("exception")
          .doesNotContainIgnoringCase("select ")
          .doesNotContain("dev.hotpath")
          .doesNotContain("io.vertx")
          .doesNotContain("com.fasterxml")
          .doesNotContain("\tat ");
    }
  }
}
