package dev.hotpath.store.seed;

/**
 * What {@link DataGenerator#seed} inserted. Id ranges are inclusive; when nothing was inserted into
 * a table both ends of its range are 0.
 */
public record SeedResult(
    long customers,
    long products,
    long orders,
    long orderItems,
    long firstCustomerId,
    long lastCustomerId,
    long firstProductId,
    long lastProductId,
    long firstOrderId,
    long lastOrderId,
    long elapsedMillis) {

  @Override
  public String toString() {
    return customers
        + " customers "
        + range(firstCustomerId, lastCustomerId)
        + ", "
        + products
        + " products "
        + range(firstProductId, lastProductId)
        + ", "
        + orders
        + " orders "
        + range(firstOrderId, lastOrderId)
        + " with "
        + orderItems
        + " items in "
        + elapsedMillis
        + " ms ("
        + ordersPerSecond()
        + " orders/s, "
        + rowsPerSecond()
        + " rows/s)";
  }

  /** Orders inserted per second of the whole run (events and ANALYZE included). */
  public long ordersPerSecond() {
    return orders * 1000 / Math.max(1, elapsedMillis);
  }

  /** Rows of every table inserted per second of the whole run (events not counted). */
  public long rowsPerSecond() {
    return (customers + products + orders + orderItems) * 1000 / Math.max(1, elapsedMillis);
  }

  private static String range(long first, long last) {
    return first == 0 && last == 0 ? "(none)" : "(ids " + first + ".." + last + ")";
  }
}
