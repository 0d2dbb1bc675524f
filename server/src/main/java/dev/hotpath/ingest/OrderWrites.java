package dev.hotpath.ingest;

import dev.hotpath.http.Contract;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.observe.Tracing;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import dev.hotpath.store.Outbox;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Places orders, as a pipeline read top to bottom in {@link #place}: the request, validated once
 * ({@link OrderRequest}); with a payments provider, its quote and authorization ({@link
 * OrderPayments}); then one {@link WriteTransaction}: claim the idempotency key, check the
 * customer, lock the products in id order (so two orders never deadlock), price the order with the
 * locked rows ({@link OrderPricing}: stock, currency, total), decrement stock, write the order, its
 * lines and its {@code order.created} event, save the response. Prices and names come from the
 * database; the response is built from what the insert returned.
 *
 * <p>Three round trips and five statements, each round trip one pipelined batch: (BEGIN + key
 * claim, customer and locked products in one statement), (stock, order, lines and event in one
 * statement), (saved response + COMMIT). Measured on this machine, the database's per-statement
 * work and one socket write per statement were most of an order's CPU, so the statements are few
 * and wide. The products are locked before the claim's answer is known: if the key turns out to
 * belong to another request the transaction rolls back, having written nothing. After the commit,
 * this instance evicts the representations the order changed before it answers. With a payments
 * provider, the order is authorized before the transaction and is {@code paid} or {@code
 * payment_pending}; see {@link OrderPayments} for that design.
 *
 * @param payments the payment step, when a payments provider is configured; without it orders are
 *     placed unpaid ({@code placed}, no payment), as before payments existed
 */
public record OrderWrites(
    Contract contract,
    WriteTransaction transaction,
    ResponseCache cache,
    Optional<OrderPayments> payments,
    Optional<OrderGroup> group) {
  /** Without group commit ({@code HOTPATH_ORDER_GROUP_MAX=1}): each order its own transaction. */
  public OrderWrites(
      Contract contract,
      WriteTransaction transaction,
      ResponseCache cache,
      Optional<OrderPayments> payments) {
    this(contract, transaction, cache, payments, Optional.empty());
  }

  /**
   * Order transactions one event loop keeps in flight with group commit on: orders go alone while
   * fewer are, and the rest wait to go together. Groups form only when every such transaction is
   * taken, so the loop's whole share of the pool (8 by default) left most orders alone, each with
   * its own BEGIN, COMMIT and WAL flush. `PGBENCH=1 PACED_RUNS=0 scripts/bench-writes.sh`, quiet
   * machine, 2026-12-07, against pgbench in the same minute: each order its own transaction 0.41 /
   * 0.39 and 0.43 / 0.41 (549-652 us of the server's CPU and 830-976 us of PostgreSQL's per
   * request, p99 85-99 ms); groups of up to 16 with all 8 connections per loop 0.37 / 0.42; with 2
   * per loop 0.59 / 0.62, 0.65 / 0.62 and 0.67 / 0.57 (384-479 us, 567-658 us, p99 60-81 ms); with
   * 1 per loop 0.71 / 0.64 (2,217 / 2,169 req/s, 330 / 327 us, 446 / 456 us, p99 50 / 49 ms). One:
   * the loop's orders that arrive while its transaction runs all go in the next.
   */
  public static final int ORDER_TRANSACTIONS_PER_LOOP = 1;

  /**
   * The order transactions a loop keeps in flight: {@link #ORDER_TRANSACTIONS_PER_LOOP}, or fewer
   * when its share of the pool ({@code perLoop}) is smaller.
   */
  public static int orderTransactions(int perLoop) {
    return Math.max(1, Math.min(perLoop, ORDER_TRANSACTIONS_PER_LOOP));
  }

  /**
   * With group commit: orders that wait for a transaction connection go together ({@link
   * OrderGroup}), at most {@code max} in one transaction; {@code max} 1 is without.
   */
  public static OrderWrites grouped(
      io.vertx.core.Vertx vertx,
      Contract contract,
      WriteTransaction transaction,
      ResponseCache cache,
      Optional<OrderPayments> payments,
      int max,
      int connections,
      java.time.Duration grace,
      io.micrometer.core.instrument.MeterRegistry registry) {
    return new OrderWrites(
        contract,
        transaction,
        cache,
        payments,
        max <= 1
            ? Optional.empty()
            : Optional.of(
                new OrderGroup(
                    vertx, transaction, cache, payments, max, connections, grace, registry)));
  }

  /**
   * The idempotency key's claim ($3 to $5, {@link IdempotencyStore#claimCte}), the customer ($1)
   * and the requested products ($2), locked in id order: one row per product found (at least one
   * row, with null product columns when none is), each carrying the claim ({@link #CLAIM_COLUMN}),
   * then the customer's status and address (null when there is no such customer). The claim rides
   * in this statement rather than in one of its own: one statement fewer per order.
   */
  static final String READ =
      "WITH "
          + IdempotencyStore.claimCte(3)
          + ", p AS MATERIALIZED (SELECT "
          + OrderPricing.PRODUCT_COLUMNS
          + " FROM products WHERE id = ANY($2) ORDER BY id FOR UPDATE)"
          + " SELECT claim.got, claim.free, c.status, c.address::text, p.* FROM claim"
          + " LEFT JOIN customers c ON c.id = $1 LEFT JOIN p ON true";

  /** Where {@link #READ}'s rows hold the claim, the customer and the first product column. */
  private static final int CLAIM_COLUMN = 0;

  private static final int CUSTOMER_COLUMN = 2;

  private static final int PRODUCT_COLUMN = 4;

  /**
   * Takes the stock, writes the order, its lines (each with the order's customer_id, the shard key:
   * taken from the inserted order, so a line cannot name another customer) and its event. The event
   * carries the request's {@code traceparent} ($15) and this instance's cache origin ($16), so that
   * it skips the log's message about the order. Returns the shape of {@link
   * OrderReads#ORDER_WITH_LINES}. No {@code NOTIFY} here: the other instances' caches hear of the
   * order from the log ({@code compute.OrderInvalidations}), because a {@code NOTIFY} would make
   * every order's commit wait for the previous one's WAL flush.
   */
  static final String WRITE =
      "WITH s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1,"
          + " updated_at = now() FROM unnest($7::bigint[], $10::int[]) AS r(id, qty)"
          // the ANY($7) reads the locked products through their key: without it the generic plan
          // (WriteTransaction's BEGIN) joined the lines to a sequential scan of every product
          + " WHERE p.id = r.id AND p.id = ANY($7::bigint[])),"
          + " o AS (INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address,"
          + " payment_status, payment_authorization)"
          + " VALUES ($1, $12, $2, $3, $3, $4, $5::text::jsonb, $13, $14) RETURNING "
          + OrderRepresentation.COLUMNS
          + "),"
          // the order's key for the customer-orders page (V15__orders_by_customer.sql)
          + " k AS (INSERT INTO orders_by_customer (customer_id, created_at, order_id)"
          + " SELECT customer_id, created_at, id FROM o),"
          + " i AS (INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor)"
          + " SELECT o.customer_id, o.id, l.line_no, l.product_id, l.product_name, l.unit_price_minor, l.quantity, l.unit_price_minor * l.quantity"
          + " FROM o, unnest($6::int[], $7::bigint[], $8::text[], $9::bigint[], $10::int[])"
          + " AS l(line_no, product_id, product_name, unit_price_minor, quantity)"
          + " RETURNING "
          + OrderRepresentation.ITEM_COLUMNS
          + "),"
          + " e AS ("
          + Outbox.append(
              Outbox.ORDER_CREATED,
              "o",
              "o.id",
              Outbox.orderPayload("o", "api", "$11::text::jsonb"),
              "$15::text",
              "$16::text")
          + ")"
          + " SELECT o.*, i.* FROM o CROSS JOIN i ORDER BY i.line_no";

  public void place(RoutingContext ctx) {
    IdempotencyStore.Key key = IdempotencyStore.key(ctx);
    Params.of(ctx, Set.of()).check();
    OrderRequest request = OrderRequest.read(ctx, contract);
    if (payments.isEmpty()) {
      write(ctx, key, request, Optional.empty());
      return;
    }
    // the provider is asked before the transaction, so that no connection waits on it
    payments
        .get()
        .authorize(ctx, key, request)
        .onComplete(
            ar -> write(ctx, key, request, ar.succeeded() ? ar.result() : Optional.empty()));
  }

  /** The order's transaction; after the commit, this instance evicts what the order changed. */
  private void write(
      RoutingContext ctx,
      IdempotencyStore.Key key,
      OrderRequest request,
      Optional<OrderPayments.Attempt> attempt) {
    List<Owner> changed = request.changes();
    Buffer body = ctx.body().buffer();
    if (group.isPresent()
        && (body == null || body.length() <= WriteTransaction.HASH_ON_LOOP_LIMIT)) {
      group
          .get()
          .submit(
              new OrderGroup.Member(
                  ctx,
                  key,
                  request,
                  attempt,
                  IdempotencyStore.fingerprint(
                      ctx.request().method().name(), ctx.request().path(), body),
                  Tracing.currentTraceparent(),
                  changed,
                  () -> alone(ctx, key, request, attempt, changed)));
      return;
    }
    alone(ctx, key, request, attempt, changed);
  }

  /**
   * The order's own transaction (without group commit, or when it goes alone); the result completes
   * when it has ended.
   */
  private Future<Void> alone(
      RoutingContext ctx,
      IdempotencyStore.Key key,
      OrderRequest request,
      Optional<OrderPayments.Attempt> attempt,
      List<Owner> changed) {
    return transaction.executeClaiming(
        ctx,
        key,
        (conn, found, claimed) ->
            voidIfRefused(conn, attempt, checkAndWrite(conn, found, claimed, key, request, attempt))
                .map(
                    rows -> {
                      Row order = rows.iterator().next();
                      long orderId = order.getLong(0);
                      changed.add(new Owner(Kind.ORDER, orderId));
                      return IdempotencyStore.Stored.created(
                          "/v1/orders/" + orderId,
                          OrderReads.encodeJoined(rows, OrderRepresentation.FIELDS.all()),
                          OrderReads.tag(orderId, order.getInteger(OrderRepresentation.VERSION)));
                    }),
        () -> cache.invalidate(changed));
  }

  /**
   * A refusal after the provider authorized the order voids that authorization, in the refusal's
   * transaction; anything else passes through.
   */
  private Future<RowSet<Row>> voidIfRefused(
      SqlConnection conn, Optional<OrderPayments.Attempt> attempt, Future<RowSet<Row>> placed) {
    if (payments.isEmpty() || OrderPayments.authorized(attempt).isEmpty()) {
      return placed;
    }
    return placed.recover(
        e ->
            e instanceof ProblemException p && p.type().status() < 500
                ? payments
                    .get()
                    .voidUnused(conn, attempt)
                    .<RowSet<Row>>transform(v -> Future.failedFuture(e))
                : Future.<RowSet<Row>>failedFuture(e));
  }

  private Future<RowSet<Row>> checkAndWrite(
      SqlConnection conn,
      Promise<IdempotencyStore.Claim> found,
      Future<Void> claimed,
      IdempotencyStore.Key key,
      OrderRequest request,
      Optional<OrderPayments.Attempt> attempt) {
    long customerId = request.customerId();
    Future<RowSet<Row>> read =
        conn.preparedQuery(READ)
            .execute(
                IdempotencyStore.addClaim(
                    Tuple.of(customerId, (Object) request.productIds()), key));
    read.onComplete(
        ar -> {
          if (ar.succeeded()) {
            found.tryComplete(
                IdempotencyStore.claimOf(ar.result().iterator().next(), CLAIM_COLUMN));
          } else {
            found.tryFail(ar.cause());
          }
        });
    return Future.all(read, claimed)
        .compose(
            claimedToo -> {
              RowSet<Row> rows = read.result();
              String address = address(request, rows.iterator().next(), CUSTOMER_COLUMN);
              OrderPricing.Priced priced =
                  OrderPricing.price(request.lines(), OrderPricing.byId(rows, PRODUCT_COLUMN));
              return write(conn, key, request, address, priced, attempt);
            });
  }

  /**
   * The address the order ships to: its own, else the customer's on file ({@code row}'s customer
   * status at {@code column}, address after it).
   *
   * @throws ProblemException 422 when there is no active customer, or no address
   */
  static String address(OrderRequest request, Row row, int column) {
    long customerId = request.customerId();
    if (!"active".equals(row.getString(column))) {
      throw OrderRequest.unknownCustomer(customerId);
    }
    Optional<String> address =
        request.shippingAddress().or(() -> Optional.ofNullable(row.getString(column + 1)));
    if (address.isEmpty()) {
      throw new ProblemException(
          ProblemType.MISSING_SHIPPING_ADDRESS,
          "Give shipping_address: customer " + customerId + " has no address on file",
          List.of(
              new FieldError("/shipping_address", "is required when the customer has no address")));
    }
    return address.get();
  }

  /** An order decided in a group, to be written: where it ships, its prices, its payment. */
  record Placed(
      String address, OrderPricing.Priced priced, Optional<OrderPayments.Decision> payment) {}

  /** One line of an order as it is written, with its order's number {@code ord} in a group. */
  record LineRow(int ord, int lineNo, long productId, String name, long price, int quantity) {}

  /**
   * Adds {@code request}'s lines, priced, to {@code into} (as order {@code ord}) and returns the
   * event's {@code items} (JSON).
   */
  static String lines(
      OrderRequest request, OrderPricing.Priced priced, int ord, List<LineRow> into) {
    List<OrderRequest.Line> lines = request.lines();
    StringBuilder items = new StringBuilder(48 * lines.size()).append('[');
    for (int i = 0; i < lines.size(); i++) {
      OrderPricing.Product product = priced.products().get(i);
      int quantity = lines.get(i).quantity();
      into.add(
          new LineRow(ord, i + 1, product.id(), product.name(), product.priceMinor(), quantity));
      items
          .append(i == 0 ? "{\"product_id\":" : ",{\"product_id\":")
          .append(product.id())
          .append(",\"quantity\":")
          .append(quantity)
          .append(",\"line_total_minor\":")
          .append(product.priceMinor() * quantity)
          .append('}');
    }
    return items.append(']').toString();
  }

  private Future<RowSet<Row>> write(
      SqlConnection conn,
      IdempotencyStore.Key key,
      OrderRequest request,
      String address,
      OrderPricing.Priced priced,
      Optional<OrderPayments.Attempt> attempt) {
    // decided with the prices locked above; a declined payment is refused here, before any write
    Optional<OrderPayments.Decision> payment =
        payments.map(p -> p.decide(attempt, key, priced.total(), priced.currency()));
    List<LineRow> rows = new java.util.ArrayList<>(request.lines().size());
    String items = lines(request, priced, 1, rows);
    int n = rows.size();
    Integer[] lineNos = new Integer[n];
    Long[] productIds = new Long[n];
    String[] names = new String[n];
    Long[] prices = new Long[n];
    Integer[] quantities = new Integer[n];
    for (int i = 0; i < n; i++) {
      LineRow line = rows.get(i);
      lineNos[i] = line.lineNo();
      productIds[i] = line.productId();
      names[i] = line.name();
      prices[i] = line.price();
      quantities[i] = line.quantity();
    }
    Tuple insert =
        Tuple.tuple()
            .addLong(request.customerId())
            .addString(priced.currency())
            .addLong(priced.total())
            .addInteger(n)
            .addString(address)
            .addArrayOfInteger(lineNos)
            .addArrayOfLong(productIds)
            .addArrayOfString(names)
            .addArrayOfLong(prices)
            .addArrayOfInteger(quantities)
            .addString(items)
            .addString(payment.map(OrderPayments.Decision::status).orElse("placed"))
            .addString(payment.map(OrderPayments.Decision::paymentStatus).orElse(null))
            .addString(payment.flatMap(OrderPayments.Decision::authorization).orElse(null))
            .addString(Tracing.currentTraceparent())
            .addString(cache.origin());
    Future<RowSet<Row>> order = conn.preparedQuery(WRITE).execute(insert);
    if (payment.isEmpty()) {
      return order;
    }
    // the authorization job (payment_pending) or void job rides in the same round trip
    Future<Void> jobs = payments.get().enqueue(conn, payment.get());
    return Future.all(order, jobs).map(done -> order.result());
  }
}
