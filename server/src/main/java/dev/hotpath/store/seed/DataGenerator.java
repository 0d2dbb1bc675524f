package dev.hotpath.store.seed;

import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.MonthIds;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.SplittableRandom;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fast, deterministic generator of customers, products, orders and order items.
 *
 * <p>Rows are streamed with PostgreSQL {@code COPY ... FROM STDIN} (text format) in chunks of
 * {@value CopyBatches#BATCH_ROWS} rows, formatted into a reusable byte buffer; the data set is
 * never held in memory (only one price and name per generated product). Rows are appended after the
 * largest existing id of each table, and the identity sequences are advanced past them, so the
 * API's own inserts keep working afterwards.
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
 *
 * <p>This class holds the order of the work and its transactions; {@link CustomerRows}, {@link
 * ProductRows} and {@link OrderRows} write each table's rows (into a {@link Sink}, sent by {@link
 * CopyBatches}) and events; {@link Sampler}, {@link Addresses} and {@link Words} supply the values.
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
      var run = new SeedRun(plan, seedText, new Sink(1 << 20), new CopyBatches(copy, report));

      ProductRows.Catalog catalog = null;
      if (plan.customers() > 0) {
        phase = "customers";
        firstCustomer = begin(conn, "customers") + 1;
        lastCustomer = firstCustomer + plan.customers() - 1;
        CustomerRows.write(run, firstCustomer, customerRandom);
        CustomerRows.events(conn, firstCustomer, lastCustomer);
        finish(conn, "customers");
      }
      if (plan.products() > 0) {
        phase = "products";
        firstProduct = begin(conn, "products") + 1;
        lastProduct = firstProduct + plan.products() - 1;
        catalog = ProductRows.write(run, firstProduct, productRandom);
        finish(conn, "products");
      }
      if (plan.orders() > 0) {
        phase = "orders";
        long firstNumber = reserveOrderNumbers(conn, plan.orders());
        long lastNumber = firstNumber + plan.orders() - 1;
        OrderRows.Written written =
            OrderRows.write(
                run, new Sink(1 << 20), firstNumber, firstCustomer, catalog, orderRandom);
        items = written.items();
        firstOrder = written.firstId();
        lastOrder = written.lastId();
        try (Statement st = conn.createStatement()) {
          // the events read the new rows month by month: plan them on their real sizes
          st.execute("SET LOCAL session_replication_role = origin");
          st.execute("ANALYZE orders, order_items");
        }
        OrderRows.events(conn, firstOrder, lastOrder, firstNumber, lastNumber);
        conn.commit();
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

  /**
   * Starts the transaction that loads orders and their lines, makes sure the monthly partitions of
   * the seeded history exist, and takes {@code count} numbers from the orders' sequence: the ids of
   * the seeded orders are made of them (see {@link MonthIds}). Returns the first number.
   */
  private static long reserveOrderNumbers(Connection conn, int count) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("SET LOCAL synchronous_commit = off");
      skipForeignKeyChecks(st);
      st.execute("LOCK TABLE orders, order_items IN SHARE ROW EXCLUSIVE MODE");
      st.execute(
          "SELECT create_month_partitions(t, to_timestamp("
              + SeedRun.START_MICROS / 1_000_000
              + "), to_timestamp("
              + (SeedRun.BASE_MICROS / 1_000_000 - 1)
              + ")) FROM unnest(ARRAY['orders', 'order_items']) AS t");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT setval('orders_seq', nextval('orders_seq') + " + (count - 1) + ")")) {
        rs.next();
        return rs.getLong(1) - count + 1;
      }
    }
  }

  /**
   * For a superuser, turns off the foreign key checks of this transaction: each line's check of its
   * order is a lookup in the partitioned orders, row by row, and the seeded rows are consistent by
   * construction (every line's order and product, every order's customer, are rows this run or the
   * database holds). Another user keeps the checks.
   */
  private static void skipForeignKeyChecks(Statement st) throws SQLException {
    try (ResultSet rs =
        st.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")) {
      if (rs.next() && rs.getBoolean(1)) {
        st.execute("SET LOCAL session_replication_role = replica");
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
