package dev.hotpath.store.seed;

import static dev.hotpath.support.Sql.number;
import static dev.hotpath.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.store.Migrations;
import dev.hotpath.store.MonthIds;
import java.nio.file.Path;
import java.sql.Connection;
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

  @TempDir static Path tempDir;

  private static EmbeddedDatabase server;
  private static DatabaseCoordinates first;
  private static DatabaseCoordinates second;
  private static SeedResult firstResult;
  private static SeedResult secondResult;
  private static final List<String> phases = new ArrayList<>();

  /** One cluster, two fresh databases seeded with the same plan. */
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
    secondResult = DataGenerator.seed(second, PLAN, Progress.NONE);
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
  void sameSeedOnSameStateGivesIdenticalRows() throws SQLException {
    for (String query :
        List.of(
            "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM customers t",
            "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM products t",
            "SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM orders t",
            "SELECT md5(string_agg(t::text, ',' ORDER BY order_id, line_no)) FROM order_items t")) {
      String a = text(first, query);
      assertThat(a).as(query).isNotNull().isEqualTo(text(second, query));
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
    DatabaseCoordinates db = withDatabase(server.coordinates(), "seed_c");
    try (Connection conn = server.coordinates().openJdbc();
        Statement st = conn.createStatement()) {
      st.execute("CREATE DATABASE seed_c");
    }
    Migrations.migrate(db);
    DataGenerator.seed(db, new SeedPlan(20, 5, 30, 1), Progress.NONE);
    SeedResult again = DataGenerator.seed(db, new SeedPlan(20, 5, 30, 1), Progress.NONE);
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
