package dev.hotpath.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Contract;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.serve.CacheInvalidation;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.ResponseCache;
import dev.hotpath.serve.ResponseCache.Kind;
import dev.hotpath.serve.ResponseCache.Owner;
import dev.hotpath.store.Outbox;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Places orders. One transaction: claim the idempotency key, check the customer, lock the products
 * in id order (so two orders never deadlock), check stock and currency, decrement stock, write the
 * order, its lines and its {@code order.created} event, save the response. Prices and names come
 * from the database; the response is built from what the insert returned.
 *
 * <p>Three round trips and six statements, each round trip one pipelined batch: (BEGIN + key claim
 * + customer and locked products in one statement), (stock, order, lines, event and the cache
 * invalidation message in one statement), (saved response + COMMIT). Measured on this machine, the
 * database's per-statement work and one socket write per statement were most of an order's CPU, so
 * the statements are few and wide. The products are locked before the claim's answer is known: if
 * the key turns out to belong to another request the transaction rolls back, having written
 * nothing. After the commit, this instance evicts the representations the order changed before it
 * answers. With a payments provider, the order is authorized before the transaction and is {@code
 * paid} or {@code payment_pending}; see {@link OrderPayments} for that design.
 */
public final class OrderWrites {
  /**
   * The customer ($1) and the requested products ($2), locked in id order: one row per product
   * found (at least one row, with null product columns when none is), each carrying the customer's
   * status and address (null when there is no such customer).
   */
  private static final String READ =
      "WITH p AS MATERIALIZED (SELECT id, name, price_minor, currency, stock, status FROM products"
          + " WHERE id = ANY($2) ORDER BY id FOR UPDATE)"
          + " SELECT c.status, c.address::text, p.id, p.name, p.price_minor, p.currency, p.stock,"
          + " p.status FROM (SELECT 1) one LEFT JOIN customers c ON c.id = $1 LEFT JOIN p ON true";

  /**
   * Takes the stock, writes the order, its lines and its event, and queues the cache invalidation
   * message (the owners known before the insert, $15, ending in the order's code and a colon, then
   * the new order's id; delivered to listeners only on commit). Returns the shape of {@link
   * OrderReads#ORDER_WITH_LINES}.
   */
  private static final String WRITE =
      "WITH s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1,"
          + " updated_at = now() FROM unnest($7::bigint[], $10::int[]) AS r(id, qty)"
          + " WHERE p.id = r.id),"
          + " o AS (INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address,"
          + " payment_status, payment_authorization)"
          + " VALUES ($1, $12, $2, $3, $3, $4, $5::text::jsonb, $13, $14) RETURNING "
          + OrderRepresentation.COLUMNS
          + "),"
          + " i AS (INSERT INTO order_items (order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor)"
          + " SELECT o.id, l.line_no, l.product_id, l.product_name, l.unit_price_minor, l.quantity, l.unit_price_minor * l.quantity"
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
              Outbox.orderPayload("o", "api", "$11::text::jsonb"))
          + "),"
          + " n AS (SELECT pg_notify('"
          + CacheInvalidation.CHANNEL
          + "', $15::text || o.id) FROM o)"
          + " SELECT o.*, i.* FROM o CROSS JOIN i CROSS JOIN n ORDER BY i.line_no";

  private final Contract contract;
  private final IdempotencyKeys idempotency;
  private final ResponseCache cache;
  private final Optional<OrderPayments> payments;

  /**
   * @param payments the payment step, when a payments provider is configured; without it orders are
   *     placed unpaid ({@code placed}, no payment), as before payments existed
   */
  public OrderWrites(
      Contract contract,
      IdempotencyKeys idempotency,
      ResponseCache cache,
      Optional<OrderPayments> payments) {
    this.contract = contract;
    this.idempotency = idempotency;
    this.cache = cache;
    this.payments = payments;
  }

  private static ProblemException unknownCustomer(long customerId) {
    return new ProblemException(
        ProblemType.UNKNOWN_CUSTOMER,
        "Customer " + customerId + " does not exist or is not active",
        List.of(new FieldError("/customer_id", "no active customer " + customerId)));
  }

  /** What an order of {@code lines} by {@code customerId} changes, besides the order itself. */
  private static List<Owner> changedBy(long customerId, List<Line> lines) {
    List<Owner> owners = new ArrayList<>(lines.size() + 2);
    owners.add(new Owner(Kind.CUSTOMER_ORDERS, customerId));
    for (Line line : lines) {
      owners.add(new Owner(Kind.PRODUCT, line.productId()));
    }
    return owners;
  }

  /** A line as requested, in request order. */
  private record Line(long productId, int quantity) {}

  public void place(RoutingContext ctx) {
    IdempotencyKeys.Key key = IdempotencyKeys.key(ctx);
    Params.of(ctx, Set.of()).check();
    JsonNode body = contract.readBody(ctx.body().buffer(), "OrderCreate");
    long customerId = body.get("customer_id").asLong();
    if (!Principal.of(ctx).mayAccess(customerId)) {
      // a customer orders for itself only; another customer's id looks like no customer at all
      throw unknownCustomer(customerId);
    }
    List<Line> lines = new ArrayList<>();
    Map<Long, Integer> seen = new HashMap<>();
    List<FieldError> duplicates = new ArrayList<>();
    int index = 0;
    for (JsonNode item : body.get("items")) {
      long productId = item.get("product_id").asLong();
      if (seen.putIfAbsent(productId, index) != null) {
        duplicates.add(
            new FieldError(
                "/items/" + index + "/product_id",
                "product "
                    + productId
                    + " is already on line "
                    + (seen.get(productId) + 1)
                    + "; raise its quantity instead"));
      }
      lines.add(new Line(productId, item.get("quantity").asInt()));
      index++;
    }
    if (!duplicates.isEmpty()) {
      throw ProblemException.validation(duplicates);
    }
    String requestedAddress =
        body.has("shipping_address") ? body.get("shipping_address").toString() : null;

    List<Owner> changed = changedBy(customerId, lines);
    if (payments.isEmpty()) {
      execute(ctx, key, customerId, lines, requestedAddress, changed, Optional.empty());
      return;
    }
    long[] productIds = new long[lines.size()];
    int[] quantities = new int[lines.size()];
    for (int i = 0; i < productIds.length; i++) {
      productIds[i] = lines.get(i).productId();
      quantities[i] = lines.get(i).quantity();
    }
    // the provider is asked before the transaction, so that no connection waits on it
    payments
        .get()
        .authorize(ctx, key, productIds, quantities)
        .onComplete(
            ar ->
                execute(
                    ctx,
                    key,
                    customerId,
                    lines,
                    requestedAddress,
                    changed,
                    ar.succeeded() ? ar.result() : Optional.empty()));
  }

  private void execute(
      RoutingContext ctx,
      IdempotencyKeys.Key key,
      long customerId,
      List<Line> lines,
      String requestedAddress,
      List<Owner> changed,
      Optional<OrderPayments.Attempt> attempt) {
    idempotency.execute(
        ctx,
        key,
        (conn, claimed) ->
            placeIn(conn, claimed, key, customerId, lines, requestedAddress, attempt)
                .map(
                    rows -> {
                      Row order = rows.iterator().next();
                      long orderId = order.getLong(0);
                      changed.add(new Owner(Kind.ORDER, orderId));
                      return IdempotencyKeys.Stored.created(
                          "/v1/orders/" + orderId,
                          OrderReads.encodeJoined(rows, OrderRepresentation.FIELDS.all()),
                          OrderReads.tag(orderId, order.getInteger(OrderRepresentation.VERSION)));
                    }),
        () -> cache.invalidate(changed));
  }

  private Future<RowSet<Row>> placeIn(
      SqlConnection conn,
      Future<Void> claimed,
      IdempotencyKeys.Key key,
      long customerId,
      List<Line> lines,
      String requestedAddress,
      Optional<OrderPayments.Attempt> attempt) {
    Future<RowSet<Row>> placed =
        checkAndWrite(conn, claimed, key, customerId, lines, requestedAddress, attempt);
    if (payments.isEmpty() || OrderPayments.authorized(attempt).isEmpty()) {
      return placed;
    }
    // refused after the provider authorized it: void that authorization with the refusal
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
      Future<Void> claimed,
      IdempotencyKeys.Key key,
      long customerId,
      List<Line> lines,
      String requestedAddress,
      Optional<OrderPayments.Attempt> attempt) {
    Long[] ids = lines.stream().map(Line::productId).toArray(Long[]::new);
    Future<RowSet<Row>> read = conn.preparedQuery(READ).execute(Tuple.of(customerId, (Object) ids));
    return Future.all(read, claimed)
        .compose(
            claimedToo -> {
              RowSet<Row> rows = read.result();
              Row first = rows.iterator().next();
              if (!"active".equals(first.getString(0))) {
                throw unknownCustomer(customerId);
              }
              String address = requestedAddress != null ? requestedAddress : first.getString(1);
              if (address == null) {
                throw new ProblemException(
                    ProblemType.MISSING_SHIPPING_ADDRESS,
                    "Give shipping_address: customer " + customerId + " has no address on file",
                    List.of(
                        new FieldError(
                            "/shipping_address", "is required when the customer has no address")));
              }
              return write(conn, key, customerId, lines, address, rows, attempt);
            });
  }

  private Future<RowSet<Row>> write(
      SqlConnection conn,
      IdempotencyKeys.Key key,
      long customerId,
      List<Line> lines,
      String address,
      RowSet<Row> products,
      Optional<OrderPayments.Attempt> attempt) {
    Map<Long, Row> byId = new TreeMap<>();
    for (Row p : products) {
      Long id = p.getLong(2);
      if (id != null) {
        byId.put(id, p);
      }
    }
    List<FieldError> unknown = new ArrayList<>();
    List<FieldError> short_ = new ArrayList<>();
    String currency = null;
    boolean mixed = false;
    long subtotal = 0;
    int n = lines.size();
    Integer[] lineNos = new Integer[n];
    Long[] productIds = new Long[n];
    String[] names = new String[n];
    Long[] prices = new Long[n];
    Integer[] quantities = new Integer[n];
    for (int i = 0; i < n; i++) {
      Line line = lines.get(i);
      Row p = byId.get(line.productId());
      if (p == null || !"active".equals(p.getString(7))) {
        unknown.add(
            new FieldError("/items/" + i + "/product_id", "no active product " + line.productId()));
        continue;
      }
      int stock = p.getInteger(6);
      if (stock < line.quantity()) {
        short_.add(
            new FieldError(
                "/items/" + i + "/quantity",
                "product "
                    + line.productId()
                    + " has "
                    + stock
                    + " in stock, "
                    + line.quantity()
                    + " requested"));
      }
      String c = p.getString(5);
      if (currency == null) {
        currency = c;
      } else if (!currency.equals(c)) {
        mixed = true;
      }
      long price = p.getLong(4);
      subtotal = Math.addExact(subtotal, Math.multiplyExact(price, (long) line.quantity()));
      lineNos[i] = i + 1;
      productIds[i] = line.productId();
      names[i] = p.getString(3);
      prices[i] = price;
      quantities[i] = line.quantity();
    }
    if (!unknown.isEmpty()) {
      throw new ProblemException(
          ProblemType.UNKNOWN_PRODUCT,
          unknown.size() + " product(s) do not exist or are discontinued",
          unknown);
    }
    if (!short_.isEmpty()) {
      throw new ProblemException(
          ProblemType.OUT_OF_STOCK, short_.size() + " line(s) exceed the stock", short_);
    }
    if (mixed) {
      throw new ProblemException(
          ProblemType.CURRENCY_MISMATCH, "All products of one order must share a currency");
    }
    // decided with the prices locked above; a declined payment is refused here, before any write
    long total = subtotal;
    String orderCurrency = currency;
    Optional<OrderPayments.Decision> payment =
        payments.map(p -> p.decide(attempt, key, total, orderCurrency));
    StringBuilder items = new StringBuilder(48 * n).append('[');
    for (int i = 0; i < n; i++) {
      items
          .append(i == 0 ? "{\"product_id\":" : ",{\"product_id\":")
          .append(productIds[i])
          .append(",\"quantity\":")
          .append(quantities[i])
          .append(",\"line_total_minor\":")
          .append(prices[i] * quantities[i])
          .append('}');
    }
    items.append(']');
    Tuple insert =
        Tuple.tuple()
            .addLong(customerId)
            .addString(currency)
            .addLong(subtotal)
            .addInteger(n)
            .addString(address)
            .addArrayOfInteger(lineNos)
            .addArrayOfLong(productIds)
            .addArrayOfString(names)
            .addArrayOfLong(prices)
            .addArrayOfInteger(quantities)
            .addString(items.toString())
            .addString(payment.map(OrderPayments.Decision::status).orElse("placed"))
            .addString(payment.map(OrderPayments.Decision::paymentStatus).orElse(null))
            .addString(payment.flatMap(OrderPayments.Decision::authorization).orElse(null));
    String message =
        CacheInvalidation.payload(cache.origin(), changedBy(customerId, lines))
            + ","
            + Kind.ORDER.code()
            + ":";
    insert.addString(message);
    Future<RowSet<Row>> order = conn.preparedQuery(WRITE).execute(insert);
    if (payment.isEmpty()) {
      return order;
    }
    // the authorization job (payment_pending) or void job rides in the same round trip
    Future<Void> jobs = payments.get().enqueue(conn, payment.get());
    return Future.all(order, jobs).map(done -> order.result());
  }
}
