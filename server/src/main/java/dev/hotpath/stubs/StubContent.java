package dev.hotpath.stubs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.outside.Service;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reviews and recommendations services' routes: {@code GET /v1/products/{id}/reviews} and
 * {@code GET /v1/products/{id}/related}, the same made-up content for the same product every time.
 */
final class StubContent {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REVIEWS = Pattern.compile("/v1/products/(\\d{1,18})/reviews");
  private static final Pattern RELATED = Pattern.compile("/v1/products/(\\d{1,18})/related");

  private static final String[] WORDS = {
    "great", "solid", "cheap", "sturdy", "lovely", "flimsy", "fast", "quiet", "bright", "handy"
  };

  private StubContent() {}

  /** The answer of the reviews or recommendations service to {@code request}. */
  static StubReply answer(Service service, HttpServerRequest request) {
    boolean reviews = service == Service.REVIEWS;
    Matcher m = (reviews ? REVIEWS : RELATED).matcher(request.path());
    if (request.method() != HttpMethod.GET || !m.matches()) {
      return StubReply.problem(404, "no such route");
    }
    long id = Long.parseLong(m.group(1));
    return StubReply.of(
        200, reviews ? reviews(id, limit(request, 5)) : related(id, limit(request, 8)));
  }

  private static int limit(HttpServerRequest request, int fallback) {
    try {
      String v = request.getParam("limit");
      return v == null ? fallback : Math.max(1, Math.min(50, Integer.parseInt(v)));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** The same reviews for the same product every time. */
  static String reviews(long productId, int limit) {
    SplittableRandom random = new SplittableRandom(productId * 31 + 7);
    int count = random.nextInt(0, 40);
    ObjectNode out = JSON.createObjectNode();
    out.put("product_id", productId).put("count", count);
    ArrayNode items = out.putArray("reviews");
    int sum = 0;
    for (int i = 0; i < count; i++) {
      int rating = random.nextInt(1, 6);
      sum += rating;
      if (i < limit) {
        items
            .addObject()
            .put("id", "r" + productId + "-" + (i + 1))
            .put("rating", rating)
            .put("title", WORDS[random.nextInt(WORDS.length)] + " product")
            .put("body", "It is " + WORDS[random.nextInt(WORDS.length)] + ".")
            .put("author", "reviewer" + random.nextInt(1, 10_000));
      }
    }
    out.put("average_rating", count == 0 ? 0.0 : Math.round(10.0 * sum / count) / 10.0);
    return out.toString();
  }

  /** The same related products for the same product every time (ids 1 to 1000). */
  static String related(long productId, int limit) {
    SplittableRandom random = new SplittableRandom(productId * 17 + 3);
    ObjectNode out = JSON.createObjectNode();
    out.put("product_id", productId);
    ArrayNode items = out.putArray("related");
    double score = 1.0;
    for (int i = 0; i < limit; i++) {
      long other = random.nextLong(1, 1001);
      if (other == productId) {
        continue;
      }
      score = Math.round(score * (0.8 + 0.15 * random.nextDouble()) * 1000) / 1000.0;
      items.addObject().put("product_id", other).put("score", score);
    }
    return out.toString();
  }
}
