package dev.hotpath.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;

/** Reads what the traffic needs from the target before a run: the product categories. */
public final class Catalogue {
  private Catalogue() {}

  /**
   * The distinct categories of the first 100 products ({@code GET
   * /v1/products?limit=100&fields=category}).
   *
   * @throws IllegalStateException when the target does not answer 200 with products
   */
  public static List<String> categories(URI target) {
    URI uri = target.resolve("/v1/products?limit=100&fields=category");
    try {
      HttpResponse<String> r =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .build()
              .send(
                  HttpRequest.newBuilder(uri)
                      .timeout(Duration.ofSeconds(10))
                      .header("Accept", "application/json")
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(uri + " answered " + r.statusCode() + ": " + r.body());
      }
      TreeSet<String> categories = new TreeSet<>();
      for (JsonNode p : new ObjectMapper().readTree(r.body()).path("data")) {
        if (p.hasNonNull("category")) {
          categories.add(p.get("category").asText());
        }
      }
      if (categories.isEmpty()) {
        throw new IllegalStateException(uri + " listed no product categories (seed data first)");
      }
      return List.copyOf(categories);
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach " + uri + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading " + uri, e);
    }
  }
}
