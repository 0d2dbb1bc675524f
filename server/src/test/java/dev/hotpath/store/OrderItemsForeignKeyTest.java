package dev.hotpath.store;

import static dev.hotpath.support.Sql.execute;
import static dev.hotpath.support.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.support.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * V17 replaces the one foreign key from order_items to the partitioned orders by one from each
 * partition of order_items to the partition of orders with the same bounds. The guarantee stays (a
 * line needs its order, an order with lines cannot go), in every kind of partition, for the
 * partitions that exist and for those the maintenance job creates later; the check reads, and
 * locks, the order's month only.
 */
class OrderItemsForeignKeyTest {
  private static DatabaseCoordinates db;

  /** A month with no partition: its rows go to the default partitions. */
  private static final String FAR = "month_id('2090-01-15', 7)";

  @BeforeAll
  static void migrate() throws SQLException {
    db = Sql.newDatabase("linefk");
    Migrations.migrate(db);
    execute(
        db,
        "INSERT INTO customers (email, name) VALUES ('a@example.com', 'A')",
        "INSERT INTO products (sku, name, category, price_minor, currency, stock)"
            + " VALUES ('P-1', 'P', 'books', 100, 'USD', 10)");
  }

  /** The partitions of order_items that lack the key to the orders partition of their bounds. */
  private static long partitionsWithoutTheirKey() throws SQLException {
    return number(
        db,
        "SELECT count(*) FROM pg_inherits li JOIN pg_class l ON l.oid = li.inhrelid"
            + " WHERE li.inhparent = 'order_items'::regclass AND NOT EXISTS ("
            + " SELECT 1 FROM pg_constraint k JOIN pg_class o ON o.oid = k.confrelid"
            + " JOIN pg_inherits oi ON oi.inhrelid = o.oid AND oi.inhparent = 'orders'::regclass"
            + " WHERE k.conrelid = l.oid AND k.contype = 'f'"
            + " AND pg_get_expr(o.relpartbound, o.oid) = pg_get_expr(l.relpartbound, l.oid))");
  }

  @Test
  void everyPartitionOfLinesHasItsKeyAlsoThoseCreatedLater() throws SQLException {
    assertThat(
            number(
                db, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'order_items'::regclass"))
        .as("this month, three ahead and the default")
        .isEqualTo(5);
    assertThat(partitionsWithoutTheirKey()).isZero();
    assertThat(
            number(
                db,
                "SELECT count(*) FROM pg_constraint WHERE conrelid = 'order_items'::regclass"
                    + " AND contype = 'f' AND confrelid = 'orders'::regclass"))
        .as("no key to the partitioned orders (it would lock every month)")
        .isZero();

    // the lines' months first, as a caller that does not know the order may name them
    long made =
        number(
            db,
            "SELECT create_month_partitions('order_items', now() + interval '6 months',"
                + " now() + interval '7 months')");
    assertThat(made).as("two months of lines and the same two of orders").isEqualTo(4);
    assertThat(partitionsWithoutTheirKey()).isZero();
    assertThat(
            number(
                db,
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'orders'::regclass"
                    + " AND inhrelid::regclass::text = format('orders_y%sm%s',"
                    + " to_char(now() + interval '7 months', 'YYYY'),"
                    + " to_char(now() + interval '7 months', 'MM'))"))
        .isEqualTo(1);
  }

  @Test
  void aLineNeedsItsOrderInAMonthAndInTheDefaultPartition() throws SQLException {
    for (String orderId : new String[] {"month_id(now(), 999999)", FAR}) {
      assertThatThrownBy(
              () ->
                  execute(
                      db,
                      "INSERT INTO order_items (customer_id, order_id, line_no, product_id,"
                          + " product_name, unit_price_minor, quantity, line_total_minor)"
                          + " VALUES (1, "
                          + orderId
                          + ", 1, 1, 'P', 100, 1, 100)"))
          .as(orderId)
          .hasMessageContaining("order_items_order_id_fkey");
    }
    // with its order, in either, the line is taken; then the order cannot be deleted
    for (String orderId : new String[] {"month_id(now(), 999998)", FAR}) {
      execute(
          db,
          "INSERT INTO orders (id, customer_id, status, currency, subtotal_minor, total_minor,"
              + " item_count, shipping_address) VALUES ("
              + orderId
              + ", 1, 'placed', 'USD', 100, 100, 1, '{}')",
          "INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name,"
              + " unit_price_minor, quantity, line_total_minor) VALUES (1, "
              + orderId
              + ", 1, 1, 'P', 100, 1, 100)");
      assertThatThrownBy(() -> execute(db, "DELETE FROM orders WHERE id = " + orderId))
          .as(orderId)
          .hasMessageContaining("order_items_order_id_fkey");
    }
  }

  @Test
  void theCheckOfALineLocksItsOrdersMonthOnly() throws SQLException {
    long orderId =
        number(
            db,
            "INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor,"
                + " item_count, shipping_address) VALUES (1, 'placed', 'USD', 100, 100, 1, '{}')"
                + " RETURNING id");
    try (Connection conn = db.openJdbc();
        Statement st = conn.createStatement()) {
      // as the server's request connections run (WriteTransaction): generic plans, which is what
      // the foreign key's check query gets too
      st.execute("SET plan_cache_mode = force_generic_plan");
      conn.setAutoCommit(false);
      for (int line = 1; line <= 8; line++) {
        st.execute(
            "INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name,"
                + " unit_price_minor, quantity, line_total_minor) VALUES (1, "
                + orderId
                + ", "
                + line
                + ", 1, 'P', 100, 1, 100)");
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(DISTINCT l.relation) FROM pg_locks l JOIN pg_inherits i ON i.inhrelid = l.relation"
                  + " WHERE l.pid = pg_backend_pid() AND i.inhparent = 'orders'::regclass")) {
        rs.next();
        assertThat(rs.getLong(1)).as("partitions of orders locked by 8 lines' checks").isEqualTo(1);
      }
      conn.rollback();
    }
  }
}
