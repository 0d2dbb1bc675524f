package dev.hotpath.store.seed;

import dev.hotpath.store.DatabaseCoordinates;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fast, deterministic generator of customers, products, orders and order items.
 *
 * <p>Rows are streamed with PostgreSQL {@code COPY ... FROM STDIN} (text format) in chunks of
 * {@value #BATCH_ROWS} rows, formatted into a reusable byte buffer; the data set is never held in
 * memory (only one price and name per generated product). Rows are appended after the largest
 * existing id of each table, and the identity sequences are advanced past them, so the API's own
 * inserts keep working afterwards.
 *
 * <p>The same {@link SeedPlan} applied to the same starting state produces exactly the same rows:
 * every value comes from {@link SplittableRandom}s seeded with {@link SeedPlan#seed()} (or a hash
 * of it), and timestamps are derived from a fixed base instant ({@code 2026-01-01T00:00:00Z}),
 * spread over the two years before it, never from the clock.
 *
 * <p>The event log covers the seeded history: in the same transaction as its rows, every seeded
 * customer gets a {@code customer.created} event and every seeded order an {@code order.created}
 * event (source {@code seed}), followed by {@code order.cancelled} for the seeded orders that are
 * cancelled. So the read models are projections of the log alone, seeded data included, and a
 * rebuild from the log equals them; side effects such as confirmation messages skip {@code seed}
 * events.
 *
 * <p>Each table is loaded in one transaction that holds a {@code SHARE ROW EXCLUSIVE} lock on it
 * (orders together with order_items), so concurrent writers wait instead of colliding with the
 * explicit ids.
 */
public final class DataGenerator {
  private static final Logger log = LoggerFactory.getLogger(DataGenerator.class);

  /** Rows per COPY statement and per progress update. */
  static final int BATCH_ROWS = 50_000;

  static final long BASE_MICROS =
      Instant.parse("2026-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
  static final long SPAN_MICROS = 730L * 86_400_000_000L;
  static final long START_MICROS = BASE_MICROS - SPAN_MICROS;

  /** Zipf exponents: rank k is chosen with weight 1 / k^s. */
  static final double CUSTOMER_SKEW = 0.8;

  static final double PRODUCT_SKEW = 0.9;

  private static final String COPY_CUSTOMERS =
      "COPY customers (id, email, name, status, address, version, created_at, updated_at) FROM STDIN";
  private static final String COPY_PRODUCTS =
      "COPY products (id, sku, name, description, category, price_minor, currency, stock, status, version,"
          + " created_at, updated_at) FROM STDIN";
  private static final String COPY_ORDERS =
      "COPY orders (id, customer_id, status, currency, subtotal_minor, total_minor, item_count,"
          + " shipping_address, version, created_at, updated_at) FROM STDIN";
  private static final String COPY_ITEMS =
      "COPY order_items (order_id, line_no, product_id, product_name, unit_price_minor, quantity,"
          + " line_total_minor) FROM STDIN";

  private DataGenerator() {}

  /** Seeding failed; the transaction of the table being loaded was rolled back. */
  public static final class SeedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SeedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Appends the rows of {@code plan} to the database and returns what was inserted.
   *
   * @throws SeedException when the database refuses the data or the connection fails
   */
  public static SeedResult seed(DatabaseCoordinates db, SeedPlan plan, Progress progress) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(plan, "plan");
    Progress report = progress == null ? Progress.NONE : progress;
    long started = System.nanoTime();
    SplittableRandom root = new SplittableRandom(plan.seed());
    SplittableRandom customerRandom = root.split();
    SplittableRandom productRandom = root.split();
    SplittableRandom orderRandom = root.split();
    String seedText = Long.toUnsignedString(plan.seed());

    long firstCustomer = 0;
    long lastCustomer = 0;
    long firstProduct = 0;
    long lastProduct = 0;
    long firstOrder = 0;
    long lastOrder = 0;
    long items = 0;
    String phase = "connect";
    try (Connection conn = db.openJdbc()) {
      conn.setAutoCommit(false);
      CopyManager copy = conn.unwrap(PGConnection.class).getCopyAPI();
      Sink sink = new Sink(1 << 20);

      Catalog catalog = null;
      if (plan.customers() > 0) {
        phase = "customers";
        firstCustomer = begin(conn, "customers") + 1;
        lastCustomer = firstCustomer + plan.customers() - 1;
        writeCustomers(copy, sink, plan, seedText, firstCustomer, customerRandom, report);
        customerEvents(conn, firstCustomer, lastCustomer);
        finish(conn, "customers");
      }
      if (plan.products() > 0) {
        phase = "products";
        firstProduct = begin(conn, "products") + 1;
        lastProduct = firstProduct + plan.products() - 1;
        catalog = writeProducts(copy, sink, plan, seedText, firstProduct, productRandom, report);
        finish(conn, "products");
      }
      if (plan.orders() > 0) {
        phase = "orders";
        firstOrder = begin(conn, "orders", "order_items") + 1;
        lastOrder = firstOrder + plan.orders() - 1;
        items =
            writeOrders(
                copy,
                sink,
                new Sink(1 << 20),
                plan,
                firstOrder,
                firstCustomer,
                catalog,
                orderRandom,
                report);
        orderEvents(conn, firstOrder, lastOrder);
        finish(conn, "orders");
      }
      if (plan.customers() + plan.products() + plan.orders() > 0) {
        phase = "analyze";
        conn.setAutoCommit(true);
        try (Statement st = conn.createStatement()) {
          st.execute("ANALYZE customers, products, orders, order_items");
        }
      }
    } catch (SQLException e) {
      throw new SeedException("seeding failed while loading " + phase + ": " + e.getMessage(), e);
    }
    long elapsed = (System.nanoTime() - started) / 1_000_000;
    return new SeedResult(
        plan.customers(),
        plan.products(),
        plan.orders(),
        items,
        firstCustomer,
        lastCustomer,
        firstProduct,
        lastProduct,
        firstOrder,
        lastOrder,
        elapsed);
  }

  /**
   * Starts the transaction that loads {@code tables[0]} and returns its largest id (0 when empty).
   */
  private static long begin(Connection conn, String... tables) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL synchronous_commit = off");
      st.execute("LOCK TABLE " + String.join(", ", tables) + " IN SHARE ROW EXCLUSIVE MODE");
      try (ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM " + tables[0])) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void customerEvents(Connection conn, long first, long last) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "INSERT INTO outbox (type, aggregate_id, payload) SELECT 'customer.created', c.id,"
              + " jsonb_build_object('customer_id', c.id, 'email', c.email, 'name', c.name,"
              + " 'status', c.status, 'created_at', c.created_at, 'source', 'seed')"
              + " FROM customers c WHERE c.id BETWEEN "
              + first
              + " AND "
              + last
              + " ORDER BY c.id");
    }
  }

  /** order.created for every seeded order, then order.cancelled for the cancelled ones. */
  private static void orderEvents(Connection conn, long first, long last) throws SQLException {
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

  /** Moves the identity sequence of {@code table} to its largest id, then commits. */
  private static void finish(Connection conn, String table) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), max(id)) FROM " + table);
    }
    conn.commit();
  }

  private static void copyChunk(CopyManager copy, String sql, Sink sink) throws SQLException {
    CopyIn in = copy.copyIn(sql);
    try {
      in.writeToCopy(sink.buf, 0, sink.len);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
    sink.reset();
  }

  // ---------------------------------------------------------------------------------------------
  // customers

  private static void writeCustomers(
      CopyManager copy,
      Sink sink,
      SeedPlan plan,
      String seedText,
      long firstId,
      SplittableRandom random,
      Progress progress)
      throws SQLException {
    int total = plan.customers();
    byte[] emailTail = ascii("." + seedText + "@example.com\t");
    Addresses addresses = new Addresses(plan.seed());
    for (int i = 0; i < total; i++) {
      long id = firstId + i;
      sink.num(id).tab();
      sink.ch('c').num(id).raw(emailTail);
      sink.raw(Words.FIRST_NAMES[random.nextInt(Words.FIRST_NAMES.length)])
          .ch(' ')
          .raw(Words.LAST_NAMES[random.nextInt(Words.LAST_NAMES.length)])
          .tab();
      int status = random.nextInt(100);
      sink.raw(status < 95 ? Words.ACTIVE : status < 98 ? Words.SUSPENDED : Words.CLOSED).tab();
      if (!addresses.customerAddress(sink, id)) {
        sink.raw(Words.NULL);
      }
      sink.tab().raw(Words.VERSION_1);
      long created = spread(i, total, random);
      sink.ts(created).tab().ts(created).nl();
      if ((i + 1) % BATCH_ROWS == 0 || i + 1 == total) {
        copyChunk(copy, COPY_CUSTOMERS, sink);
        progress.update("customers", i + 1, total);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // products

  /** Names and prices of this run's products, by index (id = firstId + index). */
  record Catalog(long firstId, byte[][] names, long[] prices) {
    int size() {
      return prices.length;
    }
  }

  private static Catalog writeProducts(
      CopyManager copy,
      Sink sink,
      SeedPlan plan,
      String seedText,
      long firstId,
      SplittableRandom random,
      Progress progress)
      throws SQLException {
    int total = plan.products();
    byte[][] names = new byte[total][];
    long[] prices = new long[total];
    byte[] skuTail = ascii("-" + seedText + "\t");
    double logMin = StrictMath.log(199);
    double logMax = StrictMath.log(99_999);
    for (int i = 0; i < total; i++) {
      long id = firstId + i;
      int category = random.nextInt(Words.CATEGORIES.length);
      String[] nouns = Words.NOUNS[category];
      String noun = nouns[random.nextInt(nouns.length)];
      String adjective = Words.ADJECTIVES[random.nextInt(Words.ADJECTIVES.length)];
      String model =
          (char) ('A' + random.nextInt(26)) + Integer.toString(100 + random.nextInt(900));
      String name = adjective + " " + noun + " " + model;
      names[i] = ascii(name);
      long price = (long) StrictMath.exp(logMin + random.nextDouble() * (logMax - logMin));
      price = Math.min(99_999, Math.max(199, price / 100 * 100 + 99));
      prices[i] = price;

      sink.num(id).tab();
      sink.raw(Words.SKU).num(id).raw(skuTail);
      sink.raw(names[i]).tab();
      sink.ascii(adjective)
          .ch(' ')
          .ascii(noun.toLowerCase(java.util.Locale.ROOT))
          .ascii(" from our ")
          .ascii(Words.CATEGORIES[category])
          .ascii(" range, model ")
          .ascii(model)
          .ch('.')
          .tab();
      sink.ascii(Words.CATEGORIES[category]).tab();
      sink.num(price).tab().raw(Words.USD).tab();
      sink.num(1_000_000 + random.nextInt(9_000_001)).tab();
      sink.raw(random.nextInt(100) < 98 ? Words.ACTIVE : Words.DISCONTINUED).tab();
      sink.raw(Words.VERSION_1);
      long created = spread(i, total, random);
      sink.ts(created).tab().ts(created).nl();
      if ((i + 1) % BATCH_ROWS == 0 || i + 1 == total) {
        copyChunk(copy, COPY_PRODUCTS, sink);
        progress.update("products", i + 1, total);
      }
    }
    return new Catalog(firstId, names, prices);
  }

  // ---------------------------------------------------------------------------------------------
  // orders and order items

  private static long writeOrders(
      CopyManager copy,
      Sink orders,
      Sink items,
      SeedPlan plan,
      long firstId,
      long firstCustomer,
      Catalog catalog,
      SplittableRandom random,
      Progress progress)
      throws SQLException {
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
        subtotal += catalog.prices[product] * quantity;
      }
      long created = Math.max(spread(i, total, random), previousCreated + 1);
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
        long price = catalog.prices[product];
        items.num(id).tab().num(line + 1).tab().num(catalog.firstId + product).tab();
        items
            .raw(catalog.names[product])
            .tab()
            .num(price)
            .tab()
            .num(lineQuantity[line])
            .tab()
            .num(price * lineQuantity[line])
            .nl();
      }
      itemRows += lines;

      if ((i + 1) % BATCH_ROWS == 0 || i + 1 == total) {
        copyChunk(copy, COPY_ORDERS, orders);
        copyChunk(copy, COPY_ITEMS, items);
        progress.update("orders", i + 1, total);
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

  /**
   * The timestamp of row {@code index} of {@code total}: rows are spread evenly over the two years
   * before the base instant, each with a random offset inside its own slot, so later rows are
   * newer.
   */
  private static long spread(int index, int total, SplittableRandom random) {
    long slot = Math.max(1, SPAN_MICROS / total);
    return START_MICROS + (long) ((double) index * SPAN_MICROS / total) + random.nextLong(slot);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------
  // skewed sampling

  /**
   * Samples indexes 0..n-1 with Zipf weights in O(1) (Vose's alias method). Which index gets which
   * rank is a random permutation, so the most active customers are not simply the lowest ids.
   */
  static final class Sampler {
    private final double[] probability;
    private final int[] alias;

    private Sampler(double[] probability, int[] alias) {
      this.probability = probability;
      this.alias = alias;
    }

    int size() {
      return alias.length;
    }

    static Sampler zipf(int n, double exponent, SplittableRandom random) {
      int[] rank = new int[n];
      for (int i = 0; i < n; i++) {
        rank[i] = i;
      }
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = rank[i];
        rank[i] = rank[j];
        rank[j] = t;
      }
      double[] weight = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) {
        weight[i] = 1.0 / StrictMath.pow(rank[i] + 1, exponent);
        sum += weight[i];
      }
      double[] probability = new double[n];
      int[] alias = new int[n];
      int[] small = new int[n];
      int[] large = new int[n];
      int smallCount = 0;
      int largeCount = 0;
      for (int i = 0; i < n; i++) {
        weight[i] = weight[i] * n / sum;
        if (weight[i] < 1.0) {
          small[smallCount++] = i;
        } else {
          large[largeCount++] = i;
        }
      }
      while (smallCount > 0 && largeCount > 0) {
        int s = small[--smallCount];
        int l = large[--largeCount];
        probability[s] = weight[s];
        alias[s] = l;
        weight[l] = (weight[l] + weight[s]) - 1.0;
        if (weight[l] < 1.0) {
          small[smallCount++] = l;
        } else {
          large[largeCount++] = l;
        }
      }
      while (largeCount > 0) {
        int l = large[--largeCount];
        probability[l] = 1.0;
        alias[l] = l;
      }
      while (smallCount > 0) { // only rounding leftovers
        int s = small[--smallCount];
        probability[s] = 1.0;
        alias[s] = s;
      }
      return new Sampler(probability, alias);
    }

    int sample(SplittableRandom random) {
      int i = random.nextInt(alias.length);
      return random.nextDouble() < probability[i] ? i : alias[i];
    }
  }

  // ---------------------------------------------------------------------------------------------
  // addresses

  /**
   * Addresses as JSON, derived from a hash of (seed, customer id) rather than the main random
   * stream, so the orders phase can recompute a customer's address without keeping it in memory.
   */
  static final class Addresses {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private final long seed;
    private long state;

    Addresses(long seed) {
      this.seed = mix(seed);
    }

    /** Writes the customer's address, or nothing and returns false for the ~2% without one. */
    boolean customerAddress(Sink sink, long customerId) {
      reset(customerId, 0x5EEDL);
      if (below(100) < 2) {
        return false;
      }
      write(sink);
      return true;
    }

    /** The customer's address, or a generated one when the customer has none. */
    void shippingAddress(Sink sink, long customerId) {
      if (!customerAddress(sink, customerId)) {
        reset(customerId, 0xADD4E55L);
        write(sink);
      }
    }

    private void reset(long id, long salt) {
      state = seed ^ mix(id * GOLDEN + salt);
    }

    private long next() {
      state += GOLDEN;
      return mix(state);
    }

    private int below(int bound) {
      return (int) (((next() >>> 32) * bound) >>> 32);
    }

    private static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    private void write(Sink sink) {
      int pick = below(100);
      Country country = Words.COUNTRIES[Words.COUNTRIES.length - 1];
      for (Country c : Words.COUNTRIES) {
        if (pick < c.cumulativePercent()) {
          country = c;
          break;
        }
      }
      int city = below(country.cities().length);
      byte[] street = country.streets()[below(country.streets().length)];
      int number = 1 + below(country.numberFirst() ? 9_999 : 199);
      sink.raw(Words.J_LINE1);
      if (country.numberFirst()) {
        sink.num(number).ch(' ').raw(street);
      } else {
        sink.raw(street).ch(' ').num(number);
      }
      if (below(100) < 15) {
        sink.raw(Words.J_LINE2).num(1 + below(999));
      }
      sink.raw(Words.J_CITY).raw(country.cities()[city]);
      if (country.regions() != null) {
        sink.raw(Words.J_REGION).raw(country.regions()[city]);
      }
      sink.raw(Words.J_POSTAL);
      byte[] pattern = country.postalPattern();
      for (byte p : pattern) {
        if (p == '9') {
          sink.ch((char) ('0' + below(10)));
        } else if (p == 'A') {
          sink.ch((char) ('A' + below(26)));
        } else {
          sink.ch((char) p);
        }
      }
      sink.raw(Words.J_COUNTRY).raw(country.code()).raw(Words.J_END);
    }
  }

  record Country(
      byte[] code,
      int cumulativePercent,
      byte[][] cities,
      byte[][] regions,
      byte[][] streets,
      boolean numberFirst,
      byte[] postalPattern) {

    static Country of(
        String code,
        int cumulativePercent,
        String[] cities,
        String[] regions,
        String[] streets,
        boolean numberFirst,
        String postalPattern) {
      return new Country(
          ascii(code),
          cumulativePercent,
          bytes(cities),
          regions == null ? null : bytes(regions),
          bytes(streets),
          numberFirst,
          ascii(postalPattern));
    }
  }

  static byte[][] bytes(String[] values) {
    byte[][] out = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      out[i] = ascii(values[i]);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // vocabulary

  static final class Words {
    static final byte[] NULL = ascii("\\N");
    static final byte[] VERSION_1 = ascii("1\t");
    static final byte[] ACTIVE = ascii("active");
    static final byte[] SUSPENDED = ascii("suspended");
    static final byte[] CLOSED = ascii("closed");
    static final byte[] DISCONTINUED = ascii("discontinued");
    static final byte[] PLACED = ascii("placed");
    static final byte[] PAID = ascii("paid");
    static final byte[] SHIPPED = ascii("shipped");
    static final byte[] DELIVERED = ascii("delivered");
    static final byte[] CANCELLED = ascii("cancelled");
    static final byte[] USD = ascii("USD");
    static final byte[] SKU = ascii("SKU-");
    static final byte[] J_LINE1 = ascii("{\"line1\": \"");
    static final byte[] J_LINE2 = ascii("\", \"line2\": \"Apt ");
    static final byte[] J_CITY = ascii("\", \"city\": \"");
    static final byte[] J_REGION = ascii("\", \"region\": \"");
    static final byte[] J_POSTAL = ascii("\", \"postal_code\": \"");
    static final byte[] J_COUNTRY = ascii("\", \"country\": \"");
    static final byte[] J_END = ascii("\"}");

    static final byte[][] FIRST_NAMES =
        bytes(
            new String[] {
              "Ada", "Alan", "Amara", "Ben", "Carla", "Chen", "Dana", "Diego", "Elena", "Emil",
                  "Fatima", "Felix",
              "Grace", "Hana", "Ivan", "Jonas", "Julia", "Kenji", "Lena", "Liam", "Maya", "Mateo",
                  "Nina", "Noah",
              "Olga", "Omar", "Priya", "Rafael", "Sara", "Tom", "Yuki", "Zoe"
            });
    static final byte[][] LAST_NAMES =
        bytes(
            new String[] {
              "Adams", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
                  "Jensen", "Khan",
              "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Silva",
                  "Tanaka", "Turner",
              "Urban", "Varga", "Wagner", "Weber", "Wong", "Young", "Zimmermann", "Nguyen",
                  "Kowalski", "Moreau"
            });

    static final String[] CATEGORIES = {
      "books",
      "garden",
      "kitchen",
      "toys",
      "electronics",
      "sports",
      "beauty",
      "office",
      "pets",
      "music",
      "outdoors",
      "home"
    };
    static final String[][] NOUNS = {
      {"Novel", "Cookbook", "Atlas", "Notebook Journal", "Poetry Collection", "Field Guide"},
      {"Trowel", "Hose", "Planter", "Pruning Shears", "Seed Kit", "Watering Can"},
      {"Skillet", "Knife Set", "Kettle", "Cutting Board", "Blender", "Mixing Bowl"},
      {"Puzzle", "Building Set", "Plush Bear", "Kite", "Board Game", "Yo-yo"},
      {"Headphones", "Charger", "Speaker", "Keyboard", "Webcam", "USB Hub"},
      {"Yoga Mat", "Football", "Tennis Racket", "Water Bottle", "Jump Rope", "Dumbbell"},
      {"Face Cream", "Shampoo", "Lip Balm", "Hair Brush", "Soap Bar", "Perfume"},
      {"Stapler", "Desk Lamp", "Pen Set", "Binder", "Desk Organizer", "Whiteboard"},
      {"Dog Leash", "Cat Tree", "Pet Bed", "Chew Toy", "Food Bowl", "Bird Feeder"},
      {"Guitar Strings", "Ukulele", "Drum Sticks", "Vinyl Record", "Harmonica", "Metronome"},
      {"Tent", "Sleeping Bag", "Headlamp", "Backpack", "Camp Stove", "Compass"},
      {"Throw Pillow", "Candle", "Wall Clock", "Picture Frame", "Rug", "Vase"}
    };
    static final String[] ADJECTIVES = {
      "Classic",
      "Compact",
      "Deluxe",
      "Eco",
      "Essential",
      "Handmade",
      "Heavy-Duty",
      "Lightweight",
      "Modern",
      "Premium",
      "Rustic",
      "Smart",
      "Sturdy",
      "Travel",
      "Vintage",
      "Everyday"
    };

    static final Country[] COUNTRIES = {
      Country.of(
          "US",
          50,
          new String[] {
            "Springfield", "Portland", "Austin", "Denver", "Columbus", "Madison", "Raleigh", "Boise"
          },
          new String[] {"IL", "OR", "TX", "CO", "OH", "WI", "NC", "ID"},
          new String[] {
            "Main St",
            "Oak Ave",
            "Maple Dr",
            "Cedar Ln",
            "Park Blvd",
            "Elm St",
            "Lake Rd",
            "Washington Ave"
          },
          true,
          "99999"),
      Country.of(
          "DE",
          65,
          new String[] {
            "Berlin", "Hamburg", "Munich", "Cologne", "Leipzig", "Dresden", "Stuttgart"
          },
          null,
          new String[] {
            "Hauptstrasse",
            "Bahnhofstrasse",
            "Gartenweg",
            "Schillerstrasse",
            "Lindenallee",
            "Bergstrasse"
          },
          false,
          "99999"),
      Country.of(
          "GB",
          77,
          new String[] {"London", "Manchester", "Bristol", "Leeds", "Edinburgh", "Cardiff"},
          null,
          new String[] {"High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"},
          true,
          "AA9 9AA"),
      Country.of(
          "FR",
          87,
          new String[] {"Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille"},
          null,
          new String[] {
            "rue de la Paix",
            "avenue Victor Hugo",
            "boulevard Voltaire",
            "rue du Moulin",
            "place de la Gare"
          },
          true,
          "99999"),
      Country.of(
          "NL",
          93,
          new String[] {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen"},
          null,
          new String[] {"Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Prinsengracht"},
          false,
          "9999 AA"),
      Country.of(
          "CA",
          100,
          new String[] {"Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa", "Halifax"},
          new String[] {"ON", "BC", "QC", "AB", "ON", "NS"},
          new String[] {"King St", "Queen St", "Yonge St", "Main St", "Robson St"},
          true,
          "A9A 9A9")
    };
  }

  // ---------------------------------------------------------------------------------------------
  // row buffer

  /**
   * A growable byte buffer with allocation-free number and timestamp formatting (COPY text format).
   */
  static final class Sink {
    byte[] buf;
    int len;

    Sink(int capacity) {
      buf = new byte[capacity];
    }

    void reset() {
      len = 0;
    }

    private void room(int extra) {
      if (len + extra > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length << 1, len + extra));
      }
    }

    Sink raw(byte[] bytes) {
      room(bytes.length);
      System.arraycopy(bytes, 0, buf, len, bytes.length);
      len += bytes.length;
      return this;
    }

    /** Appends a string known to be ASCII without tab, newline or backslash. */
    Sink ascii(String s) {
      int n = s.length();
      room(n);
      for (int i = 0; i < n; i++) {
        buf[len++] = (byte) s.charAt(i);
      }
      return this;
    }

    Sink ch(char c) {
      room(1);
      buf[len++] = (byte) c;
      return this;
    }

    Sink tab() {
      return ch('\t');
    }

    Sink nl() {
      return ch('\n');
    }

    Sink num(long v) {
      room(20);
      if (v < 0) {
        if (v == Long.MIN_VALUE) {
          return ascii(Long.toString(v));
        }
        buf[len++] = '-';
        v = -v;
      }
      int digits = 1;
      for (long x = v; x >= 10; x /= 10) {
        digits++;
      }
      int p = len + digits;
      len = p;
      do {
        buf[--p] = (byte) ('0' + (int) (v % 10));
        v /= 10;
      } while (v != 0);
      return this;
    }

    private void two(int v) {
      buf[len++] = (byte) ('0' + v / 10);
      buf[len++] = (byte) ('0' + v % 10);
    }

    /**
     * {@code yyyy-mm-dd hh:mm:ss.ffffff+00} for microseconds since the epoch (years 1000..9999).
     */
    Sink ts(long epochMicros) {
      room(32);
      long days = Math.floorDiv(epochMicros, 86_400_000_000L);
      long micros = epochMicros - days * 86_400_000_000L;
      // civil-from-days (H. Hinnant)
      long z = days + 719_468;
      long era = Math.floorDiv(z, 146_097);
      long doe = z - era * 146_097;
      long yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
      long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
      long mp = (5 * doy + 2) / 153;
      int day = (int) (doy - (153 * mp + 2) / 5 + 1);
      int month = (int) (mp < 10 ? mp + 3 : mp - 9);
      int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
      two(year / 100);
      two(year % 100);
      buf[len++] = '-';
      two(month);
      buf[len++] = '-';
      two(day);
      buf[len++] = ' ';
      int seconds = (int) (micros / 1_000_000);
      int fraction = (int) (micros % 1_000_000);
      two(seconds / 3600);
      buf[len++] = ':';
      two(seconds / 60 % 60);
      buf[len++] = ':';
      two(seconds % 60);
      buf[len++] = '.';
      two(fraction / 10_000);
      two(fraction / 100 % 100);
      two(fraction % 100);
      buf[len++] = '+';
      buf[len++] = '0';
      buf[len++] = '0';
      return this;
    }
  }
}
