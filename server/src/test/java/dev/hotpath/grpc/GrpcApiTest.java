package dev.hotpath.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.hotpath.proto.v1.Customer;
import dev.hotpath.proto.v1.CustomersServiceGrpc;
import dev.hotpath.proto.v1.GetCustomerRequest;
import dev.hotpath.proto.v1.GetOrderRequest;
import dev.hotpath.proto.v1.GetProductRequest;
import dev.hotpath.proto.v1.ListCustomerOrdersRequest;
import dev.hotpath.proto.v1.ListProductsRequest;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrderCreate;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import dev.hotpath.proto.v1.Product;
import dev.hotpath.proto.v1.ProductPage;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.ProtoJson;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC over a real socket against the test server: each call answers what the same request over
 * REST answers (decoded objects compared), with the same authentication and tenant isolation, and
 * problems mapped to status codes.
 */
class GrpcApiTest {
  private static ManagedChannel channel;

  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  @BeforeAll
  static void connect() {
    int port = TestServer.get().app().grpcPort().orElseThrow();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  static <S extends AbstractStub<S>> S as(S stub, String token, String... more) {
    Metadata md = new Metadata();
    if (token != null) {
      md.put(CallHeaders.AUTHORIZATION, "Bearer " + token);
    }
    for (int i = 0; i < more.length; i += 2) {
      md.put(Metadata.Key.of(more[i], Metadata.ASCII_STRING_MARSHALLER), more[i + 1]);
    }
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private OrdersServiceGrpc.OrdersServiceBlockingStub orders(String token, String... more) {
    return as(OrdersServiceGrpc.newBlockingStub(channel), token, more);
  }

  private static String service() {
    return Tokens.get().service();
  }

  private static Status.Code codeOf(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call failed").isNotNull();
    return e.getStatus().getCode();
  }

  @Test
  void getOrderAnswersWhatRestAnswers() {
    long id = fx.order(fx.customer(), fx.product(1_500, 100), 2);
    Order grpc = orders(service()).getOrder(GetOrderRequest.newBuilder().setId(id).build());
    Api.Response rest = api.get("/v1/orders/" + id);
    assertThat(grpc).isEqualTo(ProtoJson.parse(rest.body(), Order.getDefaultInstance()));
    assertThat(grpc.getTotalMinor()).isEqualTo(3_000);

    Order sparse =
        orders(service())
            .getOrder(GetOrderRequest.newBuilder().setId(id).setFields("id,total_minor").build());
    assertThat(sparse.hasId()).isTrue();
    assertThat(sparse.hasStatus()).isFalse();
  }

  @Test
  void listCustomerOrdersPagesWithTheCursorOfRest() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    for (int i = 1; i <= 3; i++) {
      fx.order(customer, product, i);
    }
    var stub = orders(service());
    OrderPage first =
        stub.listCustomerOrders(
            ListCustomerOrdersRequest.newBuilder().setId(customer).setLimit(2).build());
    Api.Response restFirst = api.get("/v1/customers/" + customer + "/orders?limit=2");
    assertThat(first).isEqualTo(ProtoJson.parse(restFirst.body(), OrderPage.getDefaultInstance()));
    assertThat(first.getDataList()).hasSize(2);

    OrderPage rest =
        stub.listCustomerOrders(
            ListCustomerOrdersRequest.newBuilder()
                .setId(customer)
                .setLimit(2)
                .setCursor(first.getNextCursor())
                .build());
    Api.Response restNext =
        api.get("/v1/customers/" + customer + "/orders?limit=2&cursor=" + first.getNextCursor());
    assertThat(rest).isEqualTo(ProtoJson.parse(restNext.body(), OrderPage.getDefaultInstance()));
    assertThat(rest.getDataList()).hasSize(1);
    assertThat(rest.hasNextCursor()).isFalse();
  }

  @Test
  void createOrderTakesItsIdempotencyKeyFromMetadataAndReplaysIt() {
    long customer = fx.customer();
    long product = fx.product(250, 100);
    OrderCreate create =
        OrderCreate.newBuilder()
            .setCustomerId(customer)
            .addItems(OrderCreate.Item.newBuilder().setProductId(product).setQuantity(4))
            .build();
    String key = UUID.randomUUID().toString();
    Order placed = orders(service(), "idempotency-key", key).createOrder(create);
    assertThat(placed.getTotalMinor()).isEqualTo(1_000);
    assertThat(placed)
        .isEqualTo(
            ProtoJson.parse(
                api.get("/v1/orders/" + placed.getId()).body(), Order.getDefaultInstance()));
    Order again = orders(service(), "idempotency-key", key).createOrder(create);
    assertThat(again.getId()).isEqualTo(placed.getId());
    assertThat(fx.stock(product)).isEqualTo(96);

    assertThat(codeOf(() -> orders(service()).createOrder(create)))
        .as("no idempotency key")
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    OrderCreate tooMany =
        create.toBuilder()
            .setItems(0, OrderCreate.Item.newBuilder().setProductId(product).setQuantity(1_000))
            .build();
    assertThat(
            codeOf(
                () ->
                    orders(service(), "idempotency-key", UUID.randomUUID().toString())
                        .createOrder(tooMany)))
        .as("out of stock")
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void aMissingOrInvalidTokenIsUnauthenticated() {
    long id = fx.order(fx.customer(), fx.product(100, 100), 1);
    GetOrderRequest request = GetOrderRequest.newBuilder().setId(id).build();
    assertThat(codeOf(() -> orders(null).getOrder(request))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(codeOf(() -> orders("not.a.token").getOrder(request)))
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void twoTokensOrTwoIdempotencyKeysAreInvalidArgumentAndChangeNothing() {
    long customer = fx.customer();
    long product = fx.product(100, 100);
    long id = fx.order(customer, product, 1);
    GetOrderRequest request = GetOrderRequest.newBuilder().setId(id).build();
    String stranger = Tokens.get().customer(fx.customer());
    // the owner's token and a stranger's, in either order
    assertThat(
            codeOf(
                () ->
                    orders(Tokens.get().customer(customer), "authorization", "Bearer " + stranger)
                        .getOrder(request)))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(
            codeOf(
                () ->
                    orders(stranger, "authorization", "Bearer " + Tokens.get().customer(customer))
                        .getOrder(request)))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    String before = fx.rowCounts();
    StatusRuntimeException twoKeys =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () ->
                orders(
                        service(),
                        "idempotency-key",
                        java.util.UUID.randomUUID().toString(),
                        "idempotency-key",
                        java.util.UUID.randomUUID().toString())
                    .createOrder(
                        OrderCreate.newBuilder()
                            .setCustomerId(customer)
                            .addItems(
                                OrderCreate.Item.newBuilder().setProductId(product).setQuantity(1))
                            .build()));
    assertThat(twoKeys.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(twoKeys.getStatus().getDescription()).contains("2 idempotency-key metadata entries");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  @Test
  void anotherCustomersOrderIsNotFoundAsOverRest() {
    long owner = fx.customer();
    long id = fx.order(owner, fx.product(100, 100), 1);
    GetOrderRequest request = GetOrderRequest.newBuilder().setId(id).build();
    String stranger = Tokens.get().customer(fx.customer());
    assertThat(codeOf(() -> orders(stranger).getOrder(request))).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(api.as(stranger).get("/v1/orders/" + id).status()).isEqualTo(404);
    assertThat(orders(Tokens.get().customer(owner)).getOrder(request).getId()).isEqualTo(id);
    // a customer token cannot list others' orders either
    assertThat(
            codeOf(
                () ->
                    orders(stranger)
                        .listCustomerOrders(
                            ListCustomerOrdersRequest.newBuilder().setId(owner).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void customersAndProductsAnswerWhatRestAnswers() {
    long customer = fx.customer();
    long product = fx.product(4_200, 10);
    Customer c =
        as(CustomersServiceGrpc.newBlockingStub(channel), service())
            .getCustomer(GetCustomerRequest.newBuilder().setId(customer).build());
    assertThat(c)
        .isEqualTo(
            ProtoJson.parse(
                api.get("/v1/customers/" + customer).body(), Customer.getDefaultInstance()));
    var products = as(ProductsServiceGrpc.newBlockingStub(channel), null);
    Product p = products.getProduct(GetProductRequest.newBuilder().setId(product).build());
    assertThat(p.getPriceMinor()).isEqualTo(4_200);
    ProductPage page = products.listProducts(ListProductsRequest.newBuilder().setLimit(3).build());
    assertThat(page)
        .isEqualTo(
            ProtoJson.parse(
                api.get("/v1/products?limit=3").body(), ProductPage.getDefaultInstance()));
    assertThat(
            codeOf(
                () ->
                    products.listProducts(
                        ListProductsRequest.newBuilder().setLimit(1_000).build())))
        .as("a limit over 100 is refused as over REST")
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  /** Runs {@code body} while {@code order_items} is locked, so that order reads wait. */
  private void withOrderLinesLocked(Runnable body) throws Exception {
    try (Connection conn = server.database().openJdbc();
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(false);
      st.execute("LOCK TABLE order_items IN ACCESS EXCLUSIVE MODE");
      try {
        body.run();
      } finally {
        conn.rollback();
      }
    }
  }

  @Test
  void aCallWhoseDeadlinePassesWhileTheServerWorksIsDeadlineExceeded() throws Exception {
    long id = fx.order(fx.customer(), fx.product(100, 100), 1);
    // a fieldset no other read asked for: not in the cache, so the read waits on the lock
    GetOrderRequest request =
        GetOrderRequest.newBuilder().setId(id).setFields("id,version,currency").build();
    withOrderLinesLocked(
        () -> {
          long start = System.nanoTime();
          assertThat(
                  codeOf(
                      () ->
                          orders(service())
                              .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                              .getOrder(request)))
              .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(Duration.ofNanos(System.nanoTime() - start))
              .as("answered at the deadline, not when the database let go")
              .isLessThan(Duration.ofSeconds(5));
        });
    // once the database answers again, the same call succeeds
    assertThat(orders(service()).getOrder(request).getId()).isEqualTo(id);
  }

  @Test
  void aCancelledCallStopsItsWorkOnTheServer() throws Exception {
    long id = fx.order(fx.customer(), fx.product(100, 100), 1);
    GetOrderRequest request =
        GetOrderRequest.newBuilder().setId(id).setFields("id,version,status").build();
    MeterRegistry registry = server.app().observability().registry();
    double cancelledBefore = cancelled(registry);
    double resetsBefore = resets(registry);
    withOrderLinesLocked(
        () -> {
          var call = as(OrdersServiceGrpc.newFutureStub(channel), service()).getOrder(request);
          // the call is on the server, waiting for the database
          await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> resets(registry) > resetsBefore || waitingStatements() > 0);
          call.cancel(true);
          await()
              .atMost(Duration.ofSeconds(30))
              .untilAsserted(
                  () -> {
                    assertThat(cancelled(registry)).isGreaterThan(cancelledBefore);
                    assertThat(resets(registry))
                        .as("the REST request of the call was reset")
                        .isGreaterThan(resetsBefore);
                  });
          assertThat(call.isCancelled()).isTrue();
        });
  }

  private long waitingStatements() {
    return server.queryLong(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND query LIKE '%order_items% i ON i.order_id = o.id%'");
  }

  private static double cancelled(MeterRegistry registry) {
    var timer =
        registry
            .find("grpc.server.calls")
            .tag("method", "hotpath.v1.OrdersService/GetOrder")
            .tag("code", "CANCELLED")
            .timer();
    return timer == null ? 0 : timer.count();
  }

  private static double resets(MeterRegistry registry) {
    var counter = registry.find("grpc.server.bridge.resets").counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void healthAndReflectionAreServed() throws Exception {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService("hotpath.v1.OrdersService").build());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    CompletableFuture<List<String>> services = new CompletableFuture<>();
    List<String> names = new ArrayList<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    r.getListServicesResponse()
                        .getServiceList()
                        .forEach(s -> names.add(s.getName()));
                  }

                  @Override
                  public void onError(Throwable t) {
                    services.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    services.complete(names);
                  }
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();
    assertThat(services.get(30, TimeUnit.SECONDS))
        .contains(
            "hotpath.v1.OrdersService",
            "hotpath.v1.CustomersService",
            "hotpath.v1.ProductsService",
            "grpc.health.v1.Health");
  }

  @Test
  void bytesThatAreNotTheRequestMessageAreInvalidArgumentNamingWhy() {
    long customer = fx.customer();
    MethodDescriptor<byte[], byte[]> list =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(OrdersServiceGrpc.getListCustomerOrdersMethod().getFullMethodName())
            .setRequestMarshaller(Services.BYTES)
            .setResponseMarshaller(Services.BYTES)
            .build();
    Metadata md = new Metadata();
    md.put(CallHeaders.AUTHORIZATION, "Bearer " + Tokens.get().customer(customer));
    var authorized =
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
    byte[] id = ListCustomerOrdersRequest.newBuilder().setId(customer).build().toByteArray();
    // the id's field, then a status (field 2) whose two bytes are not UTF-8; then a varint cut off
    byte[] notUtf8 = concat(id, new byte[] {0x12, 0x02, (byte) 0xc3, 0x28});
    byte[] truncated = concat(id, new byte[] {0x18, (byte) 0xff, (byte) 0xff});
    java.util.function.Function<byte[], StatusRuntimeException> refusal =
        body ->
            catchThrowableOfType(
                StatusRuntimeException.class,
                () ->
                    ClientCalls.blockingUnaryCall(
                        authorized,
                        list,
                        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                        body));
    for (byte[] body : List.of(notUtf8, truncated)) {
      StatusRuntimeException e = refusal.apply(body);
      assertThat(e).as("the call failed").isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription())
          .startsWith("The request is not a valid hotpath.v1.ListCustomerOrdersRequest message: ");
    }
    assertThat(refusal.apply(notUtf8).getStatus().getDescription()).contains("UTF-8");
    // the same bytes without the damage are a page
    assertThat(refusal.apply(id)).isNull();
  }

  /**
   * A message framed wrongly (reserved flag bits set, a length prefix longer than the body, the
   * compressed flag without a coding, a length over the limit) ends its call with grpc-java's own
   * status, and leaves nothing in the log. Before, grpc-java's transport logged a WARN with a stack
   * trace of 4-4.5 KB for each one ("Exception processing message",
   * io.grpc.netty.NettyServerStream; seen on the demo server, nghttp with hand-framed bodies): any
   * client could fill the log.
   */
  @Test
  void aMessageFramedWronglyEndsItsCallAndLogsNothing() throws Exception {
    ch.qos.logback.classic.Logger stream =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger("io.grpc.netty.NettyServerStream");
    var captured =
        new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    captured.start();
    stream.addAppender(captured);
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      var h2 = Api.h2c(vertx);
      byte[] message = GetOrderRequest.newBuilder().setId(1).build().toByteArray();
      List<byte[]> bodies =
          List.of(
              frame(7, message.length, message),
              frame(0, 100, message),
              frame(1, message.length, message),
              frame(0, Integer.MAX_VALUE, message));
      for (byte[] body : bodies) {
        String status =
            h2.request(
                    new io.vertx.core.http.RequestOptions()
                        .setMethod(io.vertx.core.http.HttpMethod.POST)
                        .setHost("localhost")
                        .setPort(TestServer.get().app().grpcPort().orElseThrow())
                        .setURI("/" + OrdersServiceGrpc.getGetOrderMethod().getFullMethodName())
                        .putHeader("content-type", "application/grpc")
                        .putHeader("te", "trailers")
                        .putHeader("authorization", "Bearer " + Tokens.get().service()))
                .compose(
                    request ->
                        request
                            .send(io.vertx.core.buffer.Buffer.buffer(body))
                            .compose(
                                response ->
                                    response
                                        .end()
                                        .map(
                                            v -> {
                                              String s = response.getTrailer("grpc-status");
                                              return s != null
                                                  ? s
                                                  : response.getHeader("grpc-status");
                                            })))
                .await();
        assertThat(status).as("grpc-status").isIn("8", "13");
      }
    } finally {
      vertx.close().await();
      stream.detachAppender(captured);
    }
    assertThat(captured.list).as("logged for the client's framing").isEmpty();
  }

  /** A gRPC length-prefixed message: flags, a length (not necessarily the message's) and bytes. */
  private static byte[] frame(int flags, int length, byte[] message) {
    return java.nio.ByteBuffer.allocate(5 + message.length)
        .put((byte) flags)
        .putInt(length)
        .put(message)
        .array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
