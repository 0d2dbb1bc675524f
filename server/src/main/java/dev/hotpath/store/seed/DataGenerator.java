package dev.hotpath.store.seed;

import dev.hotpath.store.DatabaseCoordinates;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fast, deterministic generator of customers, products, orders and order items.
 *
 * <p>Rows are streamed with PostgreSQL {@code COPY ... FROM STDIN} (text format) in batches of
 * {@value SeedRun#BATCH_ROWS} rows, formatted by this thread into reusable byte buffers that {@link
 * CopyLane}s send on their own connections and threads: while the database loads one batch, the
 * next is being generated, and orders, their lines and their events load at the same time on three
 * connections. The data set is never held in memory (only one price and name per generated
 * product). Rows are appended after the largest existing id of each table, and the sequences are
 * advanced past them, so the API's own inserts keep working afterwards.
 *
 * <p>The same {@link SeedPlan} applied to the same starting state produces exactly the same rows,
 * whatever the batches and however the lanes interleave: one thread generates every value, from
 * {@link SplittableRandom}s seeded with {@link SeedPlan#seed()} (or a hash of it), and timestamps
 * are derived from a fixed base instant ({@code 2026-01-01T00:00:00Z}), spread over the two years
 * before it, never from the clock; every id is chosen by the generator, none by the order in which
 * rows arrive.
 *
 * <p>The event log covers the seeded history: every seeded customer gets a {@code customer.created}
 * event (in the customers' transaction) and every seeded order an {@code order.created} event
 * (source {@code seed}), followed by {@code order.cancelled} for the seeded orders that are
 * cancelled; the order events are generated with the orders (their ids taken from the outbox's
 * sequence up front, so they keep that order) and committed with them. So the read models are
 * projections of the log alone, seeded data included, and a rebuild from the log equals them; side
 * effects such as confirmation messages skip {@code seed} events.
 *
 * <p>Each table is loaded in a transaction that holds a {@code SHARE ROW EXCLUSIVE} lock on it, so
 * concurrent writers wait instead of colliding with the explicit ids. Orders, their lines and their
 * events are three transactions committed one after the other at the end (lines, orders, events): a
 * failure before then rolls all three back. Into an empty table, the secondary indexes are dropped
 * before the load and built after it in the same transaction ({@link DeferredIndexes}).
 *
 * <p>This class holds the order of the work and its transactions; {@link CustomerRows}, {@link
 * ProductRows} and {@link OrderRows} write each table's rows (into a {@link Sink}, sent by a {@link
 * CopyLane}); {@link Sampler}, {@link Addresses} and {@link Words} supply the values.
 */
public final class DataGenerator {
  private static final Logger log = LoggerFactory.getLogger(DataGenerator.class);

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
    return seed(db, plan, progress, SeedRun.BATCH_ROWS);
  }

  /** {@link #seed(DatabaseCoordinates, SeedPlan, Progress)} in batches of {@code batchRows}. */
  static SeedResult seed(DatabaseCoordinates db, SeedPlan plan, Progress progress, int batchRows) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(plan, "plan");
    Progress report = progress == null ? Progress.NONE : progress;
    long started = System.nanoTime();
    SplittableRandom root = new SplittableRandom(plan.seed());
    SplittableRandom customerRandom = root.split();
    SplittableRandom productRandom = root.split();
    SplittableRandom orderRandom = root.split();
    var run = new SeedRun(plan, Long.toUnsignedString(plan.seed()), batchRows, report);
    var clock = new PhaseClock();

    long firstCustomer = 0;
    long lastCustomer = 0;
    long firstProduct = 0;
    long lastProduct = 0;
    Orders orders = Orders.NONE;
    String phase = "connect";
    try (CopyLane main = CopyLane.open("main", db)) {
      Connection conn = main.connection();
      ProductRows.Catalog catalog = null;
      if (plan.customers() > 0) {
        phase = "customers";
        firstCustomer = begin(conn, "customers") + 1;
        lastCustomer = firstCustomer + plan.customers() - 1;
        DeferredIndexes deferred = DeferredIndexes.dropIfEmpty(conn, "customers");
        CustomerRows.write(run, main, firstCustomer, customerRandom);
        main.drain();
        deferred.create(conn);
        CustomerRows.events(conn, firstCustomer, lastCustomer);
        finish(conn, "customers");
        clock.lap("customers");
      }
      if (plan.products() > 0) {
        phase = "products";
        firstProduct = begin(conn, "products") + 1;
        lastProduct = firstProduct + plan.products() - 1;
        DeferredIndexes deferred = DeferredIndexes.dropIfEmpty(conn, "products");
        catalog = ProductRows.write(run, main, firstProduct, productRandom);
        main.drain();
        deferred.create(conn);
        finish(conn, "products");
        clock.lap("products");
      }
      if (plan.orders() > 0) {
        phase = "orders";
        orders = orders(db, main, run, firstCustomer, catalog, orderRandom, clock);
      }
      if (plan.customers() + plan.products() + plan.orders() > 0) {
        phase = "analyze";
        analyze(db, conn, "orders", "order_items", "customers, products, orders_by_customer");
        clock.lap("analyze");
      }
    } catch (SQLException e) {
      throw new SeedException("seeding failed while loading " + phase + ": " + e.getMessage(), e);
    }
    long elapsed = (System.nanoTime() - started) / 1_000_000;
    return new SeedResult(
        plan.customers(),
        plan.products(),
        plan.orders(),
        orders.written().items(),
        plan.customers() + orders.written().events(),
        firstCustomer,
        lastCustomer,
        firstProduct,
        lastProduct,
        orders.written().firstId(),
        orders.written().lastId(),
        elapsed,
        clock.phases());
  }

  /** What the orders phase wrote. */
  private record Orders(OrderRows.Written written) {
    static final Orders NONE = new Orders(new OrderRows.Written(0, 0, 0, 0));
  }

  /**
   * Loads the orders, their lines and their events, each on a connection of its own (lines share
   * the orders' connection when the user may not skip foreign key checks: they must see the orders
   * of their transaction), while this thread generates the next batches. Three transactions, each
   * holding the lock of its table; committed together at the end, lines first.
   */
  private static Orders orders(
      DatabaseCoordinates db,
      CopyLane main,
      SeedRun run,
      long firstCustomer,
      ProductRows.Catalog catalog,
      SplittableRandom random,
      PhaseClock clock)
      throws SQLException {
    int count = run.plan().orders();
    Connection conn = main.connection();
    createMonthPartitions(conn);
    boolean skipChecks = superuser(conn);
    try (CopyLane separateLines = skipChecks ? CopyLane.open("order_items", db) : null;
        CopyLane events = CopyLane.open("events", db)) {
      CopyLane lines = skipChecks ? separateLines : main;
      long firstNumber =
          reserve(
              conn, skipChecks, "orders_seq", count, skipChecks ? "orders" : "orders, order_items");
      DeferredIndexes deferred = DeferredIndexes.dropIfEmpty(conn, "orders");
      if (skipChecks) {
        reserve(separateLines.connection(), true, null, 0, "order_items");
      }
      var eventIds =
          new OrderRows.EventIds(
              monthKeyNow(events.connection()),
              reserve(
                  events.connection(),
                  false,
                  "outbox_seq",
                  OrderRows.EventIds.numbersFor(count),
                  null),
              count);
      OrderRows.Written written =
          OrderRows.write(
              run,
              new OrderRows.Out(
                  main.stream(OrderRows.COPY_ORDERS),
                  lines.stream(OrderRows.COPY_ITEMS),
                  events.stream(OrderRows.COPY_EVENTS)),
              firstNumber,
              firstCustomer,
              catalog,
              eventIds,
              random);
      main.drain();
      keys(conn, written);
      clock.lap("orders");
      if (!deferred.isEmpty()) {
        deferred.create(conn); // while the lines and the events may still be loading
        clock.lap("indexes");
      }
      lines.drain();
      events.drain();
      if (skipChecks) {
        separateLines.connection().commit();
      }
      conn.commit();
      events.connection().commit();
      clock.lap("commit");
      return new Orders(written);
    }
  }

  /**
   * The seeded orders' keys for the customer-orders page (V15__orders_by_customer.sql), from the
   * orders just loaded, in the orders' transaction. An order of that id range that already has its
   * key (one written by the API in a month the seed also fills) keeps it.
   */
  private static void keys(Connection conn, OrderRows.Written written) throws SQLException {
    if (written.lastId() < written.firstId() || written.lastId() == 0) {
      return;
    }
    try (var st =
        conn.prepareStatement(
            "INSERT INTO orders_by_customer (customer_id, created_at, order_id)"
                + " SELECT customer_id, created_at, id FROM orders WHERE id BETWEEN ? AND ?"
                + " ORDER BY customer_id, created_at, id ON CONFLICT DO NOTHING")) {
      st.setLong(1, written.firstId());
      st.setLong(2, written.lastId());
      st.executeUpdate();
    }
  }

  /**
   * Brings the planner's statistics up to date: {@code first} on {@code conn}, each of {@code
   * others} at the same time on a connection of its own (ANALYZE of a partitioned table reads every
   * partition; on several cores, the tables need not wait for each other).
   */
  private static void analyze(
      DatabaseCoordinates db, Connection conn, String first, String... others) throws SQLException {
    List<CopyLane> lanes = new ArrayList<>();
    try {
      for (String tables : others) {
        CopyLane lane = CopyLane.open("analyze", db);
        lanes.add(lane);
        lane.execute("ANALYZE " + tables);
      }
      try (Statement st = conn.createStatement()) {
        st.execute("ANALYZE " + first);
      }
      conn.commit();
      for (CopyLane lane : lanes) {
        lane.drain();
        lane.connection().commit();
      }
    } finally {
      for (CopyLane lane : lanes) {
        lane.close();
      }
    }
  }

  private static boolean superuser(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private static long monthKeyNow(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT month_key(now())")) {
      rs.next();
      return rs.getLong(1);
    }
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

  /** Makes sure the monthly partitions of the seeded history exist, and commits. */
  private static void createMonthPartitions(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "SELECT create_month_partitions(t, to_timestamp("
              + SeedRun.START_MICROS / 1_000_000
              + "), to_timestamp("
              + (SeedRun.BASE_MICROS / 1_000_000 - 1)
              + ")) FROM unnest(ARRAY['orders', 'order_items']) AS t");
    }
    conn.commit();
  }

  /**
   * Starts a transaction of the orders phase: no waiting for the WAL flush at commit, no foreign
   * key checks when {@code skipChecks} (the seeded rows are consistent by construction: every
   * line's order and product, every order's customer, are rows this run or the database holds), and
   * a {@code SHARE ROW EXCLUSIVE} lock on {@code tables} (when not null). Takes {@code count}
   * numbers from {@code sequence} (when not null) and returns the first.
   */
  private static long reserve(
      Connection conn, boolean skipChecks, String sequence, long count, String tables)
      throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL synchronous_commit = off");
      if (skipChecks) {
        st.execute("SET LOCAL session_replication_role = replica");
      }
      if (tables != null) {
        st.execute("LOCK TABLE " + tables + " IN SHARE ROW EXCLUSIVE MODE");
      }
      if (sequence == null) {
        return 0;
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT setval('"
                  + sequence
                  + "', nextval('"
                  + sequence
                  + "') + "
                  + (count - 1)
                  + ")")) {
        rs.next();
        return rs.getLong(1) - count + 1;
      }
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
}
