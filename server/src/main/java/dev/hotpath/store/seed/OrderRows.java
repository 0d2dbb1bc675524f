package dev.hotpath.store.seed;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.SplittableRandom;

/**
 * The seeded orders and their lines: customers and products drawn with Zipf skew, prices from the
 * catalogue; then an {@code order.created} event for each, and {@code order.cancelled} for the
 * cancelled ones.
 */
final class OrderRows {
  /** Zipf exponents: rank k is chosen with weight 1 / k^s. */
  static final double CUSTOMER_SKEW = 0.8;

  static final double PRODUCT_SKEW = 0.9;
  private static final String COPY_ORDERS =
      "COPY orders (id, customer_id, status, currency, subtotal_minor, total_minor, item_count,"
          + " shipping_address, version, created_at, updated_at) FROM STDIN";
  private static final String COPY_ITEMS =
      "COPY order_items (order_id, line_no, product_id, product_name, unit_price_minor, quantity,"
          + " line_total_minor) FROM STDIN";

  private OrderRows() {}

  static long write(
      SeedRun run,
      Sink items,
      long firstId,
      long firstCustomer,
      ProductRows.Catalog catalog,
      SplittableRandom random)
      throws SQLException {
    SeedPlan plan = run.plan();
    Sink orders = run.sink();
    int total = plan.orders();
    Sampler customers = Sampler.zipf(plan.customers(), CUSTOMER_SKEW, random);
    Sampler products = Sampler.zipf(catalog.size(), PRODUCT_SKEW, random);
    Addresses addresses = new Addresses(plan.seed());
    int[] lineProduct = new int[5];
    int[] lineQuantity = new int[5];
    long itemRows = 0;
    long previousCreated = Long.MIN_VALUE;
    for (int i = 0; i < total; i++) {
      long id = firstId + i;
      long customerId = firstCustomer + customers.sample(random);
      int lines = Math.min(lineCount(random.nextInt(100)), catalog.size());
      int status = random.nextInt(100);
      long subtotal = 0;
      for (int line = 0; line < lines; line++) {
        int product = distinctProduct(products, random, lineProduct, line);
        int quantity = quantity(random.nextInt(10));
        lineProduct[line] = product;
        lineQuantity[line] = quantity;
        subtotal += catalog.prices()[product] * quantity;
      }
      long created = Math.max(SeedRun.spread(i, total, random), previousCreated + 1);
      previousCreated = created;

      orders.num(id).tab().num(customerId).tab();
      orders
          .raw(
              status < 70
                  ? Words.DELIVERED
                  : status < 80
                      ? Words.SHIPPED
                      : status < 88 ? Words.PAID : status < 95 ? Words.PLACED : Words.CANCELLED)
          .tab();
      orders.raw(Words.USD).tab().num(subtotal).tab().num(subtotal).tab().num(lines).tab();
      addresses.shippingAddress(orders, customerId);
      orders.tab().raw(Words.VERSION_1).ts(created).tab().ts(created).nl();

      for (int line = 0; line < lines; line++) {
        int product = lineProduct[line];
        long price = catalog.prices()[product];
        items.num(id).tab().num(line + 1).tab().num(catalog.firstId() + product).tab();
        items
            .raw(catalog.names()[product])
            .tab()
            .num(price)
            .tab()
            .num(lineQuantity[line])
            .tab()
            .num(price * lineQuantity[line])
            .nl();
      }
      itemRows += lines;

      if (CopyBatches.due(i + 1, total)) {
        run.out().send(COPY_ORDERS, orders);
        run.out().send(COPY_ITEMS, items);
        run.out().report("orders", i + 1, total);
      }
    }
    return itemRows;
  }

  /** 1 to 5 lines per order, mostly 1 to 3 (mean 2.2). */
  private static int lineCount(int percent) {
    if (percent < 35) {
      return 1;
    }
    if (percent < 65) {
      return 2;
    }
    if (percent < 85) {
      return 3;
    }
    return percent < 95 ? 4 : 5;
  }

  private static int quantity(int tenth) {
    return tenth < 7 ? 1 : tenth < 9 ? 2 : 3;
  }

  /** A product (index) not among {@code chosen[0..count)}; needs count < number of products. */
  private static int distinctProduct(
      Sampler products, SplittableRandom random, int[] chosen, int count) {
    for (int attempt = 0; attempt < 32; attempt++) {
      int candidate = products.sample(random);
      if (!contains(chosen, count, candidate)) {
        return candidate;
      }
    }
    // pathological skew or tiny catalogue: take the next unused index
    int candidate = products.sample(random);
    while (contains(chosen, count, candidate)) {
      candidate = (candidate + 1) % products.size();
    }
    return candidate;
  }

  private static boolean contains(int[] values, int count, int value) {
    for (int i = 0; i < count; i++) {
      if (values[i] == value) {
        return true;
      }
    }
    return false;
  }

  /** order.created for every seeded order, then order.cancelled for the cancelled ones. */
  static void events(Connection conn, long first, long last) throws SQLException {
    String orders =
        " FROM orders o JOIN (SELECT order_id, jsonb_agg(jsonb_build_object('product_id',"
            + " product_id, 'quantity', quantity, 'line_total_minor', line_total_minor)"
            + " ORDER BY line_no) AS items FROM order_items WHERE order_id BETWEEN "
            + first
            + " AND "
            + last
            + " GROUP BY order_id) i ON i.order_id = o.id WHERE o.id BETWEEN "
            + first
            + " AND "
            + last;
    String payload =
        "jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency',"
            + " o.currency, 'total_minor', o.total_minor, 'created_at', o.created_at,"
            + " 'source', 'seed', 'items', i.items)";
    try (Statement st = conn.createStatement()) {
      st.execute(
          "INSERT INTO outbox (type, aggregate_id, payload) SELECT 'order.created', o.id, "
              + payload
              + orders
              + " ORDER BY o.id");
      st.execute(
          "INSERT INTO outbox (type, aggregate_id, payload) SELECT 'order.cancelled', o.id, "
              + payload
              + orders
              + " AND o.status = 'cancelled' ORDER BY o.id");
    }
  }
}
