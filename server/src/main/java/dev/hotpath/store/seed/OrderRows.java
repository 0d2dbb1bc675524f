package dev.hotpath.store.seed;

import static dev.hotpath.store.seed.Ascii.ascii;

import dev.hotpath.store.MonthIds;
import java.sql.SQLException;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The seeded orders and their lines: customers and products drawn with Zipf skew, prices from the
 * catalogue; an {@code order.created} event for each, and {@code order.cancelled} for the cancelled
 * ones, written with them.
 */
final class OrderRows {
  /** Zipf exponents: rank k is chosen with weight 1 / k^s. */
  static final double CUSTOMER_SKEW = 0.8;

  static final double PRODUCT_SKEW = 0.9;
  static final String COPY_ORDERS =
      "COPY orders (id, customer_id, status, currency, subtotal_minor, total_minor, item_count,"
          + " shipping_address, version, created_at, updated_at) FROM STDIN";
  static final String COPY_ITEMS =
      "COPY order_items (customer_id, order_id, line_no, product_id, product_name,"
          + " unit_price_minor, quantity, line_total_minor) FROM STDIN";
  static final String COPY_EVENTS = "COPY outbox (id, type, aggregate_id, payload) FROM STDIN";

  // the event payload, as jsonb_build_object writes it for the API's order.created (source seed)
  private static final byte[] ORDER_CREATED = ascii("order.created\t");
  private static final byte[] ORDER_CANCELLED = ascii("order.cancelled\t");
  private static final byte[] J_ORDER_ID = ascii("{\"order_id\": ");
  private static final byte[] J_CUSTOMER_ID = ascii(", \"customer_id\": ");
  private static final byte[] J_TOTAL = ascii(", \"currency\": \"USD\", \"total_minor\": ");
  private static final byte[] J_CREATED_AT = ascii(", \"created_at\": \"");
  private static final byte[] J_ITEMS = ascii("\", \"source\": \"seed\", \"items\": [");
  private static final byte[] J_PRODUCT_ID = ascii("{\"product_id\": ");
  private static final byte[] J_NEXT_PRODUCT_ID = ascii(", {\"product_id\": ");
  private static final byte[] J_QUANTITY = ascii(", \"quantity\": ");
  private static final byte[] J_LINE_TOTAL = ascii(", \"line_total_minor\": ");
  private static final byte[] J_END = ascii("]}");

  private OrderRows() {}

  /**
   * Writes the orders, their lines and their events, each table into its own stream, and returns
   * what it wrote. Order {@code i} gets the id {@code MonthIds.id(created, firstNumber + i)}: it
   * carries the month of its {@code created_at}, so it lands in that month's partition (see
   * V12__monthly_partitions.sql). Its {@code order.created} event gets the id {@code
   * events.created(i)}, and, when the order is cancelled, the k-th such order's {@code
   * order.cancelled} event the id {@code events.cancelled(k)}: in id order, the log has every
   * order.created in order id order, then every order.cancelled.
   */
  static Written write(
      SeedRun run,
      Out out,
      long firstNumber,
      long firstCustomer,
      ProductRows.Catalog catalog,
      EventIds events,
      SplittableRandom random)
      throws SQLException {
    SeedPlan plan = run.plan();
    Sink orders = out.orders().rows();
    Sink items = out.items().rows();
    Sink log = out.events().rows();
    int total = plan.orders();
    Sampler customers = Sampler.zipf(plan.customers(), CUSTOMER_SKEW, random);
    Sampler products = Sampler.zipf(catalog.size(), PRODUCT_SKEW, random);
    Addresses addresses = new Addresses(plan.seed());
    int[] lineProduct = new int[5];
    int[] lineQuantity = new int[5];
    long itemRows = 0;
    int cancelled = 0;
    long previousCreated = Long.MIN_VALUE;
    long firstId = 0;
    long lastId = 0;
    long batchMonth = -1;
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
      long month = id >>> MonthIds.NUMBER_BITS;
      if (month != batchMonth) {
        if (orders.len > 0) {
          orders = out.orders().send(intoPartition(COPY_ORDERS, "orders", batchMonth), NOTHING);
          items = out.items().send(intoPartition(COPY_ITEMS, "order_items", batchMonth), NOTHING);
        }
        batchMonth = month;
      }

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

      log.num(events.created(i)).tab().raw(ORDER_CREATED).num(id).tab();
      int payload = log.len;
      log.raw(J_ORDER_ID).num(id).raw(J_CUSTOMER_ID).num(customerId);
      log.raw(J_TOTAL).num(subtotal).raw(J_CREATED_AT).isoTs(created).raw(J_ITEMS);
      for (int line = 0; line < lines; line++) {
        int product = lineProduct[line];
        long price = catalog.prices()[product];
        long productId = catalog.firstId() + product;
        long lineTotal = price * lineQuantity[line];
        items.num(customerId).tab().num(id).tab().num(line + 1).tab().num(productId).tab();
        items
            .raw(catalog.names()[product])
            .tab()
            .num(price)
            .tab()
            .num(lineQuantity[line])
            .tab()
            .num(lineTotal)
            .nl();
        log.raw(line == 0 ? J_PRODUCT_ID : J_NEXT_PRODUCT_ID).num(productId);
        log.raw(J_QUANTITY).num(lineQuantity[line]).raw(J_LINE_TOTAL).num(lineTotal).ch('}');
      }
      log.raw(J_END);
      int payloadEnd = log.len;
      log.nl();
      if (status >= 95) {
        log.num(events.cancelled(cancelled++)).tab().raw(ORDER_CANCELLED).num(id).tab();
        log.copy(payload, payloadEnd).nl();
      }
      itemRows += lines;

      if (run.due(i + 1, total)) {
        orders =
            out.orders()
                .send(
                    intoPartition(COPY_ORDERS, "orders", batchMonth),
                    run.report("orders", i + 1, total));
        items = out.items().send(intoPartition(COPY_ITEMS, "order_items", batchMonth), NOTHING);
        log = out.events().send(NOTHING);
      }
    }
    return new Written(itemRows, firstId, lastId, total + cancelled);
  }

  private static final Runnable NOTHING = () -> {};

  /**
   * {@code copy} into the partition of {@code table} for {@code monthKey} rather than into the
   * partitioned table: the rows of a batch are all of one month, so PostgreSQL need not route them
   * one by one. The partition exists: the seed creates those of its history before it loads, with
   * the names create_month_partitions() gives them.
   */
  private static String intoPartition(String copy, String table, long monthKey) {
    String partition =
        String.format(Locale.ROOT, "%s_y%04dm%02d", table, 2000 + monthKey / 12, monthKey % 12 + 1);
    return copy.replaceFirst("^COPY " + table + " ", "COPY " + partition + " ");
  }

  /** Where the orders, their lines and their events go. */
  record Out(CopyLane.Stream orders, CopyLane.Stream items, CopyLane.Stream events) {}

  /**
   * The ids of the seeded orders' events: numbers {@code [firstNumber, firstNumber + orders)} for
   * order.created, the next ones for order.cancelled, all in the month of {@code monthKey} (the
   * database's current month, as the outbox's own default would give).
   */
  record EventIds(long monthKey, long firstNumber, int orders) {
    /** How many numbers to take from the outbox's sequence for {@code orders} orders. */
    static long numbersFor(int orders) {
      return 2L * orders;
    }

    long created(int order) {
      return (monthKey << MonthIds.NUMBER_BITS) | ((firstNumber + order) & MonthIds.NUMBER_MASK);
    }

    long cancelled(int k) {
      return created(orders + k);
    }
  }

  /** What {@link #write} wrote: the number of lines, the first and the last order id, events. */
  record Written(long items, long firstId, long lastId, long events) {}

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
}
