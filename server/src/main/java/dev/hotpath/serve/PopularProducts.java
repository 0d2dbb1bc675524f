package dev.hotpath.serve;

import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.http.Params;
import dev.hotpath.http.Responses;
import dev.hotpath.proto.v1.ProductPage;
import dev.hotpath.store.Statements;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /v1/products?sort=popular}: products by the precomputed popularity score of the {@code
 * product_stats} read model, best first, keyset-paged on (score, id) down its index; the product
 * fields are joined by primary key. Only products that have sold appear. Nothing is ranked at
 * request time.
 */
public record PopularProducts(Statements db, CursorCodec cursors) {
  private static final String SELECT =
      "SELECT p.id, p.sku, p.name, p.description, p.category, p.price_minor, p.currency, p.stock,"
          + " p.status, p.version, p.created_at, p.updated_at, s.popularity"
          + " FROM product_stats s JOIN products p ON p.id = s.product_id";
  private static final String ORDER = " ORDER BY s.popularity DESC, s.product_id DESC LIMIT ";
  private static final String FIRST = SELECT + ORDER + "$1";
  private static final String NEXT =
      SELECT + " WHERE (s.popularity, s.product_id) < ($1, $2)" + ORDER + "$3";
  private static final Set<String> PARAMS = Set.of("sort", "fields", "limit", "cursor");
  private static final String SCOPE = "products:popular";
  private static final int SCORE = 12;

  /** Serves the request when it asks for {@code sort}; passes it on to the plain list otherwise. */
  public void listOrNext(RoutingContext ctx) {
    if (ctx.queryParams().contains("sort")) {
      list(ctx);
    } else {
      ctx.next();
    }
  }

  private void list(RoutingContext ctx) {
    Params params = Params.of(ctx, PARAMS);
    params.oneOf("sort", Set.of("popular"));
    int limit = params.limit();
    Fields.Selection sel = params.fields(ProductRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    Format format = Format.negotiate(ctx);
    Tuple args = Tuple.tuple();
    String sql = FIRST;
    if (cursor.isPresent()) {
      long[] after = cursors.decode(SCOPE, cursor.get(), 2);
      args.addDouble(Double.longBitsToDouble(after[0])).addLong(after[1]);
      sql = NEXT;
    }
    args.addInteger(limit + 1);
    Replies.withRows(
        ctx,
        db.run(sql, args),
        rows -> {
          Optional<String> next = Optional.empty();
          if (Replies.cut(rows, limit)) {
            Row last = rows.get(rows.size() - 1);
            next =
                Optional.of(
                    cursors.encode(
                        SCOPE, Double.doubleToLongBits(last.getDouble(SCORE)), last.getLong(0)));
          }
          Optional<String> link = next;
          Buffer json = Pages.encode(rows, link, 400, ProductRepresentation::write, sel);
          Buffer body =
              format == Format.JSON
                  ? json
                  : ProtobufForms.bytes(json, ProductPage.getDefaultInstance());
          // the same audience as the catalogue: public, briefly cacheable by a CDN
          ctx.response()
              .putHeader("Cache-Control", dev.hotpath.http.CachePolicy.CATALOGUE.header())
              .putHeader("Vary", "Accept-Encoding");
          ctx.response().headers().add("Vary", "Accept");
          Responses.page(ctx, format, body, link);
        });
  }
}
