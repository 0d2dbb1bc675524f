package dev.hotpath.store.seed;

import dev.hotpath.store.MonthIds;
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

  /**
   * Writes the orders and their lines and returns the number of lines. Order {@code i} gets the id
   * {@code MonthIds.id(created, firstNumber + i)}: it carries the month of its {@code created_at},
   * so it lands in that month's partition (see V12__monthly_partitions.sql).
   */
  static Written write(
      SeedRun run,
      Sink items,
      long firstNumber,
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
    long firstId = 0;
    long lastId = 0;
    for (int i = 0; i < total; i++) {
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
      long id = MonthIds.id(created, firstNumber + i);
      if (i == 0) {
        firstId = id;
      }
      lastId = id;

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
    return new Written(itemRows, firstId, lastId);
  }

  /** What {@link #write} wrote: the number of lines, the first and the last order id. */
  record Written(long items, long firstId, long lastId) {}

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

  /**
   * order.created for every seeded order, then order.cancelled for the cancelled ones, in id order.
   * The seeded orders are, in each month from the first id's to the last id's, those whose numbers
   * are in [firstNumber, lastNumber]: one id range per month (ids of earlier seeds interleave with
   * them month by month, their numbers do not), so each statement reads one partition by its key.
   */
  static void events(Connection conn, long first, long last, long firstNumber, long lastNumber)
      throws SQLException {
    String payload =
        "jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency',"
            + " o.currency, 'total_minor', o.total_minor, 'created_at', o.created_at,"
            + " 'source', 'seed', 'items', i.items)";
    long firstMonth = first >>> MonthIds.NUMBER_BITS;
    long lastMonth = last >>> MonthIds.NUMBER_BITS;
    try (Statement st = conn.createStatement()) {
      for (String type : new String[] {"order.created", "order.cancelled"}) {
        for (long month = firstMonth; month <= lastMonth; month++) {
          long lo = (month << MonthIds.NUMBER_BITS) | firstNumber;
          long hi = (month << MonthIds.NUMBER_BITS) | lastNumber;
          st.execute(
              "INSERT INTO outbox (type, aggregate_id, payload) SELECT '"
                  + type
                  + "', o.id, "
                  + payload
                  + " FROM orders o JOIN (SELECT order_id, jsonb_agg(jsonb_build_object("
                  + "'product_id', product_id, 'quantity', quantity, 'line_total_minor',"
                  + " line_total_minor) ORDER BY line_no) AS items FROM order_items"
                  + " WHERE order_id BETWEEN "
                  + lo
                  + " AND "
                  + hi
                  + " GROUP BY order_id) i ON i.order_id = o.id WHERE o.id BETWEEN "
                  + lo
                  + " AND "
                  + hi
                  + (type.equals("order.cancelled") ? " AND o.status = 'cancelled'" : "")
                  + " ORDER BY o.id");
        }
      }
    }
  }
}
