package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import org.junit.jupiter.api.Test;

/**
 * Every line of an order carries its order's customer_id (V13, the shard key): the seed's lines
 * (the test server's data), a line placed through the API and one imported.
 */
class OrderLineKeysTest {
  private final TestServer server = TestServer.get();
  private final Fixtures fx = new Fixtures(server);

  private long linesOfAnotherCustomer() {
    return server.queryLong(
        "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id"
            + " WHERE i.customer_id <> o.customer_id");
  }

  @Test
  void theSeedsLinesCarryTheirOrdersCustomer() {
    assertThat(server.queryLong("SELECT count(*) FROM order_items")).isGreaterThan(400_000);
    assertThat(linesOfAnotherCustomer()).isZero();
  }

  @Test
  void aPlacedOrdersLinesCarryItsCustomer() {
    long customer = fx.customer();
    long order = fx.order(customer, fx.product(100, 10), 2);
    assertThat(
            server.queryText(
                "SELECT string_agg(customer_id::text, ',') FROM order_items WHERE order_id = "
                    + order))
        .isEqualToIgnoringWhitespace(Long.toString(customer));
    assertThat(linesOfAnotherCustomer()).isZero();
  }

  @Test
  void anImportedOrdersLinesCarryItsCustomer() {
    long customer = fx.customer();
    long other = fx.customer();
    long a = fx.product(100, 100);
    long b = fx.product(200, 100);
    String file =
        "{\"customer_id\":%d,\"items\":[{\"product_id\":%d,\"quantity\":1},{\"product_id\":%d,\"quantity\":2}]}%n%s%n"
            .formatted(customer, a, b, Fixtures.orderBody(other, b, 1));
    long id = fx.importOrders(file);
    assertThat(
            server.queryText(
                "SELECT string_agg(o.customer_id || ':' || i.line_no || ':' || i.customer_id, ','"
                    + " ORDER BY o.id, i.line_no) FROM order_import_lines l"
                    + " JOIN orders o ON o.id = l.order_id JOIN order_items i ON i.order_id = o.id"
                    + " WHERE l.import_id = "
                    + id))
        .isEqualToIgnoringWhitespace(
            customer + ":1:" + customer + "," + customer + ":2:" + customer + "," + other + ":1:"
                + other);
    assertThat(linesOfAnotherCustomer()).isZero();
  }
}
