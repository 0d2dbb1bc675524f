package dev.hotpath.graphql;

import dev.hotpath.edge.auth.Scope;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.serve.OrderReads;
import dev.hotpath.serve.ProductRepresentation;
import dev.hotpath.store.GraphStatements;
import graphql.language.Field;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.DataFetchingFieldSelectionSet;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.dataloader.DataLoader;

/**
 * The fields that read: each takes its keys from its parent and asks a {@link Loaders} batch for
 * them, checking the scope and the owner its REST route checks. A customer or an order the caller
 * may not see is a not-found error, as REST answers 404.
 */
final class Resolvers {
  private static final int MAX_PAGE = 100;
  private static final String PRODUCTS_FIRST =
      GraphStatements.productPage(ProductRepresentation.COLUMNS, false);
  private static final String PRODUCTS_OF_CATEGORY =
      GraphStatements.productPage(ProductRepresentation.COLUMNS, true);

  private Resolvers() {}

  static final DataFetcher<CompletableFuture<Map<String, Object>>> CUSTOMER =
      env -> {
        long id = customerId(env);
        return Resolvers.<Long, Map<String, Object>>loader(env, Loaders.CUSTOMERS)
            .load(id)
            .thenApply(found -> found(found, "Customer " + id));
      };

  /**
   * {@code customer} asked for nothing but its id and orders ({@link PlainQueries}): the same
   * checks, and the id alone, unread. Its orders prove it exists (an order references its
   * customer); without any, whoever runs it must read the customer.
   */
  static final DataFetcher<CompletableFuture<Map<String, Object>>> CUSTOMER_LINK =
      env -> CompletableFuture.completedFuture(Map.of("id", customerId(env)));

  /** The customer's id, once the caller may read it. */
  private static long customerId(DataFetchingEnvironment env) {
    Call call = Call.of(env);
    call.require(Scope.CUSTOMERS_READ, "customer");
    long id = env.<Long>getArgument("id");
    if (!call.principal().mayAccess(id)) {
      throw ProblemException.notFound("Customer " + id);
    }
    return id;
  }

  static final DataFetcher<CompletableFuture<Map<String, Object>>> ORDER =
      env -> {
        Call call = Call.of(env);
        call.require(Scope.ORDERS_READ, "order");
        long id = env.<Long>getArgument("id");
        return Resolvers.<Long, Map<String, Object>>loader(env, Loaders.ORDERS)
            .load(id)
            .thenApply(
                found -> {
                  Map<String, Object> order = found(found, "Order " + id);
                  if (!call.principal()
                      .mayAccess(((Number) order.get("customer_id")).longValue())) {
                    throw ProblemException.notFound("Order " + id);
                  }
                  return order;
                });
      };

  static final DataFetcher<CompletableFuture<Map<String, Object>>> CUSTOMER_ORDERS =
      env -> {
        Call call = Call.of(env);
        call.require(Scope.ORDERS_READ, "orders");
        Map<String, Object> customer = env.getSource();
        long id = ((Number) customer.get("id")).longValue();
        String status = env.getArgument("status");
        if (status != null && !OrderReads.STATUSES.contains(status)) {
          throw ProblemException.invalid("status", "must be one of " + OrderReads.STATUSES);
        }
        int limit = first(env);
        Loaders.PageKey probe = new Loaders.PageKey(id, status, null, limit);
        String after = env.getArgument("after");
        long[] position = after == null ? null : call.cursors().decode(probe.scope(), after, 2);
        return Resolvers.<Loaders.PageKey, Map<String, Object>>loader(env, Loaders.ORDER_PAGES)
            .load(new Loaders.PageKey(id, status, position, limit));
      };

  /**
   * {@code OrderPage.data}: the orders a page holds already (read with the page: by status, or in a
   * batch of pages), or those of its positions, read for the whole level in one statement ({@link
   * Loaders#PAGE_ORDERS}), with their lines when the query asks for them. In the positions' order;
   * an order no longer found is left out, as REST's page leaves it out.
   */
  static final DataFetcher<Object> PAGE_DATA =
      env -> {
        Map<String, Object> page = env.getSource();
        Object data = page.get("data");
        if (data != null) {
          return data;
        }
        Loaders.Positions positions = (Loaders.Positions) page.get(Loaders.POSITIONS);
        boolean withLines = asksForItems(env);
        List<Loaders.PageOrder> keys = new ArrayList<>(positions.ids().length);
        for (Long id : positions.ids()) {
          keys.add(new Loaders.PageOrder(positions.customerId(), id, withLines));
        }
        return Resolvers.<Loaders.PageOrder, Map<String, Object>>loader(env, Loaders.PAGE_ORDERS)
            .loadMany(keys)
            .thenApply(
                orders -> {
                  List<Map<String, Object>> found = new ArrayList<>(orders.size());
                  for (Map<String, Object> order : orders) {
                    if (order != null) {
                      found.add(order);
                    }
                  }
                  return found;
                });
      };

  /**
   * Whether the field (a page's {@code data}) selects its orders' {@code items}: read from the
   * document where it names its fields plainly; with a fragment or a directive, from what
   * graphql-java's selection set makes of them, when it has one (else read, in case).
   */
  private static boolean asksForItems(DataFetchingEnvironment env) {
    for (Field field : env.getMergedField().getFields()) {
      SelectionSet set = field.getSelectionSet();
      if (set == null) {
        continue;
      }
      for (Selection<?> selection : set.getSelections()) {
        if (!(selection instanceof Field child) || !child.getDirectives().isEmpty()) {
          DataFetchingFieldSelectionSet selected = env.getSelectionSet();
          return selected == null || selected.contains("items");
        }
        if (child.getName().equals("items")) {
          return true;
        }
      }
    }
    return false;
  }

  static final DataFetcher<Object> ORDER_ITEMS =
      env -> {
        Map<String, Object> order = env.getSource();
        Object items = order.get("items");
        if (items != null) {
          return items; // an order a write returned, or a page read with them, carries its lines
        }
        long id = ((Number) order.get("id")).longValue();
        long customer = ((Number) order.get("customer_id")).longValue();
        return Resolvers.<Loaders.LinesKey, List<Map<String, Object>>>loader(env, Loaders.LINES)
            .load(new Loaders.LinesKey(id, customer))
            .thenApply(lines -> lines == null ? List.of() : lines);
      };

  static final DataFetcher<CompletableFuture<Map<String, Object>>> ITEM_PRODUCT =
      env -> {
        Map<String, Object> line = env.getSource();
        long id = ((Number) line.get("product_id")).longValue();
        return Resolvers.<Long, Map<String, Object>>loader(env, Loaders.PRODUCTS).load(id);
      };

  static final DataFetcher<CompletableFuture<Map<String, Object>>> PRODUCTS =
      env -> {
        Call call = Call.of(env);
        String category = env.getArgument("category");
        String wrong = category == null ? null : Params.textProblem(category, 64);
        if (wrong != null) {
          // the REST route's rule for ?category= (a NUL reached PostgreSQL and failed the field)
          throw ProblemException.invalid("category", wrong);
        }
        int limit = first(env);
        String scope = "products:" + (category == null ? "" : "=" + category);
        String after = env.getArgument("after");
        long position = after == null ? 0 : call.cursors().decode(scope, after, 1)[0];
        Tuple args = Tuple.tuple();
        Optional.ofNullable(category).ifPresent(args::addString);
        args.addLong(position).addInteger(limit + 1);
        return call.db()
            .run(category == null ? PRODUCTS_FIRST : PRODUCTS_OF_CATEGORY, args)
            .map(
                rows -> {
                  List<Row> list = new ArrayList<>(rows.size());
                  rows.forEach(list::add);
                  String next = null;
                  if (list.size() > limit) {
                    list.remove(list.size() - 1);
                    next = call.cursors().encode(scope, list.get(list.size() - 1).getLong(0));
                  }
                  List<Map<String, Object>> data = new ArrayList<>(list.size());
                  for (Row row : list) {
                    data.add(Nodes.product(row));
                  }
                  Map<String, Object> page = new LinkedHashMap<>(4);
                  page.put("data", data);
                  page.put("next_cursor", next);
                  return page;
                })
            .toCompletionStage()
            .toCompletableFuture();
      };

  /** {@code first}: 1 to 100, as REST's {@code limit}. */
  static int first(DataFetchingEnvironment env) {
    Integer first = env.getArgument("first");
    int limit = first == null ? 20 : first;
    if (limit < 1 || limit > MAX_PAGE) {
      throw ProblemException.invalid("first", "must be between 1 and " + MAX_PAGE);
    }
    return limit;
  }

  private static <K, V> DataLoader<K, V> loader(DataFetchingEnvironment env, String name) {
    DataLoader<K, V> loader = env.getDataLoader(name);
    if (loader == null) {
      throw new IllegalStateException("no data loader " + name);
    }
    return loader;
  }

  private static Map<String, Object> found(Map<String, Object> node, String what) {
    if (node == null) {
      throw ProblemException.notFound(what);
    }
    return node;
  }
}
