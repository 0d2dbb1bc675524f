package dev.hotpath.load;

/**
 * The ids the traffic draws from: customers, products and orders 1..N (the seed generator numbers
 * rows from 1), and how skewed the choice is (Zipf exponent; 0 is uniform).
 */
public record IdSpace(int customers, int products, int orders, double skew) {
  /** The demo data set of {@code ./hotpath serve --demo}. */
  public static final IdSpace DEMO = new IdSpace(10_000, 1_000, 200_000, 0.99);

  public IdSpace {
    if (customers < 1 || products < 1 || orders < 1) {
      throw new IllegalArgumentException(
          "customers, products and orders must be >= 1, were "
              + customers
              + ", "
              + products
              + ", "
              + orders);
    }
    if (skew < 0 || skew > 3) {
      throw new IllegalArgumentException("skew must be within 0..3, was " + skew);
    }
  }

  @Override
  public String toString() {
    return "customers 1.."
        + customers
        + ", products 1.."
        + products
        + ", orders 1.."
        + orders
        + " (Zipf "
        + skew
        + ")";
  }
}
