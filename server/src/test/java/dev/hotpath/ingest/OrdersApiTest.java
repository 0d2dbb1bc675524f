package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import org.junit.jupiter.api.Test;

class OrdersApiTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  @Test
  void placesAnOrderWithDatabasePricesAndTakesStock() {
    long customer = fx.customer();
    long p1 = fx.product(1250, 10);
    long p2 = fx.product(399, 5);
    Api.Response r =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + customer
                + ",\"items\":[{\"product_id\":"
                + p1
                + ",\"quantity\":2},{\"product_id\":"
                + p2
                + ",\"quantity\":3}]}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    JsonNode order = r.json();
    long id = order.get("id").asLong();
    assertThat(r.header("Location")).contains("/v1/orders/" + id);
    assertThat(order.get("status").asText()).isEqualTo("placed");
    assertThat(order.get("currency").asText()).isEqualTo("USD");
    assertThat(order.get("total_minor").asLong()).isEqualTo(2 * 1250 + 3 * 399);
    assertThat(order.get("item_count").asInt()).isEqualTo(2);
    assertThat(order.get("items").get(0).get("unit_price_minor").asLong()).isEqualTo(1250);
    assertThat(order.get("items").get(1).get("line_total_minor").asLong()).isEqualTo(3 * 399);
    assertThat(order.get("items").get(1).get("line_no").asInt()).isEqualTo(2);
    assertThat(order.get("shipping_address").get("city").asText()).isEqualTo("Springfield");
    assertThat(fx.stock(p1)).isEqualTo(8);
    assertThat(fx.stock(p2)).isEqualTo(2);

    Api.Response fetched = api.get("/v1/orders/" + id);
    assertThat(fetched.status()).isEqualTo(200);
    assertThat(fetched.json()).isEqualTo(order);
  }

  @Test
  void snapshotsNameAndPriceSoLaterChangesDoNotRewriteHistory() {
    long customer = fx.customer();
    long product = fx.product(1000, 10);
    long order = fx.order(customer, product, 1);
    server.execute(
        "UPDATE products SET price_minor = 5000, name = 'Renamed' WHERE id = " + product);
    server.execute(
        "UPDATE customers SET address = '{\"line1\":\"Elsewhere\",\"city\":\"X\",\"postal_code\":\"1\",\"country\":\"DE\"}' WHERE id = "
            + customer);
    JsonNode fetched = api.get("/v1/orders/" + order).json();
    assertThat(fetched.get("items").get(0).get("unit_price_minor").asLong()).isEqualTo(1000);
    assertThat(fetched.get("items").get(0).get("product_name").asText())
        .startsWith("Fixture product");
    assertThat(fetched.get("shipping_address").get("city").asText()).isEqualTo("Springfield");
  }

  @Test
  void usesTheShippingAddressGiven() {
    long customer = fx.customer();
    long product = fx.product(100, 10);
    Api.Response r =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + customer
                + ",\"items\":[{\"product_id\":"
                + product
                + ",\"quantity\":1}],\"shipping_address\":{\"line1\":\"9 Dock Road\",\"city\":\"Hamburg\",\"postal_code\":\"20457\",\"country\":\"DE\"}}");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().get("shipping_address").get("country").asText()).isEqualTo("DE");
  }

  @Test
  void aShippingAddressIsTextOnOneLineStoredInNfc() {
    long customer = fx.customer();
    long product = fx.product(100, 10);
    String order = "{\"customer_id\":" + customer + ",\"items\":[{\"product_id\":" + product;
    String before = fx.rowCounts();
    // a terminal's escape sequence, a line break, a bidirectional override, a blank required field
    for (String[] bad :
        new String[][] {
          {"city", "x\\u001b[31mred", "control characters (U+001B)"},
          {"line1", "9 Dock\\nRoad", "control characters (U+000A)"},
          {"postal_code", "\\u202e75402", "bidirectional override"},
          {"line1", " \\u00a0 ", "must not be blank"}
        }) {
      String address =
          "{\"line1\":\"9 Dock Road\",\"city\":\"Hamburg\",\"postal_code\":\"20457\",\"country\":\"DE\"}"
              .replaceFirst(
                  "\"" + bad[0] + "\":\"[^\"]*\"",
                  java.util.regex.Matcher.quoteReplacement(
                      "\"" + bad[0] + "\":\"" + bad[1] + "\""));
      Api.Response refused =
          api.post("/v1/orders", order + ",\"quantity\":1}],\"shipping_address\":" + address + "}");
      assertThat(refused.status()).as(refused.body()).isEqualTo(400);
      assertThat(refused.json().get("errors").get(0).get("field").asText())
          .isEqualTo("/shipping_address/" + bad[0]);
      assertThat(refused.body()).contains(bad[2]);
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
    assertThat(fx.stock(product)).isEqualTo(10);
    Api.Response placed =
        api.post(
            "/v1/orders",
            order
                + ",\"quantity\":1}],\"shipping_address\":{\"line1\":\"Rue de l'E\u0301glise\",\"city\":\"Orle\u0301ans\",\"postal_code\":\"45000\",\"country\":\"FR\"}}");
    assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    assertThat(placed.json().get("shipping_address").get("city").asText())
        .isEqualTo("Orl\u00e9ans");
    assertThat(placed.json().get("shipping_address").get("line1").asText())
        .isEqualTo("Rue de l'\u00c9glise");
  }

  @Test
  void refusesOutOfStockAndChangesNothing() {
    long customer = fx.customer();
    long plenty = fx.product(100, 50);
    long scarce = fx.product(100, 1);
    String before = fx.rowCounts();
    Api.Response r =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + customer
                + ",\"items\":[{\"product_id\":"
                + plenty
                + ",\"quantity\":5},{\"product_id\":"
                + scarce
                + ",\"quantity\":2}]}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://hotpath.dev/problems/out-of-stock");
    assertThat(r.json().get("errors").get(0).get("field").asText()).isEqualTo("/items/1/quantity");
    assertThat(fx.rowCounts()).isEqualTo(before);
    assertThat(fx.stock(plenty)).isEqualTo(50);
  }

  @Test
  void refusesUnknownProductsCustomersAndMixedCurrencies() {
    long customer = fx.customer();
    long usd = fx.product("fixtures", 100, 10, "USD");
    long eur = fx.product("fixtures", 100, 10, "EUR");
    String before = fx.rowCounts();
    assertThat(
            api.post(
                    "/v1/orders",
                    "{\"customer_id\":"
                        + customer
                        + ",\"items\":[{\"product_id\":999999999,\"quantity\":1}]}")
                .json()
                .get("type")
                .asText())
        .endsWith("/unknown-product");
    assertThat(
            api.post(
                    "/v1/orders",
                    "{\"customer_id\":999999999,\"items\":[{\"product_id\":"
                        + usd
                        + ",\"quantity\":1}]}")
                .json()
                .get("type")
                .asText())
        .endsWith("/unknown-customer");
    assertThat(
            api.post(
                    "/v1/orders",
                    "{\"customer_id\":"
                        + customer
                        + ",\"items\":[{\"product_id\":"
                        + usd
                        + ",\"quantity\":1},{\"product_id\":"
                        + eur
                        + ",\"quantity\":1}]}")
                .json()
                .get("type")
                .asText())
        .endsWith("/currency-mismatch");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  @Test
  void refusesOrdersOfInactiveCustomersAndWithoutAnyAddress() {
    long suspended = fx.customer();
    api.patchCurrent("/v1/customers/" + suspended, "{\"status\":\"suspended\"}");
    long product = fx.product(100, 10);
    Api.Response r =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + suspended
                + ",\"items\":[{\"product_id\":"
                + product
                + ",\"quantity\":1}]}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("type").asText()).endsWith("/unknown-customer");

    long homeless =
        api.post(
                "/v1/customers",
                "{\"email\":\"" + Fixtures.uniqueEmail("na") + "\",\"name\":\"N\"}")
            .json()
            .get("id")
            .asLong();
    Api.Response noAddress =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + homeless
                + ",\"items\":[{\"product_id\":"
                + product
                + ",\"quantity\":1}]}");
    assertThat(noAddress.status()).isEqualTo(422);
    assertThat(noAddress.json().get("type").asText()).endsWith("/missing-shipping-address");
    assertThat(fx.stock(product)).isEqualTo(10);
  }

  @Test
  void refusesTheSameProductOnTwoLines() {
    long customer = fx.customer();
    long product = fx.product(100, 10);
    Api.Response r =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + customer
                + ",\"items\":[{\"product_id\":"
                + product
                + ",\"quantity\":1},{\"product_id\":"
                + product
                + ",\"quantity\":1}]}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("errors").get(0).get("field").asText())
        .isEqualTo("/items/1/product_id");
  }

  @Test
  void concurrentOrdersNeverOversell() throws Exception {
    long customer = fx.customer();
    long product = fx.product(100, 20);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    var statuses = new java.util.concurrent.ConcurrentLinkedQueue<Integer>();
    var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
    for (int i = 0; i < 40; i++) {
      futures.add(
          pool.submit(
              () ->
                  statuses.add(
                      api.post(
                              "/v1/orders",
                              "{\"customer_id\":"
                                  + customer
                                  + ",\"items\":[{\"product_id\":"
                                  + product
                                  + ",\"quantity\":1}]}")
                          .status())));
    }
    for (var f : futures) {
      f.get();
    }
    pool.shutdown();
    assertThat(statuses).as("statuses").filteredOn(s -> s != 422).containsOnly(201);
    assertThat(statuses.stream().filter(s -> s == 201).count()).isEqualTo(20);
    assertThat(statuses.stream().filter(s -> s == 422).count()).isEqualTo(20);
    assertThat(fx.stock(product)).isZero();
  }

  @Test
  void returns404ForAMissingOrderAnd400ForABadId() {
    assertThat(api.get("/v1/orders/999999999").status()).isEqualTo(404);
    Api.Response bad = api.get("/v1/orders/abc");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("errors").get(0).get("field").asText()).isEqualTo("id");
  }

  @Test
  void sparseFieldsetsReachIntoItems() {
    long customer = fx.customer();
    long order = fx.order(customer, fx.product(100, 10), 2);
    Api.Response r = api.get("/v1/orders/" + order + "?fields=id,items.quantity");
    assertThat(r.json().toString())
        .isEqualTo("{\"id\":" + order + ",\"items\":[{\"quantity\":2}]}");
    Api.Response unknown = api.get("/v1/orders/" + order + "?fields=id,bogus,items.nope");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("errors")).hasSize(2);
  }
}
