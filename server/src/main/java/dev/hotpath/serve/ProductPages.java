package dev.hotpath.serve;

import dev.hotpath.http.Deadline;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.Responses;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.OutsideFailure;
import dev.hotpath.outside.PageParts;
import dev.hotpath.outside.Service;
import dev.hotpath.serve.cache.ResponseCache;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /v1/products/{id}/page}: a product with its reviews and related products, for a
 * product page. The product comes from the response cache (one query on a miss); reviews and
 * recommendations come from outside services, asked at the same time as the product is read, each
 * within what is left of the route's budget. A part that fails or is late does not fail the page:
 * its last good answer is served if one is kept, else it is left out, and either way its name is in
 * {@code degraded} (and in {@code stale} when a last good answer stands in for it). Only a missing
 * product is a 404.
 */
public record ProductPages(ProductReads products, OutsideClient outside) {
  static final String REVIEWS = "reviews";
  static final String RECOMMENDATIONS = "recommendations";
  private static final Set<String> PARAMS = Set.of();

  public void get(RoutingContext ctx) {
    Params params = Params.of(ctx, PARAMS);
    long id = params.pathId("id");
    params.check();
    Deadline deadline = Deadline.of(ctx);
    Future<ResponseCache.Entry> product =
        Future.fromCompletionStage(products.full(id), Vertx.currentContext());
    Future<Buffer> reviews = PageParts.reviews(outside, id, deadline);
    Future<Buffer> related = PageParts.related(outside, id, deadline);
    Future.join(product, reviews, related)
        .onComplete(
            done -> {
              if (product.failed()) {
                ctx.fail(product.cause());
                return;
              }
              ResponseCache.Entry entry = product.result();
              if (!entry.found()) {
                ctx.fail(ProblemException.notFound("Product " + id));
                return;
              }
              ctx.response().putHeader("Cache-Control", "no-store");
              Responses.json(ctx, 200, page(id, entry, reviews, related));
            });
  }

  private Buffer page(
      long id, ResponseCache.Entry product, Future<Buffer> reviews, Future<Buffer> related) {
    List<String> degraded = new ArrayList<>(2);
    List<String> stale = new ArrayList<>(2);
    Optional<Buffer> reviewsPart = part(id, REVIEWS, Service.REVIEWS, reviews, degraded, stale);
    Optional<Buffer> relatedPart =
        part(id, RECOMMENDATIONS, Service.RECOMMENDATIONS, related, degraded, stale);
    Buffer productBody = product.representation().body();
    int size = productBody.length() + 64;
    size += reviewsPart.map(Buffer::length).orElse(0) + relatedPart.map(Buffer::length).orElse(0);
    return JsonOutput.write(
        size,
        gen -> {
          gen.writeStartObject();
          gen.writeFieldName("product");
          gen.writeRawValue(productBody.toString());
          if (reviewsPart.isPresent()) {
            gen.writeFieldName(REVIEWS);
            gen.writeRawValue(reviewsPart.get().toString());
          }
          if (relatedPart.isPresent()) {
            gen.writeFieldName(RECOMMENDATIONS);
            gen.writeRawValue(relatedPart.get().toString());
          }
          gen.writeArrayFieldStart("degraded");
          for (String name : degraded) {
            gen.writeString(name);
          }
          gen.writeEndArray();
          gen.writeArrayFieldStart("stale");
          for (String name : stale) {
            gen.writeString(name);
          }
          gen.writeEndArray();
          gen.writeEndObject();
        });
  }

  private Optional<Buffer> part(
      long id,
      String name,
      Service service,
      Future<Buffer> fetched,
      List<String> degraded,
      List<String> stale) {
    if (fetched.succeeded()) {
      return Optional.of(fetched.result());
    }
    degraded.add(name);
    boolean configured =
        !(fetched.cause() instanceof OutsideFailure f
            && f.kind() == OutsideFailure.Kind.NOT_CONFIGURED);
    Optional<Buffer> last =
        configured ? PageParts.lastGood(outside, service, id) : Optional.empty();
    last.ifPresent(b -> stale.add(name));
    return last;
  }
}
