package dev.hotpath.store;

import static dev.hotpath.support.Sql.execute;
import static dev.hotpath.support.Sql.number;
import static dev.hotpath.support.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.support.Sql;
import java.sql.SQLException;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Migration V12 turns orders, order_items and outbox into monthly partitioned tables in place: the
 * rows a database already holds stay, with their ids, in each table's legacy partition, and new
 * rows get ids that carry their month.
 */
class MonthlyPartitionsTest {

  @Test
  void anExistingDatabaseIsPartitionedInPlaceAndKeepsItsRows() throws SQLException {
    DatabaseCoordinates db = Sql.newDatabase("partition");
    Flyway.configure()
        .dataSource(db.jdbcUrl(), db.user(), db.password())
        .locations("classpath:db/migration")
        .target("10")
        .load()
        .migrate();
    execute(
        db,
        "INSERT INTO customers (email, name) VALUES ('a@example.com', 'A')",
        "INSERT INTO products (sku, name, category, price_minor, currency, stock)"
            + " VALUES ('P-1', 'P', 'books', 100, 'USD', 10)",
        "INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor,"
            + " item_count, shipping_address) SELECT 1, 'placed', 'USD', 100, 100, 1, '{}'"
            + " FROM generate_series(1, 50)",
        "INSERT INTO order_items (order_id, line_no, product_id, product_name, unit_price_minor,"
            + " quantity, line_total_minor) SELECT id, 1, 1, 'P', 100, 1, 100 FROM orders",
        "INSERT INTO outbox (type, aggregate_id, payload) SELECT 'order.created', id, '{}'"
            + " FROM orders");

    Migrations.migrate(db);

    assertThat(text(db, "SELECT string_agg(DISTINCT tableoid::regclass::text, ',') FROM orders"))
        .isEqualTo("orders_legacy");
    assertThat(number(db, "SELECT count(*) FROM orders WHERE id BETWEEN 1 AND 50")).isEqualTo(50);
    assertThat(number(db, "SELECT count(*) FROM order_items_legacy")).isEqualTo(50);
    assertThat(number(db, "SELECT count(*) FROM outbox_legacy")).isEqualTo(50);
    assertThat(text(db, "SELECT relkind::text FROM pg_class WHERE relname = 'orders'"))
        .isEqualTo("p");

    long id =
        number(
            db,
            "INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor,"
                + " item_count, shipping_address) VALUES (1, 'placed', 'USD', 100, 100, 1, '{}')"
                + " RETURNING id");
    assertThat(MonthIds.month(id)).isEqualTo(YearMonth.now(ZoneOffset.UTC));
    assertThat(id & MonthIds.NUMBER_MASK)
        .as("the sequence goes on after the old ids")
        .isEqualTo(51);
    YearMonth month = YearMonth.now(ZoneOffset.UTC);
    assertThat(text(db, "SELECT tableoid::regclass::text FROM orders WHERE id = " + id))
        .isEqualTo("orders_y%dm%02d".formatted(month.getYear(), month.getMonthValue()));
    long event =
        number(
            db,
            "INSERT INTO outbox (type, aggregate_id, payload) VALUES ('order.created', 1, '{}')"
                + " RETURNING id");
    assertThat(MonthIds.month(event)).isEqualTo(month);
    assertThat(
            number(
                db,
                "SELECT count(*) FROM pg_class WHERE relname LIKE 'outbox_y%' AND relkind = 'r'"))
        .as("this month and three ahead")
        .isEqualTo(4);

    assertThatThrownBy(
            () ->
                execute(
                    db,
                    "INSERT INTO order_items (customer_id, order_id, line_no, product_id,"
                        + " product_name, unit_price_minor, quantity, line_total_minor)"
                        + " VALUES (1, 999999, 1, 1, 'P', 100, 1, 100)"))
        .as("lines still need their order")
        .hasMessageContaining("order_items_order_id_fkey");
  }

  /**
   * V13 gives every line its order's customer_id: the lines a database holds (in the legacy
   * partition, in monthly ones and in the default one) get it from their order, and from then on a
   * line written without it is refused.
   */
  @Test
  void linesOfADatabaseWithOrdersGetTheirOrdersCustomer() throws SQLException {
    DatabaseCoordinates db = Sql.newDatabase("linekeys");
    Consumer<String> migrateTo =
        target ->
            Flyway.configure()
                .dataSource(db.jdbcUrl(), db.user(), db.password())
                .locations("classpath:db/migration")
                .target(target)
                .load()
                .migrate();
    migrateTo.accept("10");
    String order =
        "INSERT INTO orders (%s customer_id, status, currency, subtotal_minor, total_minor,"
            + " item_count, shipping_address) SELECT %s 1 + n %% 3, 'placed', 'USD', 100, 100, 2,"
            + " '{}' FROM generate_series(1, 30) n";
    String lines =
        "INSERT INTO order_items (order_id, line_no, product_id, product_name, unit_price_minor,"
            + " quantity, line_total_minor) SELECT o.id, l, 1, 'P', 50, 1, 50 FROM orders o,"
            + " generate_series(1, 2) l WHERE %s";
    execute(
        db,
        "INSERT INTO customers (email, name) SELECT 'c' || n || '@example.com', 'C' FROM"
            + " generate_series(1, 3) n",
        "INSERT INTO products (sku, name, category, price_minor, currency, stock)"
            + " VALUES ('P-1', 'P', 'books', 50, 'USD', 10)",
        order.formatted("", ""),
        lines.formatted("true"));
    migrateTo.accept("12");
    execute(
        db,
        "SELECT create_month_partitions(t, '2025-03-01', '2025-03-01')"
            + " FROM unnest(ARRAY['orders', 'order_items']) t",
        // March 2025 has a partition; 2019 has none, so its rows go to the default one
        order.formatted("id,", "month_id('2025-03-10', 1000 + n),"),
        order.formatted("id,", "month_id('2019-05-10', 2000 + n),"),
        lines.formatted("o.id > 1099511627776"));

    Migrations.migrate(db);

    assertThat(
            text(
                db,
                "SELECT string_agg(DISTINCT tableoid::regclass::text, ',' ORDER BY"
                    + " tableoid::regclass::text) FROM order_items"))
        .isEqualTo("order_items_default,order_items_legacy,order_items_y2025m03");
    assertThat(number(db, "SELECT count(*) FROM order_items")).isEqualTo(180);
    assertThat(
            number(
                db,
                "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id"
                    + " WHERE i.customer_id = o.customer_id"))
        .as("every line carries its order's customer")
        .isEqualTo(180);
    assertThat(number(db, "SELECT count(DISTINCT customer_id) FROM order_items")).isEqualTo(3);
    assertThat(
            text(
                db,
                "SELECT bool_and(attnotnull) || ',' || bool_or(atthasdef) FROM pg_attribute"
                    + " WHERE attname = 'customer_id' AND attrelid IN (SELECT 'order_items'::regclass"
                    + " UNION ALL SELECT inhrelid FROM pg_inherits"
                    + " WHERE inhparent = 'order_items'::regclass)"))
        .as("NOT NULL, and no default left to write in a line's place")
        .isEqualTo("true,false");
    assertThatThrownBy(
            () ->
                execute(
                    db,
                    "INSERT INTO order_items (order_id, line_no, product_id, product_name,"
                        + " unit_price_minor, quantity, line_total_minor)"
                        + " SELECT id, 3, 1, 'P', 50, 1, 50 FROM orders LIMIT 1"))
        .as("a line written without its customer")
        .hasMessageContaining("customer_id");
    // V15 gives the orders already there (legacy, monthly and default partitions) their keys
    assertThat(number(db, "SELECT count(*) FROM orders_by_customer")).isEqualTo(90);
    assertThat(number(db, OrdersByCustomerTest.DISAGREEMENTS)).isZero();
  }
}
