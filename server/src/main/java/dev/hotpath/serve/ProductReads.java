package dev.hotpath.serve;

import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Fields;
import dev.hotpath.http.Params;
import dev.hotpath.http.Representation;
import dev.hotpath.proto.v1.Product;
import dev.hotpath.proto.v1.ProductPage;
import dev.hotpath.serve.cache.CacheKey;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Read routes of the product catalogue: one product from the {@link ResponseCache}, pages from the
 * database; both public, so that a CDN can absorb them.
 */
public final class ProductReads {
  static final String BY_ID =
      "SELECT " + ProductRepresentation.COLUMNS + " FROM products WHERE id = $1";
  private static final Set<String> LIST_PARAMS = Set.of("fields", "limit", "cursor", "category");

  private static final Replies.Resource PRODUCT =
      new Replies.Resource(
          Kind.PRODUCT, ProductRepresentation.FIELDS, CachePolicy.CATALOGUE, "Product");

  private final ReadTools tools;
  private final ResponseCache.Lookup products;
  private final IdOrderedList list =
      new IdOrderedList(
          "products",
          "products",
          ProductRepresentation.COLUMNS,
          "category",
          ProductRepresentation::write,
          ProductRepresentation.VERSION_COLUMN,
          CachePolicy.CATALOGUE,
          ProductPage.getDefaultInstance());

  public ProductReads(ReadTools tools) {
    this.tools = tools;
    this.products =
        tools.cache().lookup(ProtobufForms.either(this::load, Product.getDefaultInstance()));
  }

  /**
   * The full representation of product {@code id}, through the cache (one query on a miss);
   * completes on any thread.
   */
  public CompletableFuture<ResponseCache.Entry> full(long id) {
    return products.get(CacheKey.of(Kind.PRODUCT, id, ProductRepresentation.FIELDS.all(), 0));
  }

  public void get(RoutingContext ctx) {
    Replies.one(ctx, products, PRODUCT, tools.compression(), Principal.UNRESTRICTED);
  }

  private Future<Optional<Representation>> load(CacheKey key) {
    return Replies.loadOne(
        tools.db(), BY_ID, key, ProductRepresentation.FIELDS, ProductRepresentation::cached);
  }

  public void list(RoutingContext ctx) {
    Params params = Params.of(ctx, LIST_PARAMS);
    Optional<String> category = params.text("category", 64);
    int limit = params.limit();
    Fields.Selection sel = params.fields(ProductRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    list.serve(ctx, tools, category, cursor, limit, sel);
  }
}
