package dev.hotpath.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.proto.v1.GetProductRequest;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import dev.hotpath.support.Api;
import dev.hotpath.support.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gRPC call is charged to and logged under its caller's address, which its in-process REST
 * request has as its peer: on an instance with a tiny per-address quota and an hour-long window,
 * over real sockets from distinct loopback addresses (127.0.0.x). A header naming another address
 * (as the loopback bridge once used) is ignored when an HTTP client sends it.
 */
class GrpcCallerIdentityTest {
  private static final int QUOTA = 5;
  private static App tight;
  private static Path accessLog;
  private static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startAnInstanceWithATinyAddressQuota() throws Exception {
    accessLog = Files.createTempFile("hotpath-grpc-identity-", ".log");
    Settings settings =
        TestServer.get()
            .secondInstance(
                Map.of(
                    "HOTPATH_RATE_WINDOW_S", "3600",
                    "HOTPATH_RATE_IP", Integer.toString(QUOTA),
                    "HOTPATH_ACCESS_LOG", accessLog.toString()));
    tight =
        App.start(
            settings.toBuilder().grpc(settings.grpc().withPort(TestServer.freePort())).build());
  }

  @AfterAll
  static void stop() throws Exception {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    tight.close();
    Files.deleteIfExists(accessLog);
  }

  /** Anonymous product reads (a public route: limited by address only) from {@code address}. */
  private static ProductsServiceGrpc.ProductsServiceBlockingStub productsFrom(String address)
      throws UnknownHostException {
    ManagedChannel channel = TestChannels.from(address, tight.grpcPort().orElseThrow());
    synchronized (channels) {
      channels.add(channel);
    }
    return ProductsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static long product() {
    return TestServer.get().queryLong("SELECT min(id) FROM products");
  }

  private static void read(ProductsServiceGrpc.ProductsServiceBlockingStub stub) {
    stub.getProduct(GetProductRequest.newBuilder().setId(product()).build());
  }

  private static Status.Code refusal(ProductsServiceGrpc.ProductsServiceBlockingStub stub) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> read(stub));
    assertThat(e).as("the call was refused").isNotNull();
    return e.getStatus().getCode();
  }

  @Test
  void twoGrpcClientsOnDifferentAddressesDoNotShareABucket() throws Exception {
    var spender = productsFrom("127.0.0.51");
    var neighbour = productsFrom("127.0.0.52");
    for (int i = 0; i < QUOTA; i++) {
      read(spender);
    }
    assertThat(refusal(spender)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    // the neighbour's own address still has its whole quota
    for (int i = 0; i < QUOTA; i++) {
      read(neighbour);
    }
    assertThat(refusal(neighbour)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void theAccessLogNamesTheGrpcCaller() throws Exception {
    read(productsFrom("127.0.0.55"));
    awaitLogLine("127.0.0.55", "/v1/products/:id");
  }

  @Test
  void aCallerAddressSentByAnHttpClientIsIgnored() {
    String base = "http://localhost:" + tight.port();
    Api forger = Api.of(base).anonymous().from("127.0.0.53");
    String path = "/v1/products/" + product();
    for (int i = 0; i < QUOTA; i++) {
      Api.Response r =
          forger.get(path, "X-Hotpath-Peer", "127.0.0.54", "X-Hotpath-Loopback", "guessed");
      assertThat(r.status()).isEqualTo(200);
    }
    // charged to its own address, whatever it claimed
    assertThat(forger.get(path, "X-Hotpath-Peer", "127.0.0.54").status()).isEqualTo(429);
    Api.Response named = Api.of(base).anonymous().from("127.0.0.54").get(path);
    assertThat(named.status()).isEqualTo(200);
    assertThat(named.header("RateLimit")).hasValue("\"ip\";r=" + (QUOTA - 1) + ";t=720");
  }

  @Test
  void aGraphqlMutationsWriteIsChargedToTheGraphqlCaller() {
    var fx = new dev.hotpath.support.Fixtures(TestServer.get());
    long customer = fx.customer();
    long product = fx.product(1_000, 10);
    String mutation =
        "{\"query\":\"mutation { createOrder(idempotency_key: \\\"identity-1\\\", input: {customer_id: "
            + customer
            + ", items: [{product_id: "
            + product
            + ", quantity: 1}]}) { id } }\"}";
    Api.of("http://localhost:" + tight.port()).from("127.0.0.56").post("/graphql", mutation);
    // the in-process write (POST /v1/orders) is logged, and charged, as the GraphQL caller's
    awaitLogLine("127.0.0.56", "/v1/orders");
  }

  /** Waits for an access log line of {@code route} naming {@code client} as the caller. */
  private static void awaitLogLine(String client, String route) {
    String caller = "\"client\":\"" + client + "\"";
    String template = "\"route\":\"" + route + "\"";
    Awaitility.await("an access log line of " + route + " from " + client)
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                Files.readAllLines(accessLog).stream()
                    .anyMatch(line -> line.contains(caller) && line.contains(template)));
  }
}
