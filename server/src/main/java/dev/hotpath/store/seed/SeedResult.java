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
        + " ms";
  }

  private static String range(long first, long last) {
    return first == 0 && last == 0 ? "(none)" : "(ids " + first + ".." + last + ")";
  }
}
