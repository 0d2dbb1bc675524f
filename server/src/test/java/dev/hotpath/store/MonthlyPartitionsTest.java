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
                    "INSERT INTO order_items (order_id, line_no, product_id, product_name,"
                        + " unit_price_minor, quantity, line_total_minor)"
                        + " VALUES (999999, 1, 1, 'P', 100, 1, 100)"))
        .as("lines still need their order")
        .hasMessageContaining("order_items_order_id_fkey");
  }
}
