package dev.hotpath.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.admission.Admission;
import dev.hotpath.proto.v1.ListCustomerOrdersRequest;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.HeldSlots;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gRPC call that finds no admission slot over a real socket, on an instance with a fixed limit of
 * 4 (a list is admitted below 3 in flight), back-pressure on with its default longest pause (100
 * ms) and an admission clock only the test moves. Three slots are held by orders whose bodies never
 * come, so a customer-orders page, over HTTP/1.1 or gRPC, is held until a slot frees. The HTTP/1.1
 * request is refused once its hold passes the longest pause (its client's excess waits in paused
 * sockets instead); the gRPC call, which has no connection of its own to pause, waits out its
 * deadline (the lists' 1 s). Regression for #22: about 100 of each 20 s of gRPC page calls were
 * refused at a load JSON over HTTP/1.1 was never refused at.
 */
class GrpcAdmissionTest {
  private static final TestServer server = TestServer.get();
  private static final AtomicLong clock = new AtomicLong(System.nanoTime());
  private static App app;
  private static ManagedChannel channel;
  private static long customer;
  private final List<Socket> holders = new ArrayList<>();

  @BeforeAll
  static void startAnInstanceWithAFixedLimitOfFour() {
    Settings settings =
        server.secondInstance(
            Map.of(
                "HOTPATH_ADMISSION_LIMIT", "4",
                "HOTPATH_REQUEST_TIMEOUT_MS", "60000",
                "HOTPATH_IDLE_TIMEOUT_MS", "600000"));
    app =
        App.start(
            settings.toBuilder().grpc(settings.grpc().withPort(TestServer.freePort())).build());
    app.gatekeeper().useClock(clock::get);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort().orElseThrow())
            .usePlaintext()
            .build();
    Fixtures fx = new Fixtures(server);
    customer = fx.customer();
    long product = fx.product(100, 100);
    for (int i = 1; i <= 3; i++) {
      fx.order(customer, product, i);
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    app.close();
  }

  @AfterEach
  void releaseEverySlot() throws IOException {
    for (Socket s : holders) {
      s.close();
    }
    holders.clear();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> admission().inFlight() == 0);
  }

  @Test
  void aPageCallWithoutASlotWaitsPastTheLongestPauseUntilOneFrees() throws Exception {
    hold(3);
    CompletableFuture<OrderPage> call = page();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> admission().queued() == 1);
    try (Socket rest = new Socket("localhost", app.port())) {
      write(rest, pageOverHttp());
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> admission().queued() == 2);

      clock.addAndGet(Duration.ofMillis(500).toNanos());

      assertThat(readStatus(rest))
          .as("the HTTP/1.1 request, held past the longest pause")
          .isEqualTo(503);
    }
    // the same pass of the queue that refused the HTTP/1.1 request kept the gRPC call
    assertThat(admission().queued()).isEqualTo(1);
    assertThat(call).isNotDone();

    releaseEverySlot();
    OrderPage page = call.get(30, TimeUnit.SECONDS);
    assertThat(page.getDataList()).hasSize(3);
  }

  @Test
  void aPageCallWithoutASlotIsRefusedWhenItsDeadlinePasses() throws Exception {
    hold(3);
    CompletableFuture<OrderPage> call = page();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> admission().queued() == 1);

    clock.addAndGet(Duration.ofMillis(1_100).toNanos());

    Throwable failure =
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> call.isDone() ? causeOf(call) : null, f -> f != null);
    assertThat(failure).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) failure).getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(admission().queued()).isZero();
  }

  private static Throwable causeOf(CompletableFuture<?> call) {
    try {
      call.get();
      return new AssertionError("the call was answered");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    }
  }

  private static Admission admission() {
    return app.gatekeeper().admission();
  }

  /** The customer's orders page over gRPC, with a deadline far past the route's budget. */
  private static CompletableFuture<OrderPage> page() {
    CompletableFuture<OrderPage> answer = new CompletableFuture<>();
    GrpcApiTest.as(OrdersServiceGrpc.newStub(channel), Tokens.get().service())
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .listCustomerOrders(
            ListCustomerOrdersRequest.newBuilder().setId(customer).setLimit(5).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(OrderPage value) {
                answer.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                answer.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    return answer;
  }

  private static String pageOverHttp() {
    return "GET /v1/customers/"
        + customer
        + "/orders?limit=5 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
        + Tokens.get().service()
        + "\r\n\r\n";
  }

  /** Takes {@code n} slots with orders whose bodies never arrive. */
  private void hold(int n) throws IOException {
    holders.addAll(HeldSlots.take(app, n));
  }

  private static void write(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** The status of the response that starts on {@code socket}. */
  private static int readStatus(Socket socket) throws IOException {
    socket.setSoTimeout(30_000);
    InputStream in = socket.getInputStream();
    byte[] line = in.readNBytes(12); // "HTTP/1.1 503"
    return Integer.parseInt(new String(line, 9, 3, StandardCharsets.US_ASCII));
  }
}
