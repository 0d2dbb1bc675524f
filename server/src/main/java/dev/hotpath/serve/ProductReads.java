package dev.hotpath.serve;

import dev.hotpath.edge.CursorCodec;
import dev.hotpath.edge.Fields;
import dev.hotpath.edge.JsonOutput;
import dev.hotpath.edge.Params;
import dev.hotpath.edge.ProblemException;
import dev.hotpath.edge.Responses;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.Set;

/** Read routes of the product catalogue. */
public final class ProductReads {
  private static final String BY_ID =
      "SELECT " + ProductRepresentation.COLUMNS + " FROM products WHERE id = $1";
  private static final Set<String> GET_PARAMS = Set.of("fields");
  private static final Set<String> LIST_PARAMS = Set.of("fields", "limit", "cursor", "category");

  private final Pool pool;
  private final CursorCodec cursors;
  private final IdOrderedList list =
      new IdOrderedList(
          "products",
          "products",
          ProductRepresentation.COLUMNS,
          "category",
          ProductRepresentation::write);

  public ProductReads(Pool pool, CursorCodec cursors) {
    this.pool = pool;
    this.cursors = cursors;
  }

  public void get(RoutingContext ctx) {
    Params params = Params.of(ctx, GET_PARAMS);
    long id = params.pathId("id");
    Fields.Selection sel = params.fields(ProductRepresentation.FIELDS);
    params.check();
    pool.preparedQuery(BY_ID)
        .execute(Tuple.of(id))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else if (ar.result().size() == 0) {
                ctx.fail(ProblemException.notFound("Product " + id));
              } else {
                Row row = ar.result().iterator().next();
                Responses.json(
                    ctx,
                    200,
                    JsonOutput.write(512, gen -> ProductRepresentation.write(gen, row, sel)));
              }
            });
  }

  public void list(RoutingContext ctx) {
    Params params = Params.of(ctx, LIST_PARAMS);
    Optional<String> category = params.text("category", 64);
    int limit = params.limit();
    Fields.Selection sel = params.fields(ProductRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    list.serve(ctx, pool, cursors, category, cursor, limit, sel);
  }
}
