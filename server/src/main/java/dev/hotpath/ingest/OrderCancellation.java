package dev.hotpath.ingest;

import dev.hotpath.config.OutsideSettings;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Conditional;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Responses;
import dev.hotpath.observe.Tracing;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.cache.CacheInvalidation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import dev.hotpath.store.OrderStatements;
import dev.hotpath.store.PaymentJobStatements;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/orders/{id}/cancel}. One transaction: lock the order, check its state and the
 * optional {@code If-Match}, lock its products in id order (the order placement takes them in the
 * same order, so the two never deadlock), then in one statement mark the order cancelled (version
 * bumped), put the stock back, append {@code order.cancelled} and, for a paid order, enqueue the
 * {@value PaymentJobStatements#VOID} job that releases its authorization at the provider. Only
 * placed or paid orders can be cancelled, and orders still waiting for their payment: their payment
 * stays {@code pending}, and their authorization job still asks the provider (which may hold the
 * payment although the placement heard no answer) and has whatever it holds voided.
 *
 * <p>The void is a job, not a call, so the cancellation neither waits for the provider nor fails
 * with it, and nothing it acknowledged is lost: the job commits with the cancellation and retries
 * with the queue's backoff until the provider confirms; then the order's payment reads {@code
 * voided} (until then {@code authorized}: the money is still held). It is enqueued whether or not
 * this process has a payments provider: an order paid under a provider since removed keeps its job
 * queued (its age shows in {@code /admin/jobs/stats} as {@code oldest_ready_age_ms}) until an
 * instance with a provider runs it.
 */
public final class OrderCancellation {

  /** The cancellation's statement up to its last CTE; the void jobs' CTE follows it. */
  private static final String CANCEL_CTES =
      "WITH o AS (UPDATE orders SET status = 'cancelled', version = version + 1, updated_at = now()"
          + " WHERE id = $1 RETURNING "
          + OrderRepresentation.COLUMNS
          + "),"
          + OrderStatements.takeBack("", "$2::text");

  private static final String CANCEL_RESULT =
      " SELECT o.*, "
          + "i.line_no, i.product_id, i.product_name, i.unit_price_minor, i.quantity,"
          + " i.line_total_minor FROM o JOIN order_items i ON i.order_id = o.id"
          + " AND i.customer_id = o.customer_id AND i.order_id = $1 ORDER BY i.line_no";
  private static final Set<String> CANCELLABLE = Set.of("placed", "payment_pending", "paid");

  private final Pool pool;
  private final ResponseCache cache;
  private final String cancelStatement;

  /**
   * @param payments the attempts and timeout of the void jobs
   */
  public OrderCancellation(Pool pool, ResponseCache cache, OutsideSettings payments) {
    this.pool = pool;
    this.cache = cache;
    // built here: the void jobs' attempts and timeout are settings
    this.cancelStatement =
        CANCEL_CTES
            + ", voids AS ("
            + new PaymentJobStatements(payments).enqueueVoidsOf("o")
            + ")"
            + CANCEL_RESULT;
  }

  /**
   * Cancels an order. {@code If-Match} is required (428 without it): {@code *} or the order's
   * current entity tag; a stale one is a 412 and changes nothing. Another customer's order is a
   * 404. The cache invalidation message is sent in the transaction; this instance evicts what the
   * cancellation changed (the order, the customer's first pages, the products' stock) before it
   * answers.
   */
  public void cancel(RoutingContext ctx) {
    long id = Params.onlyPathId(ctx);
    Principal principal = Principal.of(ctx);
    Conditional.IfMatch ifMatch =
        Conditional.ifMatch(ctx.request(), "o", id)
            .orElseThrow(
                () ->
                    new ProblemException(
                        ProblemType.PRECONDITION_REQUIRED,
                        "Send If-Match with the ETag of the order as you last read it (or *)"));
    List<Owner> changed = new ArrayList<>();
    pool.withTransaction(conn -> cancelIn(conn, id, ifMatch, principal, changed))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else {
                Row order = ar.result().iterator().next();
                // answered once the caches (the shared one too) no longer hold the old order
                cache
                    .invalidate(changed)
                    .onComplete(
                        evicted -> {
                          Responses.validators(
                              ctx,
                              OrderReads.tag(id, order.getInteger(OrderRepresentation.VERSION)),
                              order
                                  .getOffsetDateTime(OrderRepresentation.UPDATED_AT)
                                  .toEpochSecond());
                          Responses.json(
                              ctx,
                              200,
                              OrderReads.encodeJoined(
                                  ar.result(), OrderRepresentation.FIELDS.all()));
                        });
              }
            });
  }

  private Future<RowSet<Row>> cancelIn(
      SqlConnection conn,
      long id,
      Conditional.IfMatch ifMatch,
      Principal principal,
      List<Owner> changed) {
    // both locks go out together; a refusal below rolls back and releases them
    Future<RowSet<Row>> order =
        conn.preparedQuery(OrderStatements.LOCK_ORDER).execute(Tuple.of(id));
    Future<RowSet<Row>> products =
        conn.preparedQuery(OrderStatements.LOCK_PRODUCTS).execute(Tuple.of(id));
    return Future.all(order, products)
        .compose(
            locked -> {
              if (order.result().size() == 0) {
                throw ProblemException.notFound("Order " + id);
              }
              Row row = order.result().iterator().next();
              String status = row.getString(0);
              int version = row.getInteger(1);
              long customerId = row.getLong(2);
              if (!principal.mayAccess(customerId)) {
                throw ProblemException.notFound("Order " + id);
              }
              if (!ifMatch.any() && !ifMatch.versions().contains((long) version)) {
                throw new ProblemException(
                    ProblemType.PRECONDITION_FAILED,
                    "Order " + id + " is at version " + version + "; If-Match does not match it");
              }
              if (!CANCELLABLE.contains(status)) {
                throw new ProblemException(
                    ProblemType.CONFLICT,
                    "Order "
                        + id
                        + " is "
                        + status
                        + "; only placed, payment_pending or paid orders can be cancelled");
              }
              changed.add(new Owner(Kind.ORDER, id));
              changed.add(new Owner(Kind.CUSTOMER_ORDERS, customerId));
              for (Row product : products.result()) {
                changed.add(new Owner(Kind.PRODUCT, product.getLong(0)));
              }
              Future<RowSet<Row>> cancelled =
                  conn.preparedQuery(cancelStatement)
                      .execute(Tuple.of(id, Tracing.currentTraceparent()));
              Future<RowSet<Row>> notify =
                  conn.preparedQuery(CacheInvalidation.NOTIFY)
                      .execute(Tuple.of(CacheInvalidation.payload(cache.origin(), changed)));
              return Future.all(cancelled, notify).map(done -> cancelled.result());
            });
  }
}
