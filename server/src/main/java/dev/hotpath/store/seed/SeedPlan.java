package dev.hotpath.store.seed;

/**
 * How much data {@link DataGenerator#seed} adds, and the seed that makes it reproducible: the same
 * plan applied to the same starting state produces exactly the same rows.
 *
 * <p>Orders are placed by this run's customers and contain this run's products, so a plan with
 * orders needs at least one of each.
 */
public record SeedPlan(int customers, int products, int orders, long seed) {

  public SeedPlan {
    if (customers < 0) {
      throw new IllegalArgumentException("customers must be >= 0, was " + customers);
    }
    if (products < 0) {
      throw new IllegalArgumentException("products must be >= 0, was " + products);
    }
    if (orders < 0) {
      throw new IllegalArgumentException("orders must be >= 0, was " + orders);
    }
    if (orders > 0 && customers < 1) {
      throw new IllegalArgumentException(
          "customers must be >= 1 when orders > 0, was " + customers + " (orders " + orders + ")");
    }
    if (orders > 0 && products < 1) {
      throw new IllegalArgumentException(
          "products must be >= 1 when orders > 0, was " + products + " (orders " + orders + ")");
    }
  }
}
