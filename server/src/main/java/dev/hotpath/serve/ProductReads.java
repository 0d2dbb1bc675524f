package dev.hotpath.serve;

import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Compression;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.Representation;
import dev.hotpath.proto.v1.Product;
import dev.hotpath.proto.v1.ProductPage;
import dev.hotpath.serve.cache.CacheKey;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.store.Statements;
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

  private final Statements db;
  private final CursorCodec cursors;
  private final Compression compression;
  private final ResponseCache cache;
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

  public ProductReads(
      Statements db, CursorCodec cursors, ResponseCache cache, Compression compression) {
    this.db = db;
    this.cursors = cursors;
    this.compression = compression;
    this.cache = cache;
    this.products = cache.lookup(ProtobufForms.either(this::load, Product.getDefaultInstance()));
  }

  /**
   * The full representation of product {@code id}, through the cache (one query on a miss);
   * completes on any thread.
   */
  public CompletableFuture<ResponseCache.Entry> full(long id) {
    return products.get(CacheKey.of(Kind.PRODUCT, id, ProductRepresentation.FIELDS.all(), 0));
  }

  public void get(RoutingContext ctx) {
    Replies.one(
        ctx,
        products,
        Kind.PRODUCT,
        ProductRepresentation.FIELDS,
        CachePolicy.CATALOGUE,
        compression,
        "Product",
        Principal.UNRESTRICTED);
  }

  private Future<Optional<Representation>> load(CacheKey key) {
    Fields.Selection sel = ProductRepresentation.FIELDS.selection(key.fields(), key.itemFields());
    return Replies.loadOne(
        db,
        BY_ID,
        key,
        row ->
            Representation.cached(
                JsonOutput.write(512, gen -> ProductRepresentation.write(gen, row, sel)),
                Tags.resource("p", key.id(), row.getInteger(9), sel),
                row.getOffsetDateTime(11).toEpochSecond(),
                Optional.empty()));
  }

  public void list(RoutingContext ctx) {
    Params params = Params.of(ctx, LIST_PARAMS);
    Optional<String> category = params.text("category", 64);
    int limit = params.limit();
    Fields.Selection sel = params.fields(ProductRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    list.serve(ctx, db, cursors, category, cursor, limit, sel, compression);
  }
}
