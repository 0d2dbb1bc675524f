package dev.hotpath.store.seed;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@link DataGenerator#seed} inserted, and how long each phase took. Id ranges are inclusive;
 * when nothing was inserted into a table both ends of its range are 0. {@code events} counts the
 * outbox events written for the seeded rows; {@code phaseMillis} holds, in order, the phases that
 * ran among {@code customers}, {@code products}, {@code orders} (orders, lines and events loaded),
 * {@code indexes} (the deferred indexes of orders built), {@code commit} and {@code analyze}.
 */
public record SeedResult(
    long customers,
    long products,
    long orders,
    long orderItems,
    long events,
    long firstCustomerId,
    long lastCustomerId,
    long firstProductId,
    long lastProductId,
    long firstOrderId,
    long lastOrderId,
    long elapsedMillis,
    Map<String, Long> phaseMillis) {

  public SeedResult {
    phaseMillis = Map.copyOf(phaseMillis);
  }

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
        + " rows/s); per table: "
        + TABLES.stream()
            .filter(t -> rows(t) > 0)
            .map(t -> t + " " + rowsPerSecond(t) + " rows/s, ")
            .collect(Collectors.joining())
        + "phases "
        + PHASES.stream()
            .filter(phaseMillis::containsKey)
            .map(p -> p + " " + phaseMillis.get(p))
            .collect(Collectors.joining(", "))
        + " ms";
  }

  private static final List<String> PHASES =
      List.of("customers", "products", "orders", "indexes", "commit", "analyze");
  private static final List<String> TABLES =
      List.of("customers", "products", "orders", "order_items", "events");
  private static final List<String> ORDER_PHASES = List.of("orders", "indexes", "commit");

  /**
   * Rows of {@code table} ({@code customers}, {@code products}, {@code orders}, {@code order_items}
   * or {@code events}) per second of the phases that loaded it: orders, their lines and events load
   * together, until their indexes are built and they are committed.
   */
  public long rowsPerSecond(String table) {
    List<String> phases =
        switch (table) {
          case "customers", "products" -> List.of(table);
          case "orders", "order_items" -> ORDER_PHASES;
          case "events" -> List.of("customers", "orders", "indexes", "commit");
          default -> throw new IllegalArgumentException("not a seeded table: " + table);
        };
    long millis = 0;
    for (String phase : phases) {
      millis += phaseMillis.getOrDefault(phase, 0L);
    }
    return rows(table) * 1000 / Math.max(1, millis);
  }

  private long rows(String table) {
    return switch (table) {
      case "customers" -> customers;
      case "products" -> products;
      case "orders" -> orders;
      case "order_items" -> orderItems;
      default -> events;
    };
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
