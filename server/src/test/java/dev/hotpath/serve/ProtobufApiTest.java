package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.hotpath.proto.v1.Address;
import dev.hotpath.proto.v1.Customer;
import dev.hotpath.proto.v1.CustomerPage;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrderCreate;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.proto.v1.Product;
import dev.hotpath.proto.v1.ProductPage;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.ProtoJson;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code Accept: application/x-protobuf} on the order, customer and product reads, over a real
 * socket: the protobuf answer decodes to the same values as the JSON answer, carries its own entity
 * tag and revalidates to a 304; {@code POST /v1/orders} takes a protobuf body.
 */
class ProtobufApiTest {
  private static final String PROTOBUF = "application/x-protobuf";

  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private Api.Response protobuf(Api client, String path, String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "Accept";
    all[1] = PROTOBUF;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return client.get(path, all);
  }

  /** The protobuf answer of {@code path} equals its JSON answer read into the same message. */
  private <T extends Message> T sameAsJson(String path, T prototype) {
    Api.Response json = api.get(path);
    Api.Response pb = protobuf(api, path);
    assertThat(json.status()).as(json.body()).isEqualTo(200);
    assertThat(pb.status()).as(pb.body()).isEqualTo(200);
    assertThat(json.contentType()).startsWith("application/json");
    assertThat(pb.contentType()).isEqualTo(PROTOBUF);
    assertThat(pb.raw().headers().allValues("Vary")).containsExactly("Accept-Encoding", "Accept");
    assertThat(json.raw().headers().allValues("Vary")).containsExactly("Accept-Encoding", "Accept");
    T decoded = decode(pb, prototype);
    assertThat(decoded).isEqualTo(ProtoJson.parse(json.body(), prototype));
    assertThat(pb.bytes().length).isLessThan(json.body().length());
    return decoded;
  }

  /** A new customer with three orders (of 1, 2 and 3 of {@code product}). */
  private long customerWithThreeOrders(long product) {
    long customer = fx.customer();
    for (int i = 1; i <= 3; i++) {
      fx.order(customer, product, i);
    }
    return customer;
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T decode(Api.Response r, T prototype) {
    try {
      return (T) prototype.getParserForType().parseFrom(r.bytes());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("not a protobuf body: " + r, e);
    }
  }

  @Test
  void anOrderInProtobufHasTheValuesOfItsJson() {
    long customer = fx.customer();
    long product = fx.product(1_250, 100);
    long id = fx.order(customer, product, 3);
    Order order = sameAsJson("/v1/orders/" + id, Order.getDefaultInstance());
    assertThat(order.getId()).isEqualTo(id);
    assertThat(order.getCustomerId()).isEqualTo(customer);
    assertThat(order.getItemsList()).hasSize(1);
    assertThat(order.getItems(0).getQuantity()).isEqualTo(3);
    assertThat(order.getItems(0).getUnitPriceMinor()).isEqualTo(1_250);
    assertThat(order.getShippingAddress().getCity()).isEqualTo("Springfield");
    assertThat(order.getCreatedAt()).isNotEmpty();
  }

  /**
   * A weight of 0 means "not acceptable" (RFC 9110 12.4.2), which Vert.x's router takes as the
   * lowest weight: the format the client refuses is never sent, and refusing both is a 406.
   */
  @Test
  void aFormatWeightedZeroIsNeverSentAndRefusingBothIsA406() {
    long id = fx.order(fx.customer(), fx.product(900, 100), 1);
    String path = "/v1/orders/" + id;
    Map<String, String> chosen =
        Map.of(
            "application/json;q=0, */*", PROTOBUF,
            "application/x-protobuf;q=0, */*;q=0.1", "application/json",
            "application/json; q=0, application/x-protobuf;q=0.5", PROTOBUF,
            "application/x-protobuf;q=0.5, application/*;q=0.8", "application/json",
            "application/x-protobuf;q=1, application/json;q=1", "application/json");
    chosen.forEach(
        (accept, type) -> {
          Api.Response r = api.get(path, "Accept", accept);
          assertThat(r.status()).as(accept + ": " + r.body()).isEqualTo(200);
          assertThat(r.contentType()).as(accept).startsWith(type);
        });
    for (String accept :
        List.of(
            "application/json;q=0",
            "application/x-protobuf;q=0",
            "*/*;q=0",
            "application/json;q=0.0, application/x-protobuf;q=0")) {
      Api.Response r = api.get(path, "Accept", accept);
      assertThat(r.status()).as(accept + ": " + r.body()).isIn(406);
      assertThat(r.contentType()).startsWith("application/problem+json");
      assertThat(r.json().get("detail").asText()).contains("application/x-protobuf");
    }
  }

  @Test
  void pagesCustomersAndProductsInProtobufHaveTheValuesOfTheirJson() {
    long product = fx.product(700, 100);
    long customer = customerWithThreeOrders(product);
    OrderPage first =
        sameAsJson("/v1/customers/" + customer + "/orders?limit=2", OrderPage.getDefaultInstance());
    assertThat(first.getDataList()).hasSize(2);
    assertThat(first.hasNextCursor()).isTrue();
    // the cursor of a protobuf page works for the next page, in either format
    OrderPage rest =
        sameAsJson(
            "/v1/customers/" + customer + "/orders?limit=2&cursor=" + first.getNextCursor(),
            OrderPage.getDefaultInstance());
    assertThat(rest.getDataList()).hasSize(1);
    assertThat(rest.hasNextCursor()).isFalse();

    Customer c = sameAsJson("/v1/customers/" + customer, Customer.getDefaultInstance());
    assertThat(c.getId()).isEqualTo(customer);
    CustomerPage customers = sameAsJson("/v1/customers?limit=5", CustomerPage.getDefaultInstance());
    assertThat(customers.getDataList()).hasSize(5);
    Product p = sameAsJson("/v1/products/" + product, Product.getDefaultInstance());
    assertThat(p.getPriceMinor()).isEqualTo(700);
    sameAsJson("/v1/products?limit=3", ProductPage.getDefaultInstance());
  }

  /**
   * A page that is not cached (a cursor page) is written in protobuf straight from its rows: the
   * very bytes the JSON page transcodes to, in every fieldset, with the JSON page's tag plus {@code
   * .pb}.
   */
  @Test
  void aCursorPageInProtobufIsByteForByteItsJsonTranscoded() {
    long customer = customerWithThreeOrders(fx.product(700, 100));
    String first =
        api.get("/v1/customers/" + customer + "/orders?limit=1")
            .json()
            .path("next_cursor")
            .asText();
    for (String fields :
        new String[] {
          "",
          "&fields=id,items.quantity",
          "&fields=status,payment,shipping_address",
          "&fields=items"
        }) {
      String path = "/v1/customers/" + customer + "/orders?limit=1&cursor=" + first + fields;
      Api.Response json = api.get(path);
      Api.Response pb = protobuf(api, path);
      assertThat(json.status()).as(json.body()).isEqualTo(200);
      assertThat(pb.status()).as(pb.body()).isEqualTo(200);
      assertThat(pb.bytes())
          .as(fields)
          .isEqualTo(
              ProtobufForms.bytes(
                      io.vertx.core.buffer.Buffer.buffer(json.body()),
                      OrderPage.getDefaultInstance())
                  .getBytes());
      String tag = json.raw().headers().firstValue("ETag").orElseThrow();
      assertThat(pb.raw().headers().firstValue("ETag"))
          .contains(tag.substring(0, tag.length() - 1) + ".pb\"");
    }
  }

  /**
   * A cursor page of several orders written from its rows (OrderProtobuf): payments with and
   * without an authorization and none, an address with a null, a number and an unknown object,
   * orders of several lines; as its JSON page transcodes, byte for byte, up to the last page (no
   * cursor).
   */
  @Test
  void aCursorPageOfSeveralOrdersInProtobufIsByteForByteItsJsonTranscoded() {
    long product = fx.product(990, 1_000);
    long other = fx.product(15, 1_000);
    long customer = fx.customer();
    long[] orders = new long[5];
    for (int i = 0; i < orders.length; i++) {
      orders[i] = fx.order(customer, i % 2 == 0 ? product : other, i + 1);
    }
    server.execute(
        "UPDATE orders SET payment_status = 'authorized', payment_authorization = 'auth_"
            + orders[1]
            + "' WHERE id = "
            + orders[1]);
    server.execute(
        "UPDATE orders SET shipping_address = '{\"line1\":\"1 Rue \u00e9t\u00e9\","
            + "\"city\":\"Paris\",\"postal_code\":\"75001\",\"country\":\"FR\"}'::jsonb"
            + " WHERE id = "
            + orders[3]);
    String first =
        api.get("/v1/customers/" + customer + "/orders?limit=1")
            .json()
            .path("next_cursor")
            .asText();
    for (int limit : new int[] {2, 4, 20}) {
      for (String fields : new String[] {"", "&fields=id,payment,items,shipping_address"}) {
        String path =
            "/v1/customers/" + customer + "/orders?limit=" + limit + "&cursor=" + first + fields;
        Api.Response json = api.get(path);
        Api.Response pb = protobuf(api, path);
        assertThat(json.status()).as(json.body()).isEqualTo(200);
        assertThat(pb.status()).as(pb.body()).isEqualTo(200);
        assertThat(pb.bytes())
            .as(path)
            .isEqualTo(
                ProtobufForms.bytes(
                        io.vertx.core.buffer.Buffer.buffer(json.body()),
                        OrderPage.getDefaultInstance())
                    .getBytes());
        OrderPage page = decode(pb, OrderPage.getDefaultInstance());
        assertThat(page.getDataList()).hasSize(Math.min(limit, orders.length - 1));
        assertThat(page.hasNextCursor()).isEqualTo(limit < orders.length - 1);
      }
    }
  }

  @Test
  void aSparseFieldsetLeavesTheOtherFieldsAbsent() {
    long id = fx.order(fx.customer(), fx.product(100, 100), 1);
    Order order = sameAsJson("/v1/orders/" + id + "?fields=id,status", Order.getDefaultInstance());
    assertThat(order.hasId()).isTrue();
    assertThat(order.hasStatus()).isTrue();
    assertThat(order.hasCustomerId()).isFalse();
    assertThat(order.getItemsList()).isEmpty();
  }

  @Test
  void eachFormatHasItsOwnEntityTagAndAProtobufGetRevalidatesTo304() {
    long id = fx.order(fx.customer(), fx.product(100, 100), 1);
    String path = "/v1/orders/" + id;
    String jsonTag = api.etag(path);
    Api.Response pb = protobuf(api, path);
    String pbTag = pb.header("ETag").orElseThrow();
    assertThat(pbTag).isNotEqualTo(jsonTag).endsWith(".pb\"");

    Api.Response again = protobuf(api, path, "If-None-Match", pbTag);
    assertThat(again.status()).isEqualTo(304);
    assertThat(again.header("ETag")).contains(pbTag);
    // the JSON tag names another representation: the protobuf one is sent in full
    assertThat(protobuf(api, path, "If-None-Match", jsonTag).status()).isEqualTo(200);
    assertThat(api.get(path, "If-None-Match", pbTag).status()).isEqualTo(200);

    // a page revalidates the same way
    long customer = fx.customer();
    fx.order(customer, fx.product(100, 100), 1);
    String page = "/v1/customers/" + customer + "/orders";
    String pageTag = protobuf(api, page).header("ETag").orElseThrow();
    assertThat(protobuf(api, page, "If-None-Match", pageTag).status()).isEqualTo(304);
  }

  @Test
  void aWriteDropsTheProtobufFormFromTheCacheToo() {
    long customer = fx.customer();
    String path = "/v1/customers/" + customer;
    Customer before = decode(protobuf(api, path), Customer.getDefaultInstance());
    Api.Response patched = api.patchCurrent(path, "{\"name\":\"Renamed In Protobuf\"}");
    assertThat(patched.status()).as(patched.body()).isEqualTo(200);
    Customer after = decode(protobuf(api, path), Customer.getDefaultInstance());
    assertThat(after.getName()).isEqualTo("Renamed In Protobuf");
    assertThat(after.getVersion()).isEqualTo(before.getVersion() + 1);
  }

  @Test
  void anotherCustomersOrderIsA404InProtobufAsInJson() {
    long owner = fx.customer();
    long id = fx.order(owner, fx.product(100, 100), 1);
    Api stranger = api.as(Tokens.get().customer(fx.customer()));
    Api.Response r = protobuf(stranger, "/v1/orders/" + id);
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(protobuf(api.as(Tokens.get().customer(owner)), "/v1/orders/" + id).status())
        .isEqualTo(200);
  }

  @Test
  void anOrderPlacedWithAProtobufBodyIsTheSameAsOneFromJson() {
    long customer = fx.customer();
    long product = fx.product(900, 100);
    OrderCreate create =
        OrderCreate.newBuilder()
            .setCustomerId(customer)
            .addItems(OrderCreate.Item.newBuilder().setProductId(product).setQuantity(2))
            .setShippingAddress(
                Address.newBuilder()
                    .setLine1("9 Wire Lane")
                    .setCity("Bytetown")
                    .setPostalCode("0101")
                    .setCountry("NL"))
            .build();
    Api.Response placed = postProtobuf(create.toByteArray());
    assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    long id = placed.json().get("id").asLong();
    Order order = sameAsJson("/v1/orders/" + id, Order.getDefaultInstance());
    assertThat(order.getItems(0).getQuantity()).isEqualTo(2);
    assertThat(order.getTotalMinor()).isEqualTo(1_800);
    assertThat(order.getShippingAddress().getCity()).isEqualTo("Bytetown");
  }

  @Test
  void aBodyThatIsNotProtobufIsA400() {
    Api.Response r = postProtobuf(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    // a well-formed message that misses what the contract requires fails its validation
    Api.Response empty =
        postProtobuf(OrderCreate.newBuilder().setCustomerId(1).build().toByteArray());
    assertThat(empty.status()).isEqualTo(400);
  }

  private Api.Response postProtobuf(byte[] body) {
    return api.send(
        api.request("/v1/orders")
            .header("Content-Type", PROTOBUF)
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }
}
