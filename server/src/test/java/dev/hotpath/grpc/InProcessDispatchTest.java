package dev.hotpath.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.proto.v1.GetOrderRequest;
import dev.hotpath.proto.v1.GetProductRequest;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrderCreate;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC calls and GraphQL mutations reach the REST routes in process, without a hop over the HTTP
 * port: on an instance of its own (no warm-up, no other client), the kernel's table of TCP
 * connections shows none to the HTTP port while a gRPC call is served, and after a GraphQL mutation
 * only the GraphQL client's own; yet each call passed its REST route, whose access log line names
 * the caller. A gRPC call is read on one of Vert.x's event loops and routed there, handed to no
 * other thread.
 */
class InProcessDispatchTest {
  private static final String GRPC_CALLER = "127.0.0.61";
  private static final String GRAPHQL_CALLER = "127.0.0.62";

  private static App instance;
  private static Path accessLog;
  private static ManagedChannel channel;

  private final Fixtures fx = new Fixtures(TestServer.get());

  @BeforeAll
  static void startAnInstanceOfItsOwn() throws Exception {
    accessLog = Files.createTempFile("hotpath-in-process-", ".log");
    Settings settings =
        TestServer.get().secondInstance(Map.of("HOTPATH_ACCESS_LOG", accessLog.toString()));
    instance =
        App.start(
            settings.toBuilder().grpc(settings.grpc().withPort(TestServer.freePort())).build());
    channel = TestChannels.from(GRPC_CALLER, instance.grpcPort().orElseThrow());
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (instance != null) {
      instance.close();
    }
    if (accessLog != null) {
      Files.deleteIfExists(accessLog);
    }
  }

  private static <S extends io.grpc.stub.AbstractStub<S>> S authorized(S stub, String... more) {
    return GrpcApiTest.as(stub, Tokens.get().service(), more);
  }

  @Test
  void aGrpcReadAndWriteReachTheirRoutesWithoutAConnectionToTheHttpPort() throws Exception {
    long product = fx.product(300, 100);
    long customer = fx.customer();
    authorized(ProductsServiceGrpc.newBlockingStub(channel))
        .getProduct(GetProductRequest.newBuilder().setId(product).build());
    Order placed =
        authorized(
                OrdersServiceGrpc.newBlockingStub(channel),
                "idempotency-key",
                UUID.randomUUID().toString())
            .createOrder(
                OrderCreate.newBuilder()
                    .setCustomerId(customer)
                    .addItems(OrderCreate.Item.newBuilder().setProductId(product).setQuantity(2))
                    .build());
    assertThat(placed.getTotalMinor()).isEqualTo(600);
    // each call was its REST request, observed as one: the access log names the gRPC caller
    awaitLogLine(GRPC_CALLER, "GET", "/v1/products/:id");
    awaitLogLine(GRPC_CALLER, "POST", "/v1/orders");
    assertThat(connectionsToTheHttpPort()).as("connections to the HTTP port").isEmpty();
    // and each was routed on the event loop that read the call: none was handed to another thread
    assertThat(instance.inProcess().handOffs()).as("requests handed to another thread").isZero();
  }

  @Test
  void noConnectionToTheHttpPortExistsWhileAGrpcCallIsServed() throws Exception {
    long id = fx.order(fx.customer(), fx.product(100, 100), 1);
    // a fieldset no other read asks for: not cached, so the read waits for the locked lines
    GetOrderRequest request =
        GetOrderRequest.newBuilder().setId(id).setFields("id,status,version,currency").build();
    var call = authorized(OrdersServiceGrpc.newFutureStub(channel));
    com.google.common.util.concurrent.ListenableFuture<Order> answer;
    try (Connection conn = TestServer.get().database().openJdbc();
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(false);
      st.execute("LOCK TABLE order_items IN ACCESS EXCLUSIVE MODE");
      try {
        answer = call.getOrder(request);
        await("the call's read waiting on the lock")
            .atMost(Duration.ofSeconds(30))
            .until(() -> waitingReads() > 0);
        assertThat(connectionsToTheHttpPort())
            .as("connections to the HTTP port while the call is on the server")
            .isEmpty();
      } finally {
        conn.rollback();
      }
    }
    assertThat(answer.get(30, TimeUnit.SECONDS).getId()).isEqualTo(id);
  }

  @Test
  void aGraphqlMutationsWriteOpensNoConnectionBesideItsCallers() throws Exception {
    long customer = fx.customer();
    long product = fx.product(1_000, 10);
    String mutation = createOrder(customer, product, "id total_minor");
    Api.Response r = mutate(mutation);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("\"total_minor\":1000").doesNotContain("\"errors\"");
    awaitLogLine(GRAPHQL_CALLER, "POST", "/v1/orders");
    // the GraphQL client's own keep-alive connection is the only one
    assertThat(connectionsToTheHttpPort()).allMatch(peer -> peer.startsWith(GRAPHQL_CALLER + ":"));
  }

  @Test
  void aGrpcCallsTraceContextIsItsRestRequestsTrace() {
    long product = fx.product(300, 100);
    String traceId = randomHex(32);
    authorized(
            ProductsServiceGrpc.newBlockingStub(channel),
            "traceparent",
            "00-" + traceId + "-" + randomHex(16) + "-01",
            "tracestate",
            "vendor=opaque")
        .getProduct(GetProductRequest.newBuilder().setId(product).build());
    awaitLogLine(GRPC_CALLER, "GET", "/v1/products/:id", "\"trace_id\":\"" + traceId + "\"");
  }

  @Test
  void aGraphqlMutationsWriteContinuesItsCallersTrace() {
    long customer = fx.customer();
    long product = fx.product(1_000, 10);
    String traceId = randomHex(32);
    String mutation = createOrder(customer, product, "id");
    Api.Response r =
        mutate(
            mutation,
            "traceparent",
            "00-" + traceId + "-" + randomHex(16) + "-01",
            "tracestate",
            "vendor=opaque");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("\"errors\"");
    awaitLogLine(GRAPHQL_CALLER, "POST", "/v1/orders", "\"trace_id\":\"" + traceId + "\"");
  }

  /**
   * Sends a GraphQL mutation from the GraphQL caller's address, again while its write is shed: on a
   * machine too busy to keep the route's budget (the suite under stress-ng), the in-process write
   * can find its deadline gone and be dropped before any work (an {@code overloaded} error); the
   * mutation's idempotency key makes sending it again safe. What these tests check is where the
   * write goes and which trace it continues, not the budget.
   */
  private static Api.Response mutate(String mutation, String... headers) {
    Api api = Api.of("http://localhost:" + instance.port()).from(GRAPHQL_CALLER);
    Api.Response r = api.post("/graphql", mutation, headers);
    for (int attempt = 1;
        attempt < 10 && r.status() == 200 && r.body().contains("/problems/overloaded");
        attempt++) {
      r = api.post("/graphql", mutation, headers);
    }
    return r;
  }

  /** A GraphQL request: createOrder of one of {@code product} for {@code customer}, new key. */
  private static String createOrder(long customer, long product, String selection) {
    return "{\"query\":\"mutation { createOrder(idempotency_key: \\\""
        + UUID.randomUUID()
        + "\\\", input: {customer_id: "
        + customer
        + ", items: [{product_id: "
        + product
        + ", quantity: 1}]}) { "
        + selection
        + " } }\"}";
  }

  private static String randomHex(int digits) {
    StringBuilder hex = new StringBuilder(digits);
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    while (hex.length() < digits) {
      hex.append(Character.forDigit(random.nextInt(16), 16));
    }
    return hex.toString();
  }

  private static long waitingReads() {
    return TestServer.get()
        .queryLong(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                + " AND query LIKE '%order_items% i ON i.order_id = o.id%'");
  }

  /** Waits for an access log line of {@code method} {@code route} naming {@code client}. */
  private static void awaitLogLine(String client, String method, String route) {
    awaitLogLine(client, method, route, "");
  }

  /**
   * As {@link #awaitLogLine(String, String, String)}, on a line that also contains {@code more}.
   */
  private static void awaitLogLine(String client, String method, String route, String more) {
    String caller = "\"client\":\"" + client + "\"";
    String verb = "\"method\":\"" + method + "\"";
    String template = "\"route\":\"" + route + "\"";
    await("an access log line of " + method + " " + route + " from " + client)
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.readAllLines(accessLog).stream()
                    .anyMatch(
                        line ->
                            line.contains(caller)
                                && line.contains(more)
                                && line.contains(verb)
                                && line.contains(template)));
  }

  /**
   * The peers ({@code address:port}) of the established TCP connections the HTTP port has accepted,
   * from the kernel's tables (/proc/net/tcp and tcp6: hexadecimal addresses, state 01 established).
   */
  private static List<String> connectionsToTheHttpPort() throws IOException {
    String port = String.format("%04X", instance.port());
    List<String> peers = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !f[3].equals("01") || !f[1].endsWith(":" + port)) {
          continue;
        }
        peers.add(address(f[2]));
      }
    }
    return peers;
  }

  /** {@code 0100007F:1F90} (or its IPv4-mapped IPv6 form) as {@code 127.0.0.1:8080}. */
  private static String address(String hex) {
    int colon = hex.indexOf(':');
    String host = hex.substring(0, colon);
    int port = Integer.parseInt(hex.substring(colon + 1), 16);
    if (host.length() >= 8) {
      // IPv4 in the last 32 bits, bytes in the kernel's (little-endian) order
      String v4 = host.substring(host.length() - 8);
      StringBuilder dotted = new StringBuilder();
      for (int i = 6; i >= 0; i -= 2) {
        dotted.append(Integer.parseInt(v4.substring(i, i + 2), 16));
        if (i > 0) {
          dotted.append('.');
        }
      }
      return dotted + ":" + port;
    }
    return hex;
  }
}
