package dev.hotpath.store;

/**
 * The statements of the GraphQL endpoint: each reads the rows of many parents at once ({@code =
 * ANY($1)}, or a LATERAL page per key), so that a query costs one statement per field level however
 * many rows the level holds. Column lists come from the caller (the representation that encodes the
 * rows), so that the rows have the REST routes' shape.
 */
public final class GraphStatements {
  private GraphStatements() {}

  /** The rows of {@code table} whose id is in {@code $1} (bigint[]), in no particular order. */
  public static String byIds(String table, String columns) {
    return "SELECT " + columns + " FROM " + table + " WHERE id = ANY($1)";
  }

  /**
   * As {@link #byIds}, for a table partitioned by id ranges (orders: the id carries its month,
   * V12), with the lowest and highest of the ids as {@code $2} and {@code $3}: PostgreSQL cannot
   * prune partitions by an array parameter, so without the range the generic plan opens every month
   * to probe it; with it, only the months between.
   */
  public static String byIdsInRange(String table, String columns) {
    return byIds(table, columns) + " AND id BETWEEN $2 AND $3";
  }

  /**
   * The lines of the orders in {@code $1} (bigint[]), whose customers are in {@code $2} (bigint[]),
   * the lowest and highest of the orders {@code $3} and {@code $4} (so that only their months are
   * opened, as {@link #byIdsInRange}): {@code order_id}, then {@code itemColumns}, by order and
   * line number. The customers name the shard key (a line carries its order's customer, V13), so a
   * database distributed by customer asks only their shards; on one node it filters rows the
   * primary key already found.
   */
  public static String linesOfOrders(String itemColumns) {
    return "SELECT order_id, "
        + itemColumns
        + " FROM order_items WHERE order_id = ANY($1) AND customer_id = ANY($2)"
        + " AND order_id BETWEEN $3 AND $4 ORDER BY order_id, line_no";
  }

  /**
   * One page of orders per key, in one statement: key {@code k} (its position in the arrays, from
   * 1) is customer {@code $1[k]}, status {@code $2[k]} (null: any), after the position ({@code
   * $3[k]} created_at, {@code $4[k]} id; nulls: from the top), at most {@code $5[k]} rows, newest
   * first as {@code GET /v1/customers/{id}/orders} pages them. Returns {@code columns}, then the
   * key's position; each key's page is one range scan of {@code orders_customer_created}.
   */
  public static String customerOrderPages(String columns) {
    return "SELECT o.*, k.n FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::bigint[],"
        + " $5::int[]) WITH ORDINALITY AS k(customer_id, status, after_at, after_id, lim, n)"
        + " CROSS JOIN LATERAL (SELECT "
        + columns
        + " FROM orders WHERE customer_id = k.customer_id"
        + " AND (k.status IS NULL OR status = k.status)"
        + " AND (created_at, id) < (COALESCE(k.after_at, 'infinity'),"
        + " COALESCE(k.after_id, 9223372036854775807))"
        + " ORDER BY created_at DESC, id DESC LIMIT k.lim) o"
        + " ORDER BY k.n, o.created_at DESC, o.id DESC";
  }

  /**
   * Products by id after {@code $1} (0: from the start), at most {@code $2} rows, or with {@code
   * byCategory} only category {@code $1}, after {@code $2}, at most {@code $3}: {@code GET
   * /v1/products}'s pages, each one range scan.
   */
  public static String productPage(String columns, boolean byCategory) {
    String select = "SELECT " + columns + " FROM products WHERE ";
    return byCategory
        ? select + "category = $1 AND id > $2 ORDER BY id LIMIT $3"
        : select + "id > $1 ORDER BY id LIMIT $2";
  }
}
