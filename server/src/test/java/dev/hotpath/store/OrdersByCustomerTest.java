package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import org.junit.jupiter.api.Test;

/**
 * orders_by_customer (V15), the key the customer-orders page reads, holds exactly one row per
 * order, with the order's customer and created_at: for the seed's orders (the test server's data),
 * an order placed through the API and orders imported. The migration's backfill of a database with
 * orders is checked by MonthlyPartitionsTest, the seed's on fresh and filled databases by
 * DataGeneratorTest; the pages it serves by CustomerOrdersApiTest (against a query of orders).
 */
public class OrdersByCustomerTest {
  /**
   * Orders without their key, and keys without their order (or with another customer or time): zero
   * when the two agree. One statement, so one snapshot, whatever other tests write meanwhile.
   */
  public static final String DISAGREEMENTS =
      "SELECT count(*) FROM orders o FULL JOIN orders_by_customer k ON k.order_id = o.id"
          + " AND k.customer_id = o.customer_id AND k.created_at = o.created_at"
          + " WHERE o.id IS NULL OR k.order_id IS NULL";

  private final TestServer server = TestServer.get();
  private final Fixtures fx = new Fixtures(server);

  private String keysOf(String orders) {
    return server
        .queryText(
            "SELECT string_agg(k.customer_id || ':' || k.order_id, ',' ORDER BY k.order_id)"
                + " FROM orders_by_customer k JOIN orders o ON o.id = k.order_id"
                + " AND o.customer_id = k.customer_id AND o.created_at = k.created_at"
                + " WHERE k.order_id IN ("
                + orders
                + ")")
        .strip();
  }

  @Test
  void theSeedsOrdersHaveTheirKeys() {
    assertThat(server.queryLong("SELECT count(*) FROM orders_by_customer"))
        .isGreaterThanOrEqualTo(200_000);
    assertThat(server.queryLong(DISAGREEMENTS)).isZero();
  }

  @Test
  void aPlacedOrderHasItsKey() {
    long customer = fx.customer();
    long order = fx.order(customer, fx.product(100, 10), 2);
    assertThat(keysOf(Long.toString(order))).isEqualTo(customer + ":" + order);
  }

  @Test
  void importedOrdersHaveTheirKeys() {
    long customer = fx.customer();
    long other = fx.customer();
    long product = fx.product(100, 100);
    String file =
        Fixtures.orderBody(customer, product, 1) + "\n" + Fixtures.orderBody(other, product, 2);
    long id = fx.importOrders(file + "\n");
    String imported = "SELECT order_id FROM order_import_lines WHERE import_id = " + id;
    assertThat(
            server.queryLong(
                "SELECT count(order_id) FROM order_import_lines WHERE import_id = " + id))
        .isEqualTo(2);
    long first = server.queryLong(imported + " AND line_no = 1");
    long second = server.queryLong(imported + " AND line_no = 2");
    assertThat(keysOf(imported))
        .isEqualTo(
            first < second
                ? customer + ":" + first + "," + other + ":" + second
                : other + ":" + second + "," + customer + ":" + first);
  }
}
