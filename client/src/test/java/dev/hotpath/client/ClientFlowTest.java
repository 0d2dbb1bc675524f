package dev.hotpath.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.App;
import dev.hotpath.cli.DevKeys;
import dev.hotpath.client.api.CustomersApi;
import dev.hotpath.client.api.OrdersApi;
import dev.hotpath.client.invoker.ApiClient;
import dev.hotpath.client.invoker.ApiException;
import dev.hotpath.client.invoker.ApiResponse;
import dev.hotpath.client.model.Address;
import dev.hotpath.client.model.Customer;
import dev.hotpath.client.model.CustomerCreate;
import dev.hotpath.client.model.Order;
import dev.hotpath.client.model.OrderCreate;
import dev.hotpath.client.model.OrderCreateItemsInner;
import dev.hotpath.client.model.OrderPage;
import dev.hotpath.client.model.OrderStatus;
import dev.hotpath.config.Settings;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.ProgressBar;
import dev.hotpath.store.seed.SeedPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated client against a real server (in this JVM, on an embedded PostgreSQL with a few
 * generated products), the way a Java team would use it: a contract change that breaks callers
 * breaks this build.
 */
class ClientFlowTest {
  static Path dataDir;
  static App app;
  static CustomersApi customers;
  static OrdersApi orders;

  @BeforeAll
  static void start() throws IOException {
    dataDir = Files.createTempDirectory("hotpath-client-");
    DevKeys keys = DevKeys.ensure(dataDir);
    Settings settings =
        Settings.fromEnvironment(
            keys.environment(
                Map.of(
                    "HOTPATH_DATA_DIR", dataDir.toString(),
                    "HOTPATH_PORT", "0",
                    "HOTPATH_ACCESS_LOG", "off",
                    "HOTPATH_EVENT_LOOPS", "2",
                    "HOTPATH_DB_POOL_SIZE", "4",
                    "HOTPATH_COMPUTE_POOL_SIZE", "2",
                    "HOTPATH_DB_DEADLINE_GRACE_MS", "10000",
                    "HOTPATH_WARMUP_MS", "0")));
    App.Database db = App.openDatabase(settings);
    DataGenerator.seed(db.coordinates(), new SeedPlan(5, 20, 0, 7), new ProgressBar(System.err));
    app = App.start(settings, db);
    String token =
        keys.mint(
            "service:client-test",
            List.of("service", "customers:read", "customers:write", "orders:read", "orders:write"),
            Duration.ofHours(1));
    ApiClient client = Hotpath.client("http://127.0.0.1:" + app.port(), () -> token);
    customers = new CustomersApi(client);
    orders = new OrdersApi(client);
  }

  @AfterAll
  static void stop() throws IOException {
    if (app != null) {
      app.close();
    }
  }

  private static Customer newCustomer() throws ApiException {
    CustomerCreate body =
        new CustomerCreate()
            .email("client-" + UUID.randomUUID() + "@example.com")
            .name("Client Test")
            .address(
                new Address().line1("1 Main St").city("Lyon").postalCode("69001").country("FR"));
    return Hotpath.call(() -> customers.createCustomer(UUID.randomUUID().toString(), body, null));
  }

  private static OrderCreate oneItemFor(Customer customer, long productId) {
    return new OrderCreate()
        .customerId(customer.getId())
        .items(List.of(new OrderCreateItemsInner().productId(productId).quantity(1)));
  }

  @Test
  void createsAnOrderOnceForOneIdempotencyKey() throws ApiException {
    Customer customer = newCustomer();
    String key = UUID.randomUUID().toString();
    ApiResponse<Order> first =
        Hotpath.call(() -> orders.createOrderWithHttpInfo(key, oneItemFor(customer, 1), null));
    ApiResponse<Order> retry =
        Hotpath.call(() -> orders.createOrderWithHttpInfo(key, oneItemFor(customer, 1), null));

    assertThat(first.getStatusCode()).isEqualTo(201);
    assertThat(first.getData().getCustomerId()).isEqualTo(customer.getId());
    assertThat(first.getData().getStatus()).isEqualTo(OrderStatus.PLACED);
    assertThat(retry.getData().getId()).isEqualTo(first.getData().getId());
    assertThat(retry.getHeaders().get("Idempotent-Replayed")).containsExactly("true");
  }

  @Test
  void revalidatesAnOrderWithItsEtag() throws ApiException {
    Customer customer = newCustomer();
    Order order =
        Hotpath.call(
            () -> orders.createOrder(UUID.randomUUID().toString(), oneItemFor(customer, 2), null));
    ApiResponse<Order> read =
        Hotpath.call(() -> orders.getOrderWithHttpInfo(order.getId(), null, null, null));
    String etag = read.getHeaders().get("ETag").getFirst();

    assertThat(read.getData().getId()).isEqualTo(order.getId());
    assertThatThrownBy(() -> Hotpath.call(() -> orders.getOrder(order.getId(), null, etag, null)))
        .isInstanceOf(ApiException.class)
        .isNotInstanceOf(ProblemException.class)
        .extracting(e -> ((ApiException) e).getCode())
        .isEqualTo(304);
  }

  @Test
  void pagesThroughACustomersOrdersWithTheCursor() throws ApiException {
    Customer customer = newCustomer();
    List<Long> placed = new ArrayList<>();
    for (long product = 3; product <= 7; product++) {
      long p = product;
      placed.add(
          Hotpath.call(
                  () ->
                      orders.createOrder(
                          UUID.randomUUID().toString(), oneItemFor(customer, p), null))
              .getId());
    }
    List<Long> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      String from = cursor;
      OrderPage page =
          Hotpath.call(
              () -> orders.listCustomerOrders(customer.getId(), null, 2, from, null, null));
      page.getData().forEach(o -> seen.add(o.getId()));
      cursor = page.getNextCursor();
      pages++;
    } while (cursor != null && pages < 10);

    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(placed).doesNotHaveDuplicates();
  }

  @Test
  void cancelsWithIfMatchAndRefusesAStaleTag() throws ApiException {
    Customer customer = newCustomer();
    Order order =
        Hotpath.call(
            () -> orders.createOrder(UUID.randomUUID().toString(), oneItemFor(customer, 8), null));
    String etag =
        Hotpath.call(() -> orders.getOrderWithHttpInfo(order.getId(), null, null, null))
            .getHeaders()
            .get("ETag")
            .getFirst();

    Order cancelled = Hotpath.call(() -> orders.cancelOrder(etag, order.getId()));

    assertThat(cancelled.getStatus()).isEqualTo(OrderStatus.CANCELLED);
    assertThatThrownBy(() -> Hotpath.call(() -> orders.cancelOrder(etag, order.getId())))
        .isInstanceOfSatisfying(
            ProblemException.class,
            p -> {
              assertThat(p.getCode()).isEqualTo(412);
              assertThat(p.kind()).isEqualTo("precondition-failed");
            });
  }

  @Test
  void throwsProblemsAsTypedExceptions() {
    assertThatThrownBy(() -> Hotpath.call(() -> orders.getOrder(987_654_321L, null, null, null)))
        .isInstanceOfSatisfying(
            ProblemException.class,
            p -> {
              assertThat(p.kind()).isEqualTo("not-found");
              assertThat(p.problem().getStatus()).isEqualTo(404);
            });
    CustomerCreate bad = new CustomerCreate().email("not-an-address").name("");
    assertThatThrownBy(
            () ->
                Hotpath.call(
                    () -> customers.createCustomer(UUID.randomUUID().toString(), bad, null)))
        .isInstanceOfSatisfying(
            ProblemException.class,
            p -> {
              assertThat(p.getCode()).isEqualTo(400);
              assertThat(p.kind()).isEqualTo("validation-error");
              assertThat(p.problem().getErrors()).isNotEmpty();
            });
  }
}
