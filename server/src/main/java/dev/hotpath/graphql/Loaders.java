package dev.hotpath.graphql;

import dev.hotpath.http.CursorCodec;
import dev.hotpath.serve.CustomerRepresentation;
import dev.hotpath.serve.OrderMonths;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.ProductRepresentation;
import dev.hotpath.serve.Timestamps;
import dev.hotpath.store.GraphStatements;
import dev.hotpath.store.Statements;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderOptions;
import org.dataloader.DataLoaderRegistry;
import org.jspecify.annotations.Nullable;

/**
 * The batch loads of one GraphQL request: every key a level of the query asks for is read in one
 * statement ({@link GraphStatements}), sent when graphql-java dispatches the level. A fresh
 * registry per request, so nothing is cached across requests or principals (the response cache and
 * its invalidation stay the REST routes' business).
 */
final class Loaders {
  static final String CUSTOMERS = "customers";
  static final String ORDERS = "orders";
  static final String LINES = "lines";
  static final String PRODUCTS = "products";
  static final String ORDER_PAGES = "orderPages";
  static final String PAGE_ORDERS = "pageOrders";

  /**
   * Where a page read by its positions alone holds them ({@link Positions}): a key no field of the
   * schema can name, so no answer shows it.
   */
  static final String POSITIONS = "#positions";

  static final String CUSTOMERS_BY_ID =
      GraphStatements.byIds("customers", CustomerRepresentation.COLUMNS);
  static final String ORDERS_BY_ID =
      GraphStatements.byIdsInRange("orders", OrderRepresentation.COLUMNS);
  static final String PRODUCTS_BY_ID =
      GraphStatements.byIds("products", ProductRepresentation.COLUMNS);
  static final String LINES_OF_ORDERS =
      GraphStatements.linesOfOrders(OrderRepresentation.ITEM_COLUMNS);
  static final String ORDER_PAGES_SQL =
      GraphStatements.customerOrderPages(OrderRepresentation.COLUMNS);

  /** Where {@code created_at} is among the order columns. */
  private static final int CREATED_AT = 9;

  private Loaders() {}

  /** One page of a customer's orders, as {@code orders(first, after, status)} asks. */
  record PageKey(long customerId, @Nullable String status, long @Nullable [] after, int limit) {
    @Override
    public boolean equals(Object o) {
      return o instanceof PageKey k
          && k.customerId == customerId
          && java.util.Objects.equals(k.status, status)
          && java.util.Arrays.equals(k.after, after)
          && k.limit == limit;
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(customerId, status, java.util.Arrays.hashCode(after), limit);
    }

    /** The scope of the page's cursors: the same as {@code GET /v1/customers/{id}/orders}'s. */
    String scope() {
      return "orders-of:" + customerId + ":" + (status == null ? "" : status);
    }
  }

  /**
   * The orders of a page read by its positions ({@link #loadPage}): its customer and their ids,
   * newest first. Its orders are read one level down, by {@link #PAGE_ORDERS}.
   */
  record Positions(long customerId, Long[] ids) {}

  /**
   * One order of a page read by its positions, with its lines when {@code withLines} (the query
   * asks for the orders' {@code items}).
   */
  record PageOrder(long customerId, long orderId, boolean withLines) {}

  /** Whether {@code page} (a value of {@code orders}) holds an order. */
  static boolean holdsOrders(@Nullable Object page) {
    return page instanceof Map<?, ?> map
        && (map.get(POSITIONS) instanceof Positions
            || (map.get("data") instanceof List<?> orders && !orders.isEmpty()));
  }

  /** {@code months}: which months a page's orders may be read from by their partitions' names. */
  static DataLoaderRegistry registry(Statements db, CursorCodec cursors, OrderMonths months) {
    DataLoaderOptions options = DataLoaderOptions.newOptions().setCachingEnabled(true).build();
    return DataLoaderRegistry.newRegistry()
        .register(CUSTOMERS, byId(db, CUSTOMERS_BY_ID, false, Nodes::customer, options))
        .register(ORDERS, byId(db, ORDERS_BY_ID, true, Nodes::order, options))
        .register(PRODUCTS, byId(db, PRODUCTS_BY_ID, false, Nodes::product, options))
        .register(LINES, lines(db, options))
        .register(ORDER_PAGES, orderPages(db, cursors, options))
        .register(PAGE_ORDERS, pageOrders(db, months, options))
        .build();
  }

  /**
   * The orders of pages read by their positions. One customer's (a page's, the common case): REST's
   * statement for a page's orders ({@link OrderMonths#ordersStatement}: by the month's partitions
   * when the orders lie in one month), joined with their lines when any key asks for them, so that
   * the {@code items} level sends nothing; several customers': by id through the partitioned table,
   * their lines then read by the {@code items} level.
   */
  private static DataLoader<PageOrder, Map<String, Object>> pageOrders(
      Statements db, OrderMonths months, DataLoaderOptions options) {
    return DataLoaderFactory.newMappedDataLoader(
        (Set<PageOrder> keys) -> {
          long customer = keys.iterator().next().customerId();
          boolean oneCustomer = true;
          boolean withLines = false;
          Set<Long> distinct = new LinkedHashSet<>(keys.size() * 2);
          for (PageOrder key : keys) {
            oneCustomer &= key.customerId() == customer;
            withLines |= key.withLines();
            distinct.add(key.orderId());
          }
          Long[] ids = distinct.toArray(Long[]::new);
          boolean joined = oneCustomer && withLines;
          Future<RowSet<Row>> sent =
              oneCustomer
                  ? db.run(months.ordersStatement(joined, ids), OrderReads.byIds(customer, ids))
                  : db.run(ORDERS_BY_ID, ranged(distinct));
          return sent.map(
                  rows -> {
                    Map<Long, Map<String, Object>> byId = orders(rows, joined, ids.length);
                    Map<PageOrder, Map<String, Object>> found = new HashMap<>(keys.size() * 2);
                    for (PageOrder key : keys) {
                      Map<String, Object> order = byId.get(key.orderId());
                      if (order != null) {
                        found.put(key, order);
                      }
                    }
                    return found;
                  })
              .toCompletionStage();
        },
        options);
  }

  /**
   * Orders by id from rows whose first columns are {@link OrderRepresentation#COLUMNS}; {@code
   * joined}: one row per line, the line's columns after the order's (null for an order without
   * lines), each order then carrying its {@code items}.
   */
  private static Map<Long, Map<String, Object>> orders(
      RowSet<Row> rows, boolean joined, int expected) {
    Map<Long, Map<String, Object>> byId = HashMap.newHashMap(expected);
    Map<String, Object> order = null;
    List<Map<String, Object>> items = null;
    long current = 0;
    for (Row row : rows) {
      long id = row.getLong(0);
      if (order == null || id != current) {
        current = id;
        order = Nodes.order(row);
        byId.put(id, order);
        if (joined) {
          items = new ArrayList<>(4);
          order.put("items", items);
        }
      }
      if (joined && row.getValue(OrderRepresentation.ORDER_COLUMN_COUNT) != null) {
        items.add(Nodes.line(row, OrderRepresentation.ORDER_COLUMN_COUNT));
      }
    }
    return byId;
  }

  /** Rows by id; {@code ranged}: the statement takes the lowest and highest id too. */
  private static DataLoader<Long, Map<String, Object>> byId(
      Statements db,
      String sql,
      boolean ranged,
      Function<Row, Map<String, Object>> node,
      DataLoaderOptions options) {
    return DataLoaderFactory.newMappedDataLoader(
        (Set<Long> ids) ->
            db.run(sql, ranged ? ranged(ids) : Tuple.of((Object) ids.toArray(Long[]::new)))
                .map(
                    rows -> {
                      Map<Long, Map<String, Object>> found = new HashMap<>(rows.size() * 2);
                      for (Row row : rows) {
                        found.put(row.getLong(0), node.apply(row));
                      }
                      return found;
                    })
                .toCompletionStage(),
        options);
  }

  /** The ids, then the lowest and the highest of them. */
  private static Tuple ranged(Set<Long> ids) {
    long low = Long.MAX_VALUE;
    long high = Long.MIN_VALUE;
    for (long id : ids) {
      low = Math.min(low, id);
      high = Math.max(high, id);
    }
    return Tuple.of(ids.toArray(Long[]::new), low, high);
  }

  /** The lines of one order, keyed by the order and its customer (the shard key). */
  record LinesKey(long orderId, long customerId) {}

  /** Lines by order: every order's lines, in line order (an order has at least one). */
  private static DataLoader<LinesKey, List<Map<String, Object>>> lines(
      Statements db, DataLoaderOptions options) {
    return DataLoaderFactory.newMappedDataLoader(
        (Set<LinesKey> keys) -> {
          Map<Long, LinesKey> byId = new HashMap<>(keys.size() * 2);
          Long[] orders = new Long[keys.size()];
          Long[] customers = new Long[keys.size()];
          int i = 0;
          long low = Long.MAX_VALUE;
          long high = Long.MIN_VALUE;
          boolean oneCustomer = true;
          for (LinesKey key : keys) {
            byId.put(key.orderId(), key);
            orders[i] = key.orderId();
            customers[i] = key.customerId();
            oneCustomer &= key.customerId() == customers[0];
            low = Math.min(low, key.orderId());
            high = Math.max(high, key.orderId());
            i++;
          }
          // one customer's orders (a page's): the REST page's own statement for their lines
          Future<RowSet<Row>> sent =
              oneCustomer
                  ? db.run(OrderReads.linesStatement(), Tuple.of(customers[0], orders, low, high))
                  : db.run(LINES_OF_ORDERS, Tuple.of(orders, customers, low, high));
          return sent.map(
                  rows -> {
                    Map<LinesKey, List<Map<String, Object>>> byOrder = new HashMap<>();
                    for (Row row : rows) {
                      byOrder
                          .computeIfAbsent(byId.get(row.getLong(0)), k -> new ArrayList<>())
                          .add(Nodes.line(row, 1));
                    }
                    return byOrder;
                  })
              .toCompletionStage();
        },
        options);
  }

  private static DataLoader<PageKey, Map<String, Object>> orderPages(
      Statements db, CursorCodec cursors, DataLoaderOptions options) {
    return DataLoaderFactory.newMappedDataLoader(
        (Set<PageKey> keys) -> loadPages(db, cursors, List.copyOf(keys)), options);
  }

  private static CompletionStage<Map<PageKey, Map<String, Object>>> loadPages(
      Statements db, CursorCodec cursors, List<PageKey> keys) {
    if (keys.size() == 1) {
      return loadPage(db, cursors, keys.get(0));
    }
    int n = keys.size();
    Long[] customers = new Long[n];
    String[] statuses = new String[n];
    OffsetDateTime[] afterAt = new OffsetDateTime[n];
    Long[] afterId = new Long[n];
    Integer[] limits = new Integer[n];
    for (int i = 0; i < n; i++) {
      PageKey key = keys.get(i);
      customers[i] = key.customerId();
      statuses[i] = key.status();
      long[] after = key.after();
      afterAt[i] = after == null ? null : Timestamps.fromMicros(after[0]);
      afterId[i] = after == null ? null : after[1];
      // one row more than the page: whether another page follows
      limits[i] = key.limit() + 1;
    }
    Tuple args =
        Tuple.tuple()
            .addArrayOfLong(customers)
            .addArrayOfString(statuses)
            .addArrayOfOffsetDateTime(afterAt)
            .addArrayOfLong(afterId)
            .addArrayOfInteger(limits);
    return db.run(ORDER_PAGES_SQL, args)
        .map(rows -> pages(rows, keys, cursors, OrderRepresentation.ORDER_COLUMN_COUNT))
        .toCompletionStage();
  }

  /**
   * One key, the common case. Without a status filter, REST's page: its positions in {@code
   * orders_by_customer} ({@link OrderReads#keysStatement}), the orders themselves read one level
   * down ({@link #PAGE_ORDERS}) as REST's second statement reads them; with one, the REST route's
   * own statement for the page, which PostgreSQL runs for less than the batch statement (no arrays
   * to unnest, no lateral join: 189 against 297 us of its CPU a page of 5, measured on the demo
   * data).
   */
  private static CompletionStage<Map<PageKey, Map<String, Object>>> loadPage(
      Statements db, CursorCodec cursors, PageKey key) {
    long[] position = key.after();
    Tuple args = Tuple.of(key.customerId());
    if (key.status() != null) {
      args.addString(key.status());
    }
    if (position != null) {
      args.addOffsetDateTime(Timestamps.fromMicros(position[0])).addLong(position[1]);
    }
    args.addInteger(key.limit() + 1);
    if (key.status() != null) {
      return db.run(OrderReads.statusPageStatement(position != null), args)
          .map(rows -> pages(rows, List.of(key), cursors, -1))
          .toCompletionStage();
    }
    return db.run(OrderReads.keysStatement(position != null), args)
        .map(rows -> Map.of(key, positions(rows, key, cursors)))
        .toCompletionStage();
  }

  /** The page of the rows of {@link OrderReads#keysStatement} ({@code created_at, order_id}). */
  private static Map<String, Object> positions(RowSet<Row> rows, PageKey key, CursorCodec cursors) {
    int n = Math.min(rows.size(), key.limit());
    Long[] ids = new Long[n];
    String next = null;
    Row last = null;
    int i = 0;
    for (Row row : rows) {
      if (i == n) {
        // one row more than the page: another page follows, after the page's last
        next =
            cursors.encode(
                key.scope(), Timestamps.micros(last.getOffsetDateTime(0)), last.getLong(1));
        break;
      }
      ids[i++] = row.getLong(1);
      last = row;
    }
    Map<String, Object> page = new LinkedHashMap<>(4);
    if (n == 0) {
      page.put("data", List.of());
    } else {
      page.put(POSITIONS, new Positions(key.customerId(), ids));
    }
    page.put("next_cursor", next);
    return page;
  }

  /**
   * Rows come key by key (the key's position, from 1, in column {@code position}; all the one key's
   * when it is negative), newest first.
   */
  private static Map<PageKey, Map<String, Object>> pages(
      RowSet<Row> rows, List<PageKey> keys, CursorCodec cursors, int position) {
    List<List<Row>> byKey = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      byKey.add(new ArrayList<>());
    }
    for (Row row : rows) {
      byKey.get(position < 0 ? 0 : (int) row.getLong(position).longValue() - 1).add(row);
    }
    Map<PageKey, Map<String, Object>> pages = new HashMap<>(keys.size() * 2);
    for (int i = 0; i < keys.size(); i++) {
      PageKey key = keys.get(i);
      List<Row> page = byKey.get(i);
      String next = null;
      if (page.size() > key.limit()) {
        page.remove(page.size() - 1);
        Row last = page.get(page.size() - 1);
        next =
            cursors.encode(
                key.scope(),
                Timestamps.micros(last.getOffsetDateTime(CREATED_AT)),
                last.getLong(0));
      }
      List<Map<String, Object>> data = new ArrayList<>(page.size());
      for (Row row : page) {
        data.add(Nodes.order(row));
      }
      Map<String, Object> result = new LinkedHashMap<>(4);
      result.put("data", data);
      result.put("next_cursor", next);
      pages.put(key, result);
    }
    return pages;
  }
}
