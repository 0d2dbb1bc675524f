package dev.hotpath.outside;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.JsonOutput;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Optional;

/**
 * The parts of a product page that come from outside services: a product's reviews and its related
 * products. Each answer is checked against the shape hotpath documents and re-encoded (an outside
 * service's JSON is never passed through), and kept as the service's last good answer for that
 * product, to be served when the service fails.
 */
public final class PageParts {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int REVIEWS_SHOWN = 5;
  static final int RELATED_SHOWN = 8;

  /**
   * A part: the service that gives it, what follows the product in the service's path (the query
   * asks for no more items than are shown), and how its answer is checked and re-encoded.
   */
  private record Part(Service service, String below, Encoder encoder) {}

  private static final Part REVIEWS =
      new Part(Service.REVIEWS, "/reviews?limit=" + REVIEWS_SHOWN, PageParts::encodeReviews);
  private static final Part RELATED =
      new Part(
          Service.RECOMMENDATIONS, "/related?limit=" + RELATED_SHOWN, PageParts::encodeRelated);

  private PageParts() {}

  /**
   * The reviews part, {@code {"average_rating", "count", "items": [...]}}; fails (an {@link
   * OutsideFailure}) when the service gives no usable answer in time.
   */
  public static Future<Buffer> reviews(OutsideClient client, long productId, Deadline deadline) {
    return fetch(client, REVIEWS, productId, deadline);
  }

  /** The recommendations part, {@code {"items": [{"product_id", "score"}]}}. */
  public static Future<Buffer> related(OutsideClient client, long productId, Deadline deadline) {
    return fetch(client, RELATED, productId, deadline);
  }

  /**
   * The part's last good answer for {@code productId}, when the service has one kept (and is
   * configured).
   */
  public static Optional<Buffer> lastGood(OutsideClient client, Service service, long productId) {
    return client.services().get(service).flatMap(d -> d.lastGood(productId));
  }

  private interface Encoder {
    Buffer encode(JsonNode answer) throws IOException;
  }

  private static Future<Buffer> fetch(
      OutsideClient client, Part part, long productId, Deadline deadline) {
    Service service = part.service();
    String path = "/v1/products/" + productId + part.below();
    int attempts = client.services().settings().maxAttempts();
    return client
        .call(OutsideCall.read(service, path, deadline, attempts))
        .compose(
            reply -> {
              try {
                if (!reply.ok()) {
                  throw new IOException("answered " + reply.status());
                }
                Buffer encoded = part.encoder().encode(JSON.readTree(reply.body().getBytes()));
                client.services().get(service).ifPresent(d -> d.remember(productId, encoded));
                return Future.succeededFuture(encoded);
              } catch (IOException | RuntimeException e) {
                return Future.failedFuture(
                    OutsideFailure.of(service, OutsideFailure.Kind.MALFORMED, e.getMessage()));
              }
            });
  }

  static Buffer encodeReviews(JsonNode answer) {
    JsonNode reviews = answer.path("reviews");
    if (!reviews.isArray() || !answer.path("count").canConvertToInt()) {
      throw new IllegalArgumentException("reviews answer lacks count or reviews");
    }
    return JsonOutput.write(
        512,
        gen -> {
          gen.writeStartObject();
          gen.writeNumberField(
              "average_rating", clamp(answer.path("average_rating").asDouble(), 0, 5));
          gen.writeNumberField("count", Math.max(0, answer.path("count").asInt()));
          gen.writeArrayFieldStart("items");
          int n = 0;
          for (JsonNode r : reviews) {
            if (n++ == REVIEWS_SHOWN) {
              break;
            }
            int rating = r.path("rating").asInt(0);
            if (rating < 1 || rating > 5) {
              throw new IllegalArgumentException("rating out of range");
            }
            gen.writeStartObject();
            text(gen, "id", r.path("id").asText(), 64);
            gen.writeNumberField("rating", rating);
            text(gen, "title", r.path("title").asText(), 200);
            text(gen, "body", r.path("body").asText(), 2000);
            text(gen, "author", r.path("author").asText(), 100);
            gen.writeEndObject();
          }
          gen.writeEndArray();
          gen.writeEndObject();
        });
  }

  static Buffer encodeRelated(JsonNode answer) {
    JsonNode related = answer.path("related");
    if (!related.isArray()) {
      throw new IllegalArgumentException("recommendations answer lacks related");
    }
    return JsonOutput.write(
        256,
        gen -> {
          gen.writeStartObject();
          gen.writeArrayFieldStart("items");
          int n = 0;
          for (JsonNode r : related) {
            if (n++ == RELATED_SHOWN) {
              break;
            }
            long id = r.path("product_id").asLong(0);
            if (id < 1) {
              throw new IllegalArgumentException("related product id out of range");
            }
            gen.writeStartObject();
            gen.writeNumberField("product_id", id);
            gen.writeNumberField("score", clamp(r.path("score").asDouble(), 0, 1));
            gen.writeEndObject();
          }
          gen.writeEndArray();
          gen.writeEndObject();
        });
  }

  private static double clamp(double v, double min, double max) {
    return Double.isNaN(v) ? min : Math.max(min, Math.min(max, v));
  }

  private static void text(JsonGenerator gen, String name, String value, int max)
      throws IOException {
    gen.writeStringField(name, value.length() > max ? value.substring(0, max) : value);
  }
}
