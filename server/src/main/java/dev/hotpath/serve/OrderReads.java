package dev.hotpath.serve;

import dev.hotpath.edge.CursorCodec;
import dev.hotpath.edge.Fields;
import dev.hotpath.edge.JsonOutput;
import dev.hotpath.edge.Params;
import dev.hotpath.edge.ProblemException;
import dev.hotpath.edge.Responses;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Read routes of orders. One order is one indexed query (the order joined with its lines); a page
 * of a customer's orders is two queries whatever its size: the page, then all its lines.
 */
public final class OrderReads {
  /** The order and its lines as one result; order columns first, line columns from 11. */
  public static final String ORDER_WITH_LINES =
      "SELECT o.id, o.customer_id, o.status, o.currency, o.subtotal_minor, o.total_minor, o.item_count,"
          + " o.shipping_address::text, o.version, o.created_at, o.updated_at,"
          + " i.line_no, i.product_id, i.product_name, i.unit_price_minor, i.quantity, i.line_total_minor"
          + " FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = $1 ORDER BY i.line_no";

  private static final String PAGE =
      "SELECT " + OrderRepresentation.COLUMNS + " FROM orders WHERE customer_id = $1";
  private static final String ORDER_BY = " ORDER BY created_at DESC, id DESC LIMIT ";
  private static final String PAGE_FIRST = PAGE + ORDER_BY + "$2";
  private static final String PAGE_NEXT =
      PAGE + " AND (created_at, id) < ($2, $3)" + ORDER_BY + "$4";
  private static final String PAGE_STATUS_FIRST = PAGE + " AND status = $2" + ORDER_BY + "$3";
  private static final String PAGE_STATUS_NEXT =
      PAGE + " AND status = $2 AND (created_at, id) < ($3, $4)" + ORDER_BY + "$5";
  private static final String LINES_OF_PAGE =
      "SELECT order_id, "
          + OrderRepresentation.ITEM_COLUMNS
          + " FROM order_items WHERE order_id = ANY($1) ORDER BY order_id, line_no";
  private static final String CUSTOMER_EXISTS = "SELECT 1 FROM customers WHERE id = $1";

  private static final Set<String> GET_PARAMS = Set.of("fields");
  private static final Set<String> LIST_PARAMS = Set.of("fields", "limit", "cursor", "status");
  static final Set<String> STATUSES = Set.of("placed", "paid", "shipped", "delivered", "cancelled");

  private final Pool pool;
  private final CursorCodec cursors;

  public OrderReads(Pool pool, CursorCodec cursors) {
    this.pool = pool;
    this.cursors = cursors;
  }

  public void get(RoutingContext ctx) {
    Params params = Params.of(ctx, GET_PARAMS);
    long id = params.pathId("id");
    Fields.Selection sel = params.fields(OrderRepresentation.FIELDS);
    params.check();
    pool.preparedQuery(ORDER_WITH_LINES)
        .execute(Tuple.of(id))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else if (ar.result().size() == 0) {
                ctx.fail(ProblemException.notFound("Order " + id));
              } else {
                Responses.json(ctx, 200, encodeJoined(ar.result(), sel));
              }
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

  public void listForCustomer(RoutingContext ctx) {
    Params params = Params.of(ctx, LIST_PARAMS);
    long customerId = params.pathId("id");
    Optional<String> status = params.oneOf("status", STATUSES);
    int limit = params.limit();
    Fields.Selection sel = params.fields(OrderRepresentation.FIELDS);
    Optional<String> cursor = params.string("cursor");
    params.check();
    String scope = "orders-of:" + customerId + ":" + status.orElse("");
    long[] after = cursor.map(c -> cursors.decode(scope, c, 2)).orElse(null);

    String sql;
    Tuple args = Tuple.of(customerId);
    status.ifPresent(args::addString);
    if (after == null) {
      sql = status.isPresent() ? PAGE_STATUS_FIRST : PAGE_FIRST;
    } else {
      sql = status.isPresent() ? PAGE_STATUS_NEXT : PAGE_NEXT;
      args.addOffsetDateTime(Timestamps.fromMicros(after[0])).addLong(after[1]);
    }
    args.addInteger(limit + 1);

    pool.preparedQuery(sql)
        .execute(args)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
              }
              List<Row> orders = new ArrayList<>(ar.result().size());
              ar.result().forEach(orders::add);
              boolean more = orders.size() > limit;
              if (more) {
                orders.remove(orders.size() - 1);
              }
              Optional<String> next = Optional.empty();
              if (more) {
                Row last = orders.get(orders.size() - 1);
                next =
                    Optional.of(
                        cursors.encode(
                            scope, Timestamps.micros(last.getOffsetDateTime(9)), last.getLong(0)));
              }
              if (orders.isEmpty()) {
                answerEmpty(ctx, customerId, after != null);
              } else if (!sel.has(8)) {
                sendPage(ctx, orders, List.of(), sel, next);
              } else {
                Long[] ids = new Long[orders.size()];
                for (int i = 0; i < ids.length; i++) {
                  ids[i] = orders.get(i).getLong(0);
                }
                Optional<String> nextCursor = next;
                pool.preparedQuery(LINES_OF_PAGE)
                    .execute(Tuple.of(ids))
                    .onComplete(
                        lr -> {
                          if (lr.failed()) {
                            ctx.fail(lr.cause());
                            return;
                          }
                          List<Row> lines = new ArrayList<>(lr.result().size());
                          lr.result().forEach(lines::add);
                          sendPage(ctx, orders, lines, sel, nextCursor);
                        });
              }
            });
  }

  /** An empty first page means either a customer without orders or no such customer. */
  private void answerEmpty(RoutingContext ctx, long customerId, boolean hadCursor) {
    if (hadCursor) {
      sendPage(ctx, List.of(), List.of(), OrderRepresentation.FIELDS.all(), Optional.empty());
      return;
    }
    pool.preparedQuery(CUSTOMER_EXISTS)
        .execute(Tuple.of(customerId))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else if (ar.result().size() == 0) {
                ctx.fail(ProblemException.notFound("Customer " + customerId));
              } else {
                sendPage(
                    ctx, List.of(), List.of(), OrderRepresentation.FIELDS.all(), Optional.empty());
              }
            });
  }

  /** Lines are sorted by order id; each order finds its run by id. */
  private static void sendPage(
      RoutingContext ctx,
      List<Row> orders,
      List<Row> lines,
      Fields.Selection sel,
      Optional<String> next) {
    Buffer body =
        JsonOutput.write(
            256 + 600 * orders.size(),
            gen -> {
              gen.writeStartObject();
              gen.writeArrayFieldStart("data");
              for (Row order : orders) {
                long id = order.getLong(0);
                int from = lowerBound(lines, id);
                int to = from;
                while (to < lines.size() && lines.get(to).getLong(0) == id) {
                  to++;
                }
                OrderRepresentation.write(
                    gen, order, new OrderRepresentation.RowLines(lines, from, to, 1), sel);
              }
              gen.writeEndArray();
              gen.writeFieldName("next_cursor");
              if (next.isPresent()) {
                gen.writeString(next.get());
              } else {
                gen.writeNull();
              }
              gen.writeEndObject();
            });
    Responses.page(ctx, body, next);
  }

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
