package dev.hotpath.store;

/**
 * The statements that change an order's stock and state from more than one place: the cancellation
 * (ingest) and the declined-payment job (compute) take an order back alike, and lock in the same
 * order, so the two never deadlock.
 */
public final class OrderStatements {
  private OrderStatements() {}

  /**
   * Locks order {@code $1}. Whatever takes an order's stock back locks the order first, then its
   * products ({@link #LOCK_PRODUCTS}): the cancellation and the declined-payment job both, so the
   * two never wait on each other in a cycle.
   */
  public static final String LOCK_ORDER =
      "SELECT status, version, customer_id FROM orders WHERE id = $1 FOR UPDATE";

  /**
   * Locks the products of order {@code $1} in id order, as the order placement takes them, so that
   * taking an order back never deadlocks with placing one.
   */
  public static final String LOCK_PRODUCTS =
      "SELECT id FROM products WHERE id IN (SELECT product_id FROM order_items WHERE order_id = $1)"
          + " ORDER BY id FOR UPDATE";

  private static final String ITEMS_JSON =
      "(SELECT jsonb_agg(jsonb_build_object('product_id', product_id, 'quantity', quantity,"
          + " 'line_total_minor', line_total_minor) ORDER BY line_no)"
          + " FROM order_items WHERE order_id = $1)";

  /**
   * The CTEs {@code s} and {@code e} that take back order {@code $1}, after a CTE {@code o} that
   * changed it (returning {@code id}, {@code customer_id} and {@code updated_at}; nothing is taken
   * back when {@code o} changed no row): its stock is put back and {@code order.cancelled}
   * appended, with {@code cancelled_at} and {@code moreFields} (key/value pairs, each led by a
   * comma, or empty) in the event. Lock the products first with {@link #LOCK_PRODUCTS}.
   */
  public static String takeBack(String moreFields) {
    return takeBack(moreFields, "NULL");
  }

  /**
   * As {@link #takeBack(String)}, the event carrying the {@code traceParent} SQL expression (see
   * {@link Outbox#append(String, String, String, String, String)}).
   */
  public static String takeBack(String moreFields, String traceParent) {
    return " s AS (UPDATE products p SET stock = p.stock + i.quantity, version = p.version + 1,"
        // i.order_id = $1 as well: the generic plan then reads the lines of the order's month
        // alone, instead of setting up a probe of every month's lines
        + " updated_at = now() FROM order_items i, o WHERE i.order_id = o.id"
        + " AND i.customer_id = o.customer_id AND i.order_id = $1 AND p.id = i.product_id),"
        + " e AS ("
        + Outbox.append(
            Outbox.ORDER_CANCELLED,
            "o",
            "o.id",
            Outbox.orderPayload("o", "api", ITEMS_JSON)
                + " || jsonb_build_object('cancelled_at', o.updated_at"
                + moreFields
                + ")",
            traceParent)
        + ")";
  }
}
