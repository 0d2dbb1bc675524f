package dev.hotpath.serve;

import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.Representation;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.serve.cache.CacheKey;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Read routes of orders. One order is one indexed query (the order joined with its lines); a page
 * of a customer's orders is two queries whatever its size: its positions in the customer's key,
 * then its orders joined with their lines (by status: the page, then all its lines). An order and
 * the first page of a customer's orders are served from the {@link ResponseCache}; later pages
 * (with a cursor) are read each time, with an entity tag all the same.
 */
public final class OrderReads {
  /**
   * The order and its lines as one result; order columns first, line columns from 13. Keyed by the
   * order's id alone (all a caller of {@code GET /v1/orders/{id}} has); the join names the customer
   * too, so that a distributed database joins the two on the shard that holds them.
   */
  public static final String ORDER_WITH_LINES = orderWithLines("orders", "order_items");

  /**
   * {@link #ORDER_WITH_LINES} reading the tables {@code orders} and {@code items}: the partitioned
   * tables, or one month's partitions of them ({@link OrderMonths}), whose generic plan locks two
   * tables where the partitioned ones' locks every month before pruning to one.
   */
  static String orderWithLines(String orders, String items) {
    return "SELECT o.id, o.customer_id, o.status, o.currency, o.subtotal_minor, o.total_minor,"
        + " o.item_count, o.shipping_address::text, o.version, o.created_at, o.updated_at,"
        + " o.payment_status, o.payment_authorization,"
        + " i.line_no, i.product_id, i.product_name, i.unit_price_minor, i.quantity, i.line_total_minor"
        + " FROM "
        + orders
        + " o JOIN "
        + items
        + " i ON i.order_id = o.id AND i.customer_id = o.customer_id"
        + " WHERE o.id = $1 ORDER BY i.line_no";
  }

  private static final String PAGE =
      "SELECT " + OrderRepresentation.COLUMNS + " FROM orders WHERE customer_id = $1";
  private static final String ORDER_BY = " ORDER BY created_at DESC, id DESC LIMIT ";

  private static final String PAGE_STATUS_FIRST = PAGE + " AND status = $2" + ORDER_BY + "$3";
  private static final String PAGE_STATUS_NEXT =
      PAGE + " AND status = $2 AND (created_at, id) < ($3, $4)" + ORDER_BY + "$5";

  /**
   * The lines of a page's orders ($2), all of customer $1 (the shard key: on a distributed database
   * the page's lines are on its customer's shard), with the range of the ids ($3, $4): each order's
   * lines by its id, which prunes to the order's month as the probe runs, rather than a probe of
   * every month in the range; the range lets the generic plan leave out the other months when it
   * starts.
   */
  private static final String LINES_OF_PAGE =
      "SELECT i.order_id, "
          + OrderRepresentation.ITEM_COLUMNS
          + " FROM unnest($2::bigint[]) AS k(id) CROSS JOIN LATERAL (SELECT order_id, "
          + OrderRepresentation.ITEM_COLUMNS
          + " FROM order_items WHERE order_id = k.id AND customer_id = $1"
          + " AND order_id BETWEEN $3 AND $4) i ORDER BY i.order_id, i.line_no";

  /**
   * The statement of one page of a customer's orders with one status ({@link
   * OrderRepresentation#COLUMNS}, newest first): {@code $1} the customer, {@code $2} the status,
   * then the position (created_at, id) when {@code after}, then the most rows. GraphQL's pages by
   * status run this same statement; pages without a status, in REST and GraphQL alike, read their
   * positions first ({@link #keysStatement}), then the orders with their lines ({@link
   * #ordersStatement}).
   */
  public static String statusPageStatement(boolean after) {
    return after ? PAGE_STATUS_NEXT : PAGE_STATUS_FIRST;
  }

  /**
   * The statement of the lines of orders of one customer: {@code $1} the customer, {@code $2} the
   * orders (bigint[]), {@code $3} and {@code $4} the lowest and highest of them; {@code order_id}
   * then {@link OrderRepresentation#ITEM_COLUMNS}, by order and line. The GraphQL lines of one
   * customer's orders run this same statement.
   */
  public static String linesStatement() {
    return LINES_OF_PAGE;
  }

  /**
   * The positions of a page without a status filter: a range of the unpartitioned key
   * orders_by_customer (V15), read from its index alone, newest first: {@code created_at} and
   * {@code order_id}; {@code $1} the customer, then the position (created_at, id) when after one,
   * then the most rows.
   */
  private static final String KEYS =
      "SELECT created_at, order_id FROM orders_by_customer WHERE customer_id = $1";

  private static final String KEYS_ORDER_BY = " ORDER BY created_at DESC, order_id DESC LIMIT ";
  private static final String KEYS_FIRST = KEYS + KEYS_ORDER_BY + "$2";
  private static final String KEYS_NEXT =
      KEYS + " AND (created_at, order_id) < ($2, $3)" + KEYS_ORDER_BY + "$4";

  /**
   * The orders {@code $2} (bigint[], in the page's order) of customer {@code $1}, each by its id,
   * with the lowest and highest of them ({@code $3}, {@code $4}): the range is a parameter, so the
   * generic plan leaves out, when it starts, every month the page does not reach. Without it each
   * probe of a partitioned table starts a scan of every month (29 in the demo data) to keep the one
   * its id names: measured, that start-up was most of a page's PostgreSQL CPU (the page statement
   * with its lookups by id, ~205-290 us per cursor page of 5, against ~100 us for the positions and
   * this statement together).
   */
  private static String byId(String orders) {
    return " FROM unnest($2::bigint[]) WITH ORDINALITY AS k(id, n) CROSS JOIN LATERAL (SELECT "
        + OrderRepresentation.COLUMNS
        + " FROM "
        + orders
        + " WHERE id = k.id AND customer_id = $1 AND id BETWEEN $3 AND $4 LIMIT 1) o";
  }

  private static final String ORDERS_OF_PAGE = ordersStatement(false, "orders", "order_items");

  /**
   * As {@link #ORDERS_OF_PAGE}, each order joined with its lines (line columns from {@link
   * OrderRepresentation#ORDER_COLUMN_COUNT}, null for an order without lines), by order then line:
   * the page's orders and lines in one statement, the lines pruned to the page's months as the
   * orders are.
   */
  private static final String ORDERS_WITH_LINES_OF_PAGE =
      ordersStatement(true, "orders", "order_items");

  /**
   * The statement of the positions of a page of a customer's orders without a status filter (see
   * {@link #KEYS}): {@code $1} the customer, then the position (created_at, id) when {@code after},
   * then the most rows.
   */
  public static String keysStatement(boolean after) {
    return after ? KEYS_NEXT : KEYS_FIRST;
  }

  /**
   * The statement of a page's orders by id ({@link #ORDERS_OF_PAGE}), with their lines when {@code
   * withLines} ({@link #ORDERS_WITH_LINES_OF_PAGE}): {@code $1} the customer, {@code $2} the ids in
   * the page's order, {@code $3} and {@code $4} the lowest and highest of them.
   */
  public static String ordersStatement(boolean withLines) {
    return withLines ? ORDERS_WITH_LINES_OF_PAGE : ORDERS_OF_PAGE;
  }

  /**
   * As {@link #ordersStatement(boolean)}, reading the tables {@code orders} and {@code items}
   * (quoted names: the partitioned tables, or one month's partitions of them, {@link OrderMonths}).
   */
  static String ordersStatement(boolean withLines, String orders, String items) {
    if (!withLines) {
      return "SELECT o.*" + byId(orders) + " ORDER BY k.n";
    }
    return "SELECT o.*, i.*"
        + byId(orders)
        + " LEFT JOIN LATERAL (SELECT "
        + OrderRepresentation.ITEM_COLUMNS
        + " FROM "
        + items
        + " WHERE order_id = k.id AND customer_id = $1"
        + " AND order_id BETWEEN $3 AND $4) i ON true ORDER BY k.n, i.line_no";
  }

  private static final String CUSTOMER_EXISTS = "SELECT 1 FROM customers WHERE id = $1";

  private static final Set<String> LIST_PARAMS = Set.of("fields", "limit", "cursor", "status");

  /** Order statuses; a first page's cache key holds the position of its filter here, plus one. */
  static final List<String> STATUS_LIST =
      List.of(
          "placed",
          "paid",
          "shipped",
          "delivered",
          "cancelled",
          "payment_pending",
          "payment_failed");

  public static final Set<String> STATUSES = Set.copyOf(STATUS_LIST);

  private static final Replies.Resource ORDER =
      new Replies.Resource(Kind.ORDER, OrderRepresentation.FIELDS, CachePolicy.PRIVATE, "Order");

  private final ReadTools tools;
  private final OrderMonths months;
  private final ResponseCache.Lookup orders;
  private final ResponseCache.Lookup firstPages;

  /** {@code months}: which months a page may read by their partitions' names. */
  public OrderReads(ReadTools tools, OrderMonths months) {
    this.tools = tools;
    this.months = months;
    ResponseCache cache = tools.cache();
    // both load either format straight from the rows: a protobuf entry is not the JSON one
    // encoded again (with the cache off, that was every protobuf and gRPC read's cost)
    this.orders = cache.lookup(this::loadOrder);
    this.firstPages = cache.lookup(this::loadFirstPage);
  }

  public void get(RoutingContext ctx) {
    Replies.one(ctx, orders, ORDER, tools.compression(), Principal.of(ctx));
  }

  /**
   * The cached JSON representation of order {@code id} with all its fields, when the cache holds it
   * loaded and found; null otherwise (nothing is loaded: the caller sends the request the ordinary
   * way). A hit is counted as {@link #get} counts one; an entry due for its refresh is left to the
   * ordinary way, which starts it. What {@link #get} answers from it is that representation under
   * the {@code private} policy. A hit holds a reference to the cache's off-heap body: the caller
   * copies it and then calls {@link Representation#release()} once.
   */
  public @Nullable Representation cachedHit(long id) {
    // a miss is neither counted nor loaded here: the ordinary way it goes next counts and loads it
    return orders.hit(
        CacheKey.of(Kind.ORDER, id, OrderRepresentation.FIELDS.all(), 0, Format.JSON));
  }

  /**
   * The JSON representation of order {@code id} with all its fields as {@link #get} obtains it on a
   * miss: the cache's entry, loaded (and kept) by the one load all concurrent misses share, or the
   * load alone when the cache keeps nothing. Completes with null when there is no such order, on
   * any thread; fails as the load fails. Run on the request's context: its trace counts the query
   * and learns the miss, its deadline bounds the statement. For a miss answered below Vert.x
   * ({@code edge.PreparedRead}), which checks the owner itself.
   */
  public CompletableFuture<@Nullable Representation> loaded(long id) {
    return orders
        .get(CacheKey.of(Kind.ORDER, id, OrderRepresentation.FIELDS.all(), 0, Format.JSON))
        .thenApply(entry -> entry.found() ? entry.representation() : null);
  }

  private Future<Optional<Representation>> loadOrder(CacheKey key) {
    Fields.Selection sel = OrderRepresentation.FIELDS.selection(key.fields(), key.itemFields());
    return tools
        .db()
        .run(months.orderStatement(key.id()), Tuple.of(key.id()))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return Optional.empty();
              }
              Row order = rows.iterator().next();
              String tag = Tags.resource("o", key.id(), order.getInteger(8), sel);
              long modified = order.getOffsetDateTime(10).toEpochSecond();
              if (key.format() == Format.PROTOBUF) {
                return Optional.of(
                    Representation.cached(
                        Format.PROTOBUF,
                        encodeJoinedProtobuf(rows, sel),
                        tag,
                        modified,
                        Optional.empty(),
                        order.getLong(1)));
              }
              return Optional.of(
                  Representation.cached(
                      encodeJoined(rows, sel), tag, modified, Optional.empty(), order.getLong(1)));
            });
  }

  /** Encodes the result of {@link #ORDER_WITH_LINES} (or a query of the same shape). */
  public static Buffer encodeJoined(RowSet<Row> rows, Fields.Selection sel) {
    List<Row> list = new ArrayList<>(rows.size());
    rows.forEach(list::add);
    var lines =
        new OrderRepresentation.RowLines(
            list, 0, list.size(), OrderRepresentation.ORDER_COLUMN_COUNT);
    return JsonOutput.write(
        512 + 160 * list.size(), gen -> OrderRepresentation.write(gen, list.get(0), lines, sel));
  }

  /**
   * Encodes one order of a result holding several in the shape of {@link #ORDER_WITH_LINES}: its
   * rows are {@code rows} from {@code from} (inclusive) to {@code to} (exclusive).
   */
  public static Buffer encodeJoined(List<Row> rows, int from, int to, Fields.Selection sel) {
    var lines =
        new OrderRepresentation.RowLines(rows, from, to, OrderRepresentation.ORDER_COLUMN_COUNT);
    return JsonOutput.write(
        512 + 160 * (to - from), gen -> OrderRepresentation.write(gen, rows.get(from), lines, sel));
  }

  /**
   * The result of {@link #ORDER_WITH_LINES} as a {@code hotpath.v1.Order} message, written from the
   * rows: the bytes {@link ProtobufForms#bytes} makes of {@link #encodeJoined}'s JSON.
   */
  static Buffer encodeJoinedProtobuf(RowSet<Row> rows, Fields.Selection sel) {
    List<Row> list = new ArrayList<>(rows.size());
    rows.forEach(list::add);
    var lines =
        new OrderRepresentation.RowLines(
            list, 0, list.size(), OrderRepresentation.ORDER_COLUMN_COUNT);
    return Buffer.buffer(OrderProtobuf.order(list.get(0), lines, sel));
  }

  /** The entity tag of an order's full representation, as a write returns it. */
  public static String tag(long id, int version) {
    return Tags.resource("o", id, version, OrderRepresentation.FIELDS.all());
  }

  public void listForCustomer(RoutingContext ctx) {
    Params params = Params.of(ctx, LIST_PARAMS);
    long customerId = params.pathId("id");
    Optional<String> status = params.oneOf("status", STATUSES);
    int limit = params.limit();
    Fields.Selection sel = params.fields(OrderRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    Format format = Format.negotiate(ctx);
    // the owner of the path's customer id was checked by the route's guard (x-owner)
    Principal principal = Principal.of(ctx);
    if (cursor.isEmpty()) {
      int variant = (status.map(STATUS_LIST::indexOf).orElse(-1) + 1) << 8 | limit;
      Replies.cached(
          ctx,
          firstPages.get(CacheKey.of(Kind.CUSTOMER_ORDERS, customerId, sel, variant, format)),
          CachePolicy.PRIVATE,
          tools.compression(),
          "Customer",
          customerId,
          principal);
    } else {
      long[] after = tools.cursors().decode(scope(customerId, status), cursor.get(), 2);
      Replies.loaded(
          ctx,
          page(customerId, status, after, limit, sel, format, true),
          format,
          OrderPage.getDefaultInstance(),
          CachePolicy.PRIVATE,
          tools.compression(),
          "Customer",
          customerId,
          principal);
    }
  }

  /**
   * The cache key of a customer's first page as {@link #listForCustomer} reads it for a request
   * without a query, in JSON: every order field, no status filter, the default limit.
   */
  private static CacheKey firstPageKey(long customerId) {
    return CacheKey.of(
        Kind.CUSTOMER_ORDERS,
        customerId,
        OrderRepresentation.FIELDS.all(),
        Params.DEFAULT_LIMIT, // the variant: no status (0 << 8), the default limit
        Format.JSON);
  }

  /**
   * The cached JSON first page of customer {@code customerId}'s orders (every field, no filter, the
   * default limit: what {@link #listForCustomer} answers a request without a query), when the cache
   * holds it loaded and found; null otherwise, as {@link #cachedHit}. What {@link #listForCustomer}
   * answers from it is that representation under the {@code private} policy, with its {@code Link}
   * when a next page follows. For a page answered below Vert.x ({@code edge.PreparedRead}), which
   * checks the owner itself. A hit holds a reference the caller releases, as {@link #cachedHit}'s.
   */
  public @Nullable Representation cachedFirstPage(long customerId) {
    return firstPages.hit(firstPageKey(customerId));
  }

  /**
   * The same first page as {@link #listForCustomer} obtains it on a miss, as {@link #loaded} does
   * for an order: null when there is no such customer.
   */
  public CompletableFuture<@Nullable Representation> loadedFirstPage(long customerId) {
    return firstPages
        .get(firstPageKey(customerId))
        .thenApply(entry -> entry.found() ? entry.representation() : null);
  }

  private Future<Optional<Representation>> loadFirstPage(CacheKey key) {
    int statusIndex = key.variant() >>> 8;
    int limit = key.variant() & 0xff;
    Optional<String> status =
        statusIndex == 0 ? Optional.empty() : Optional.of(STATUS_LIST.get(statusIndex - 1));
    Fields.Selection sel = OrderRepresentation.FIELDS.selection(key.fields(), key.itemFields());
    return page(key.id(), status, null, limit, sel, key.format(), false);
  }

  private static String scope(long customerId, Optional<String> status) {
    return "orders-of:" + customerId + ":" + status.orElse("");
  }

  /**
   * One page, newest first, after {@code after} (created_at micros, id) or from the top when null.
   * Empty when it is a first page and the customer does not exist. The page is written in {@code
   * format} from the rows; {@code oneOff}: for one response (a cursor page), else to cache. Without
   * a status filter: the page's positions ({@link #KEYS}), then its orders with their lines in one
   * statement ({@link #ORDERS_WITH_LINES_OF_PAGE}); by status: the page's orders, then their lines
   * ({@link #statusPageStatement}, {@link #linesStatement}).
   */
  private Future<Optional<Representation>> page(
      long customerId,
      Optional<String> status,
      long @Nullable [] after,
      int limit,
      Fields.Selection sel,
      Format format,
      boolean oneOff) {
    Tuple args = Tuple.of(customerId);
    status.ifPresent(args::addString);
    if (after != null) {
      args.addOffsetDateTime(Timestamps.fromMicros(after[0])).addLong(after[1]);
    }
    args.addInteger(limit + 1);
    Page page = new Page(customerId, status, limit, sel, format, oneOff);
    boolean byKey = status.isEmpty();
    String sql = byKey ? keysStatement(after != null) : statusPageStatement(after != null);
    return tools
        .db()
        .run(sql, args)
        .compose(
            result -> {
              List<Row> rows = new ArrayList<>(result.size());
              result.forEach(rows::add);
              page.more = rows.size() > limit;
              if (page.more) {
                rows.remove(rows.size() - 1);
                // (created_at, id): the key's columns, or the order's (9 and 0)
                Row last = rows.get(rows.size() - 1);
                page.next =
                    Optional.of(
                        tools
                            .cursors()
                            .encode(
                                scope(customerId, status),
                                Timestamps.micros(last.getOffsetDateTime(byKey ? 0 : 9)),
                                last.getLong(byKey ? 1 : 0)));
              }
              if (rows.isEmpty()) {
                if (after != null) {
                  return Future.succeededFuture(Optional.of(page.represent()));
                }
                return tools
                    .db()
                    .run(CUSTOMER_EXISTS, Tuple.of(customerId))
                    .map(
                        found ->
                            found.size() == 0 ? Optional.empty() : Optional.of(page.represent()));
              }
              if (!byKey) {
                page.orders = rows;
                return sel.has(8) ? lines(page, rows) : present(page);
              }
              Long[] ids = new Long[rows.size()];
              for (int i = 0; i < ids.length; i++) {
                ids[i] = rows.get(i).getLong(1);
              }
              boolean withLines = sel.has(8);
              return tools
                  .db()
                  .run(months.ordersStatement(withLines, ids), byIds(customerId, ids))
                  .map(
                      found -> {
                        page.joined(found, withLines);
                        return Optional.of(page.represent());
                      });
            });
  }

  private static Future<Optional<Representation>> present(Page page) {
    return Future.succeededFuture(Optional.of(page.represent()));
  }

  /** The lines of a page read by {@link #statusPageStatement} (by status), then the page. */
  private Future<Optional<Representation>> lines(Page page, List<Row> orders) {
    Long[] ids = new Long[orders.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = orders.get(i).getLong(0);
    }
    // the range lets the generic plan skip the months the page does not reach
    return tools
        .db()
        .run(LINES_OF_PAGE, byIds(page.customerId, ids))
        .map(
            lines -> {
              List<Row> all = new ArrayList<>(lines.size());
              lines.forEach(all::add);
              page.lines = new ArrayList<>(orders.size());
              for (Row order : orders) {
                long id = order.getLong(0);
                int from = lowerBound(all, id);
                int to = from;
                while (to < all.size() && all.get(to).getLong(0) == id) {
                  to++;
                }
                page.lines.add(new OrderRepresentation.RowLines(all, from, to, 1));
              }
              return Optional.of(page.represent());
            });
  }

  /**
   * The arguments of a statement of a page's orders or lines by id: the customer, the ids, the
   * lowest and the highest of them.
   */
  public static Tuple byIds(long customerId, Long[] ids) {
    long low = Long.MAX_VALUE;
    long high = Long.MIN_VALUE;
    for (Long id : ids) {
      low = Math.min(low, id);
      high = Math.max(high, id);
    }
    return Tuple.of(customerId, ids, low, high);
  }

  /**
   * Splits the rows of {@link #ordersStatement} into orders and their lines: each order's run of
   * rows (one per line; one with null line columns for an order without lines), whose first row
   * holds the order's columns. {@code lines} null when the rows have no line columns.
   */
  public static void split(
      RowSet<Row> rows, List<Row> orders, @Nullable List<OrderRepresentation.Lines> lines) {
    List<Row> all = new ArrayList<>(rows.size());
    rows.forEach(all::add);
    int from = 0;
    while (from < all.size()) {
      Row first = all.get(from);
      long id = first.getLong(0);
      int to = from + 1;
      while (to < all.size() && all.get(to).getLong(0) == id) {
        to++;
      }
      orders.add(first);
      if (lines != null) {
        boolean none = first.getValue(OrderRepresentation.ORDER_COLUMN_COUNT) == null;
        lines.add(
            new OrderRepresentation.RowLines(
                all, from, none ? from : to, OrderRepresentation.ORDER_COLUMN_COUNT));
      }
      from = to;
    }
  }

  /** A page being assembled. */
  private static final class Page {
    final long customerId;
    final Optional<String> status;
    final int limit;
    final Fields.Selection sel;
    final Format format;
    final boolean oneOff;
    List<Row> orders = List.of();

    /** Each order's lines, in the order of {@link #orders}; null when they are not asked for. */
    @Nullable List<OrderRepresentation.Lines> lines;

    boolean more;
    Optional<String> next = Optional.empty();

    Page(
        long customerId,
        Optional<String> status,
        int limit,
        Fields.Selection sel,
        Format format,
        boolean oneOff) {
      this.customerId = customerId;
      this.status = status;
      this.limit = limit;
      this.sel = sel;
      this.format = format;
      this.oneOff = oneOff;
    }

    /** The orders (and their lines when {@code withLines}) of {@link #ordersStatement}'s rows. */
    void joined(RowSet<Row> rows, boolean withLines) {
      orders = new ArrayList<>(limit);
      lines = withLines ? new ArrayList<>(limit) : null;
      split(rows, orders, lines);
    }

    /**
     * The body, and a tag from what determines it: the orders' ids and versions (lines never
     * change), whether more follow, and the filter, limit and fieldset.
     */
    Representation represent() {
      Tags.PageTag tag =
          new Tags.PageTag()
              .add(customerId)
              .add(status.orElse(""))
              .add(limit)
              .add(sel.top())
              .add(sel.items())
              .add(more ? 1 : 0);
      for (Row order : orders) {
        tag.add(order.getLong(0)).add(order.getInteger(8));
      }
      String opaque = tag.tag("co" + customerId);
      Buffer body = encode(format);
      return oneOff
          ? Representation.oneOff(format, body, opaque, Representation.NO_DATE, next, customerId)
          : Representation.cached(format, body, opaque, Representation.NO_DATE, next, customerId);
    }

    /** The page in {@code format} (protobuf written from the rows, no JSON in between). */
    private Buffer encode(Format format) {
      if (format == Format.PROTOBUF) {
        return OrderProtobuf.page(orders, lines, next, sel);
      }
      List<OrderRepresentation.Lines> byOrder = lines;
      int[] i = {0};
      return Pages.encode(
          format,
          OrderPage.getDefaultInstance(),
          orders,
          next,
          600,
          (gen, order) ->
              OrderRepresentation.write(
                  gen, order, byOrder == null ? NO_LINES : byOrder.get(i[0]++), sel));
    }
  }

  /** For a fieldset without {@code items}, which are then never read. */
  private static final OrderRepresentation.Lines NO_LINES =
      new OrderRepresentation.RowLines(List.of(), 0, 0, 0);

  private static int lowerBound(List<Row> lines, long orderId) {
    int lo = 0;
    int hi = lines.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (lines.get(mid).getLong(0) < orderId) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
