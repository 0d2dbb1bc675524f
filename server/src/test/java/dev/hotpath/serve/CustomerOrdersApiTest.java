package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CustomerOrdersApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  @Test
  void listsNewestFirstWithAllItems() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    List<Long> placed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      placed.add(fx.order(customer, product, i + 1));
    }
    Api.Response r = api.get("/v1/customers/" + customer + "/orders?limit=3");
    assertThat(r.status()).isEqualTo(200);
    JsonNode data = r.json().get("data");
    assertThat(data).hasSize(3);
    assertThat(data.get(0).get("id").asLong()).isEqualTo(placed.get(4));
    assertThat(data.get(0).get("items").get(0).get("quantity").asInt()).isEqualTo(5);
    assertThat(data.get(2).get("items").get(0).get("quantity").asInt()).isEqualTo(3);

    Api.Response rest =
        api.get(
            "/v1/customers/"
                + customer
                + "/orders?limit=3&cursor="
                + r.json().get("next_cursor").asText());
    assertThat(rest.json().get("data")).hasSize(2);
    assertThat(rest.json().get("data").get(1).get("id").asLong()).isEqualTo(placed.get(0));
    assertThat(rest.json().get("next_cursor").isNull()).isTrue();
  }

  /**
   * A page reads its positions from the customer's key, then its orders joined with their lines:
   * each item of every page, walked by cursor over a seeded customer whose orders span months and
   * have several lines, is the order as {@code GET /v1/orders/{id}} has it, in the key's order;
   * sparse fieldsets (without items, with some item fields) keep the same orders and fields.
   */
  @Test
  void everyItemOfEveryPageIsTheOrderWithItsLinesWhateverTheFieldset() {
    long customer =
        server.queryLong(
            "SELECT k.customer_id FROM orders_by_customer k JOIN order_items i ON i.order_id ="
                + " k.order_id AND i.customer_id = k.customer_id AND i.line_no = 3"
                + " GROUP BY k.customer_id HAVING count(DISTINCT k.order_id) >= 2"
                + " AND count(DISTINCT date_trunc('month', k.created_at)) >= 2"
                + " ORDER BY k.customer_id LIMIT 1");
    List<Long> keyOrder = new ArrayList<>();
    for (String id :
        server
            .queryText(
                "SELECT string_agg(order_id::text, ',' ORDER BY created_at DESC, order_id DESC)"
                    + " FROM orders_by_customer WHERE customer_id = "
                    + customer)
            .trim()
            .split(",")) {
      keyOrder.add(Long.parseLong(id));
    }
    List<Long> seen = new ArrayList<>();
    boolean manyLines = false;
    String cursor = null;
    do {
      Api.Response page = api.get(page(customer, "limit=4", cursor));
      assertThat(page.status()).isEqualTo(200);
      for (JsonNode item : page.json().get("data")) {
        long id = item.get("id").asLong();
        seen.add(id);
        assertThat(item).as("order %d", id).isEqualTo(api.get("/v1/orders/" + id).json());
        manyLines |= item.get("items").size() >= 3;
      }
      JsonNode sparse = api.get(page(customer, "limit=4&fields=id,status", cursor)).json();
      JsonNode someItems =
          api.get(page(customer, "limit=4&fields=id,items.line_no,items.quantity", cursor)).json();
      JsonNode data = page.json().get("data");
      assertThat(sparse.get("data")).hasSameSizeAs(data);
      assertThat(someItems.get("data")).hasSameSizeAs(data);
      for (int i = 0; i < data.size(); i++) {
        assertThat(sparse.get("data").get(i).get("id")).isEqualTo(data.get(i).get("id"));
        assertThat(sparse.get("data").get(i).has("items")).isFalse();
        assertThat(sparse.get("data").get(i).get("status")).isEqualTo(data.get(i).get("status"));
        JsonNode items = someItems.get("data").get(i).get("items");
        assertThat(items).hasSameSizeAs(data.get(i).get("items"));
        for (int j = 0; j < items.size(); j++) {
          assertThat(items.get(j).get("quantity"))
              .isEqualTo(data.get(i).get("items").get(j).get("quantity"));
          assertThat(items.get(j).has("product_name")).isFalse();
        }
      }
      assertThat(sparse.get("next_cursor")).isEqualTo(page.json().get("next_cursor"));
      cursor =
          page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
    } while (cursor != null);
    assertThat(seen).isEqualTo(keyOrder);
    assertThat(manyLines).as("an order with three lines or more was read").isTrue();
  }

  /** The path of a page of {@code customer}'s orders with {@code query}, after {@code cursor}. */
  private static String page(long customer, String query, String cursor) {
    return "/v1/customers/"
        + customer
        + "/orders?"
        + query
        + (cursor == null ? "" : "&cursor=" + cursor);
  }

  @Test
  void filtersByStatus() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    long a = fx.order(customer, product, 1);
    long b = fx.order(customer, product, 1);
    server.execute("UPDATE orders SET status = 'shipped' WHERE id = " + a);
    Api.Response r = api.get("/v1/customers/" + customer + "/orders?status=shipped");
    assertThat(r.json().get("data")).hasSize(1);
    assertThat(r.json().get("data").get(0).get("id").asLong()).isEqualTo(a);
    Api.Response placed = api.get("/v1/customers/" + customer + "/orders?status=placed");
    assertThat(placed.json().get("data").get(0).get("id").asLong()).isEqualTo(b);
  }

  @Test
  void aCustomerWithoutOrdersHasAnEmptyPageAndAMissingCustomerIs404() {
    long customer = fx.customer();
    Api.Response empty = api.get("/v1/customers/" + customer + "/orders");
    assertThat(empty.status()).isEqualTo(200);
    assertThat(empty.json().get("data")).isEmpty();
    assertThat(api.get("/v1/customers/999999999/orders").status()).isEqualTo(404);
  }

  @Test
  void aCursorOfOneCustomerIsRefusedForAnother() {
    long busiest =
        server.queryLong(
            "SELECT customer_id FROM orders GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1");
    String cursor =
        api.get("/v1/customers/" + busiest + "/orders?limit=1").json().get("next_cursor").asText();
    long other = fx.customer();
    Api.Response r = api.get("/v1/customers/" + other + "/orders?cursor=" + cursor);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("type").asText()).endsWith("/invalid-cursor");
    Api.Response filtered =
        api.get("/v1/customers/" + busiest + "/orders?status=placed&cursor=" + cursor);
    assertThat(filtered.status()).isEqualTo(400);
  }

  /**
   * Walks every page of the busiest customer while new orders keep arriving: each pre-existing
   * order appears exactly once, in order.
   */
  @Test
  void walkingAllPagesWhileOrdersArriveHasNoDuplicatesOrGaps() throws Exception {
    long customer =
        server.queryLong(
            "SELECT customer_id FROM orders GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1");
    Set<Long> before = new LinkedHashSet<>();
    try (var conn = server.database().openJdbc();
        var st =
            conn.prepareStatement(
                "SELECT id FROM orders WHERE customer_id = ? ORDER BY created_at DESC, id DESC")) {
      st.setLong(1, customer);
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          before.add(rs.getLong(1));
        }
      }
    }
    assertThat(before.size()).isGreaterThan(100);
    api.patchCurrent(
        "/v1/customers/" + customer,
        "{\"status\":\"active\",\"address\":" + Fixtures.ADDRESS + "}");
    long product = fx.product(100, 1_000_000);
    AtomicBoolean walking = new AtomicBoolean(true);
    CompletableFuture<Integer> writer =
        CompletableFuture.supplyAsync(
            () -> {
              int n = 0;
              while (walking.get() && n < 500) {
                fx.order(customer, product, 1);
                n++;
              }
              return n;
            });
    List<Long> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Response page = api.get(page(customer, "limit=7&fields=id", cursor));
      assertThat(page.status()).isEqualTo(200);
      page.json().get("data").forEach(o -> seen.add(o.get("id").asLong()));
      cursor =
          page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
      pages++;
    } while (cursor != null);
    walking.set(false);
    int inserted = writer.get();

    assertThat(pages).isGreaterThan(10);
    assertThat(inserted).isPositive();
    assertThat(new LinkedHashSet<>(seen)).as("no duplicates").hasSameSizeAs(seen);
    List<Long> preExistingSeen = seen.stream().filter(before::contains).toList();
    assertThat(preExistingSeen)
        .as("every pre-existing order, once, in order")
        .containsExactlyElementsOf(before);
  }
}
