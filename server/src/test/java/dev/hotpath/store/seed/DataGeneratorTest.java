package dev.hotpath.store.seed;

import static dev.hotpath.support.Sql.number;
import static dev.hotpath.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.store.Migrations;
import dev.hotpath.store.MonthIds;
import dev.hotpath.store.OrdersByCustomerTest;
import dev.hotpath.support.Sql;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataGeneratorTest {
  private static final long START_2024 =
      java.time.Instant.parse("2024-01-01T00:00:00Z").getEpochSecond() * 1_000_000L;
  private static final long LAST_2025 =
      java.time.Instant.parse("2025-12-31T23:59:59Z").getEpochSecond() * 1_000_000L;
  private static final SeedPlan PLAN = new SeedPlan(500, 50, 3_000, 7);
  private static final int SMALL_BATCH = 170;
  private static final List<String> TABLES =
      List.of(
          "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM customers t",
          "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM products t",
          "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM orders t",
          "SELECT md5(string_agg(t::text, ',' ORDER BY order_id, line_no)) FROM order_items t",
          // event ids and times carry the day of the seed; their order, types and payloads not
          "SELECT md5(string_agg(type || ' ' || aggregate_id || ' ' || payload::text, ','"
              + " ORDER BY id)) FROM outbox");

  @TempDir static Path tempDir;

  private static EmbeddedDatabase server;
  private static DatabaseCoordinates first;
  private static DatabaseCoordinates second;
  private static SeedResult firstResult;
  private static SeedResult secondResult;
  private static final List<String> phases = new ArrayList<>();

  /**
   * One cluster, two fresh databases seeded with the same plan: the first in one batch per table,
   * the second in batches of {@value #SMALL_BATCH} rows, so many batches are in flight on the
   * concurrent COPY lanes at once.
   */
  @BeforeAll
  static void seedTwice() throws SQLException {
    server = EmbeddedDatabase.start(tempDir.resolve("pg"), 0);
    DatabaseCoordinates admin = server.coordinates();
    try (Connection conn = admin.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE seed_a");
      st.execute("CREATE DATABASE seed_b");
    }
    first = withDatabase(admin, "seed_a");
    second = withDatabase(admin, "seed_b");
    Migrations.migrate(first);
    Migrations.migrate(second);
    firstResult =
        DataGenerator.seed(
            first, PLAN, (phase, done, total) -> phases.add(phase + " " + done + "/" + total));
    secondResult = DataGenerator.seed(second, PLAN, Progress.NONE, SMALL_BATCH);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static DatabaseCoordinates withDatabase(DatabaseCoordinates c, String database) {
    return new DatabaseCoordinates(c.host(), c.port(), database, c.user(), c.password());
  }

  @Test
  void sameSeedOnSameStateGivesIdenticalRowsWhateverTheBatches() throws SQLException {
    for (String query : TABLES) {
      String a = text(first, query);
      assertThat(a).as(query).isNotNull().isEqualTo(text(second, query));
    }
  }

  @Test
  void eventsOfSeededOrdersAreWhatTheLogWouldSayOfTheirRows() throws SQLException {
    assertThat(
            utc(
                first,
                """
        SELECT count(*) FROM outbox e JOIN orders o ON o.id = e.aggregate_id
         WHERE e.type IN ('order.created', 'order.cancelled')
           AND e.payload <> jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id,
                 'currency', o.currency, 'total_minor', o.total_minor, 'created_at', o.created_at,
                 'source', 'seed', 'items',
                 (SELECT jsonb_agg(jsonb_build_object('product_id', product_id, 'quantity', quantity,
                          'line_total_minor', line_total_minor) ORDER BY line_no)
                    FROM order_items i WHERE i.order_id = o.id))"""))
        .isZero();
    assertThat(number(first, "SELECT count(*) FROM outbox WHERE type = 'order.created'"))
        .isEqualTo(PLAN.orders());
    assertThat(number(first, "SELECT count(*) FROM outbox WHERE type = 'order.cancelled'"))
        .isEqualTo(number(first, "SELECT count(*) FROM orders WHERE status = 'cancelled'"))
        .isPositive();
    assertThat(firstResult.events())
        .isEqualTo(number(first, "SELECT count(*) FROM outbox"))
        .isEqualTo(secondResult.events());
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM (SELECT type, aggregate_id,
                                     lag(type) OVER (ORDER BY id) AS previous_type,
                                     lag(aggregate_id) OVER (ORDER BY id) AS previous_order
                                FROM outbox WHERE type LIKE 'order.%') t
         WHERE (type = previous_type AND aggregate_id <= previous_order)
            OR (type = 'order.created' AND previous_type = 'order.cancelled')"""))
        .as("every order.created in order id order, then every order.cancelled")
        .isZero();
  }

  @Test
  void catalogAfterASeedIntoEmptyTablesIsTheMigratedOne() throws SQLException {
    DatabaseCoordinates migrated = freshDatabase("seed_migrated");
    // the partitions a seed adds for its two years of history
    Sql.execute(migrated, SEEDED_MONTHS);
    assertThat(firstResult.phaseMillis())
        .as("the secondary indexes of orders were dropped and built after the load")
        .containsKey("indexes");
    String expected = text(migrated, CATALOG);
    assertThat(expected).contains("orders_customer_created").contains("customers_email_key");
    assertThat(text(first, CATALOG)).isEqualTo(expected);
    assertThat(text(second, CATALOG)).isEqualTo(expected);
  }

  @Test
  void seedsAsAnOrdinaryUserWithForeignKeyChecksAndTheSameRows() throws SQLException {
    DatabaseCoordinates admin = server.coordinates();
    try (Connection conn = admin.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("CREATE ROLE seed_user LOGIN PASSWORD 'seed-user-password'");
      st.execute("CREATE DATABASE seed_user OWNER seed_user");
    }
    DatabaseCoordinates db =
        new DatabaseCoordinates(
            admin.host(), admin.port(), "seed_user", "seed_user", "seed-user-password");
    Migrations.migrate(db);
    SeedResult result = DataGenerator.seed(db, PLAN, Progress.NONE, SMALL_BATCH);
    assertThat(result.orderItems()).isEqualTo(firstResult.orderItems());
    for (String query : TABLES) {
      assertThat(text(db, query)).as(query).isEqualTo(text(first, query));
    }
    assertThat(text(db, CATALOG)).isEqualTo(text(first, CATALOG));
  }

  @Test
  void aLoadThatFailsMidwayLeavesNoOrdersLinesEventsNorMissingIndexes() throws SQLException {
    DatabaseCoordinates db = freshDatabase("seed_fail");
    DataGenerator.seed(db, new SeedPlan(50, 10, 0, 3), Progress.NONE);
    // the lines of one month are refused, even with the foreign key triggers off (replica role)
    Sql.execute(
        db,
        SEEDED_MONTHS,
        """
        CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'line refused by the test'; END $$""",
        "CREATE TRIGGER refuse BEFORE INSERT ON order_items_y2025m06 FOR EACH ROW"
            + " EXECUTE FUNCTION refuse()",
        "ALTER TABLE order_items_y2025m06 ENABLE ALWAYS TRIGGER refuse");
    String catalog = text(db, CATALOG);
    long events = number(db, "SELECT count(*) FROM outbox");

    assertThatThrownBy(
            () -> DataGenerator.seed(db, new SeedPlan(10, 10, 2_000, 3), Progress.NONE, 100))
        .isInstanceOf(DataGenerator.SeedException.class)
        .hasMessageContaining("orders")
        .hasMessageContaining("line refused by the test");

    assertThat(number(db, "SELECT count(*) FROM orders")).isZero();
    assertThat(number(db, "SELECT count(*) FROM order_items")).isZero();
    assertThat(number(db, "SELECT count(*) FROM orders_by_customer")).isZero();
    assertThat(number(db, "SELECT count(*) FROM customers")).as("committed before").isEqualTo(60);
    assertThat(number(db, "SELECT count(*) FROM outbox"))
        .as("the customers' events only")
        .isEqualTo(events + 10);
    assertThat(text(db, CATALOG)).isEqualTo(catalog);
  }

  /** Creates the partitions a seed adds for its two years of history. */
  private static final String SEEDED_MONTHS =
      "SELECT create_month_partitions(t, '2024-01-01 00:00:00+00', '2025-12-31 23:59:59+00')"
          + " FROM unnest(ARRAY['orders', 'order_items']) AS t";

  /**
   * The schema's indexes (definition, validity, parent) and constraints (definition, validity), one
   * line each, sorted.
   */
  private static final String CATALOG =
      """
      SELECT string_agg(line, E'\n' ORDER BY line) FROM (
        SELECT 'index ' || c.relname || ' on ' || t.relname || ': ' || pg_get_indexdef(i.indexrelid)
               || ' valid ' || i.indisvalid || ' ready ' || i.indisready
               || coalesce(' of ' || (SELECT p.relname FROM pg_inherits h
                                        JOIN pg_class p ON p.oid = h.inhparent
                                       WHERE h.inhrelid = c.oid), '') AS line
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_class t ON t.oid = i.indrelid
         WHERE c.relnamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'constraint ' || conname || ' on ' || conrelid::regclass || ': '
               || pg_get_constraintdef(oid) || ' validated ' || convalidated
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      ) t""";

  private static DatabaseCoordinates freshDatabase(String name) throws SQLException {
    try (Connection conn = server.coordinates().openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    DatabaseCoordinates db = withDatabase(server.coordinates(), name);
    Migrations.migrate(db);
    return db;
  }

  /** A number read in a session whose time zone is UTC (how the seed writes event times). */
  private static long utc(DatabaseCoordinates db, String sql) throws SQLException {
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      try (ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void reportsCountsIdRangesAndProgress() {
    assertThat(firstResult.customers()).isEqualTo(500);
    assertThat(firstResult.products()).isEqualTo(50);
    assertThat(firstResult.orders()).isEqualTo(3_000);
    assertThat(firstResult.firstCustomerId()).isEqualTo(1);
    assertThat(firstResult.lastCustomerId()).isEqualTo(500);
    assertThat(firstResult.firstProductId()).isEqualTo(1);
    assertThat(firstResult.lastProductId()).isEqualTo(50);
    // order ids carry their month (V12): number 1 in January 2024, number 3000 in December 2025
    assertThat(firstResult.firstOrderId()).isEqualTo(MonthIds.id(START_2024, 1));
    assertThat(firstResult.lastOrderId()).isEqualTo(MonthIds.id(LAST_2025, 3_000));
    assertThat(firstResult.orderItems())
        .isEqualTo(secondResult.orderItems())
        .isBetween(5_000L, 8_000L);
    assertThat(phases).containsExactly("customers 500/500", "products 50/50", "orders 3000/3000");
  }

  @Test
  void ordersAddUp() throws SQLException {
    assertThat(number(first, "SELECT count(*) FROM order_items"))
        .isEqualTo(firstResult.orderItems());
    assertThat(number(first, "SELECT count(*) FROM orders_by_customer"))
        .as("every seeded order has its key for the customer-orders page")
        .isEqualTo(number(first, "SELECT count(*) FROM orders"));
    assertThat(number(first, OrdersByCustomerTest.DISAGREEMENTS)).isZero();
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM orders o
         WHERE total_minor <> (SELECT sum(line_total_minor) FROM order_items i WHERE i.order_id = o.id)
            OR subtotal_minor <> total_minor
            OR item_count <> (SELECT count(*) FROM order_items i WHERE i.order_id = o.id)"""))
        .isZero();
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id
         WHERE i.unit_price_minor <> p.price_minor OR i.product_name <> p.name
            OR i.line_total_minor <> i.unit_price_minor * i.quantity OR i.quantity NOT BETWEEN 1 AND 3"""))
        .isZero();
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM (SELECT order_id, product_id FROM order_items GROUP BY 1, 2 HAVING count(*) > 1) d"""))
        .as("products within an order are distinct")
        .isZero();
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM (SELECT created_at, lag(created_at) OVER (ORDER BY id) AS previous FROM orders) t
         WHERE created_at <= previous"""))
        .as("newer ids are newer orders")
        .isZero();
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id
         WHERE c.address IS NOT NULL AND o.shipping_address <> c.address"""))
        .isZero();
  }

  @Test
  void rowsLookPlausible() throws SQLException {
    assertThat(number(first, "SELECT count(*) FROM customers WHERE email <> lower(email)"))
        .isZero();
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM customers
         WHERE address IS NOT NULL
           AND (address->>'country' !~ '^[A-Z]{2}$'
                OR EXISTS (SELECT 1 FROM jsonb_object_keys(address) k
                            WHERE k NOT IN ('line1', 'line2', 'city', 'region', 'postal_code', 'country')))"""))
        .isZero();
    assertThat(number(first, "SELECT count(*) FROM customers WHERE address IS NULL"))
        .isBetween(1L, 40L);
    assertThat(number(first, "SELECT count(*) FROM customers WHERE status = 'active'"))
        .isBetween(440L, 499L);
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM products
         WHERE price_minor NOT BETWEEN 199 AND 99999 OR currency <> 'USD' OR stock < 1000000"""))
        .isZero();
    assertThat(number(first, "SELECT count(DISTINCT category) FROM products")).isGreaterThan(5);
    assertThat(
            number(
                first,
                """
        SELECT count(*) FROM orders
         WHERE created_at < '2024-01-01' OR created_at >= '2026-01-01' OR updated_at <> created_at"""))
        .isZero();
    assertThat(number(first, "SELECT count(*) FROM orders WHERE status = 'delivered'"))
        .isBetween(1_950L, 2_250L);
  }

  @Test
  void customersAndProductsAreSkewed() throws SQLException {
    // top 1% of the customers (5 of 500) by order count
    long top =
        number(
            first,
            """
        SELECT sum(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id ORDER BY n DESC LIMIT 5) t""");
    assertThat((double) top / PLAN.orders()).isGreaterThan(0.05);
    long topProducts =
        number(
            first,
            """
        SELECT sum(n) FROM (SELECT count(*) AS n FROM order_items GROUP BY product_id ORDER BY n DESC LIMIT 5) t""");
    assertThat((double) topProducts / firstResult.orderItems()).isGreaterThan(0.25);
  }

  @Test
  void appendsAfterExistingRowsAndAdvancesTheSequences() throws SQLException {
    DatabaseCoordinates db = freshDatabase("seed_c");
    DataGenerator.seed(db, new SeedPlan(20, 5, 30, 1), Progress.NONE);
    String catalog = text(db, CATALOG);
    SeedResult again = DataGenerator.seed(db, new SeedPlan(20, 5, 30, 1), Progress.NONE);
    assertThat(again.phaseMillis())
        .as("nothing deferred: the tables had rows")
        .doesNotContainKey("indexes");
    assertThat(text(db, CATALOG)).isEqualTo(catalog);
    assertThat(again.firstCustomerId()).isEqualTo(21);
    assertThat(again.lastProductId()).isEqualTo(10);
    assertThat(again.firstOrderId() & MonthIds.NUMBER_MASK).isEqualTo(31);
    assertThat(
            number(
                db,
                "SELECT count(*) FROM orders WHERE customer_id < 21 AND (id & "
                    + MonthIds.NUMBER_MASK
                    + ") > 30"))
        .isZero();
    assertThat(number(db, "SELECT count(*) FROM outbox WHERE type = 'order.created'"))
        .as("one event per seeded order, none twice")
        .isEqualTo(60);
    assertThat(number(db, "SELECT count(*) FROM orders_by_customer")).isEqualTo(60);
    assertThat(number(db, OrdersByCustomerTest.DISAGREEMENTS)).isZero();

    assertThat(
            number(
                db,
                "INSERT INTO customers (email, name) VALUES ('new@example.com', 'New') RETURNING id"))
        .isEqualTo(41);
    assertThat(
            number(
                db,
                """
        INSERT INTO products (sku, name, category, price_minor, currency, stock)
        VALUES ('NEW-1', 'New', 'books', 100, 'USD', 1) RETURNING id"""))
        .isEqualTo(11);
    assertThat(
            number(
                db,
                """
        INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address)
        VALUES (1, 'placed', 'USD', 0, 0, 1, '{}') RETURNING id & """
                    + MonthIds.NUMBER_MASK))
        .isEqualTo(61);
  }

  @Test
  void planRejectsImpossibleValues() {
    assertThatThrownBy(() -> new SeedPlan(-1, 0, 0, 1))
        .hasMessageContaining("customers")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> new SeedPlan(0, 5, 10, 1)).hasMessageContaining("customers");
    assertThatThrownBy(() -> new SeedPlan(5, 0, 10, 1)).hasMessageContaining("products");
    assertThatThrownBy(() -> new SeedPlan(5, 5, -3, 1))
        .hasMessageContaining("orders")
        .hasMessageContaining("-3");
  }
}
