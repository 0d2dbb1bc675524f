package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProductsApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  @Test
  void servesOneProduct() {
    long id = fx.product("toys", 1999, 7, "USD");
    Api.Response r = api.get("/v1/products/" + id);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("price_minor").asLong()).isEqualTo(1999);
    assertThat(r.json().get("category").asText()).isEqualTo("toys");
    assertThat(r.json().get("stock").asInt()).isEqualTo(7);
    assertThat(api.get("/v1/products/999999999").status()).isEqualTo(404);
  }

  @Test
  void listsACategoryPageByPageWhileProductsAreAdded() {
    String category = "walk-" + System.nanoTime();
    List<Long> before = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      before.add(fx.product(category, 100 + i, 1, "USD"));
    }
    List<Long> seen = new ArrayList<>();
    String cursor = null;
    int page = 0;
    do {
      Api.Response r =
          api.get(
              "/v1/products?category="
                  + category
                  + "&limit=4"
                  + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      r.json().get("data").forEach(p -> seen.add(p.get("id").asLong()));
      cursor = r.json().get("next_cursor").isNull() ? null : r.json().get("next_cursor").asText();
      if (page++ % 2 == 0) {
        fx.product(category, 1, 1, "USD");
      }
    } while (cursor != null);
    assertThat(new LinkedHashSet<>(seen)).hasSameSizeAs(seen);
    assertThat(seen.stream().filter(before::contains).toList()).containsExactlyElementsOf(before);
  }

  @Test
  void listsAllProductsWithoutAFilter() {
    Api.Response r = api.get("/v1/products?limit=100&fields=id,name");
    assertThat(r.json().get("data")).hasSize(100);
    assertThat(r.json().get("data").get(0).size()).isEqualTo(2);
  }
}
