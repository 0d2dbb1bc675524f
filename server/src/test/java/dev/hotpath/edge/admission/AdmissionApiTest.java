package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Admission control over real sockets, on an instance with a fixed concurrency limit of 4 (low
 * criticality admitted below 2 in flight, normal below 3, high below 4) and a queue of one. Slots
 * are held by requests whose body never comes: each is admitted, authenticated and charged, then
 * waits in its body handler — exactly as a slow client holds one — until the test closes its
 * socket. Deadlines and queue waits run on a clock the test moves ({@link Gatekeeper#useClock}):
 * nothing waits for real time to pass, and a slow machine cannot make a wait end early.
 *
 * <p>The instances run with back-pressure off: with it on, an HTTP/1.x request (these tests' client
 * speaks HTTP/1.1) that finds no slot is held until one frees or its deadline passes rather than
 * queued or refused at once ({@link BackpressureApiTest} shows that), and the queue and the
 * refusals tested here are what HTTP/2 requests, and every request with back-pressure off, meet.
 */
class AdmissionApiTest {
  private static final TestServer server = TestServer.get();
  private static App tight;
  private static Path accessLog;
  private static String base;
  private static Api api;
  private static final AtomicLong clock = new AtomicLong(System.nanoTime());
  private final List<Socket> holders = new ArrayList<>();

  /** Moves the admission clock of the instances under test forward. */
  private static void advance(Duration by) {
    clock.addAndGet(by.toNanos());
  }

  @BeforeAll
  static void startAnInstanceWithAFixedLimitOfFour() throws Exception {
    accessLog = Files.createTempFile("hotpath-admission-", ".log");
    tight =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_ADMISSION_LIMIT", "4",
                    "HOTPATH_ADMISSION_QUEUE", "1",
                    // waits end at the deadline, so that a test can see a request in the queue
                    "HOTPATH_ADMISSION_QUEUE_WAIT_MS", "60000",
                    "HOTPATH_REQUEST_TIMEOUT_MS", "60000",
                    "HOTPATH_BACKPRESSURE", "off",
                    "HOTPATH_ACCESS_LOG", accessLog.toString())));
    tight.gatekeeper().useClock(clock::get);
    base = "http://localhost:" + tight.port();
    api = Api.of(base);
    // a new instance is ready once its read models caught up with the event log (a start-up gate):
    // the tests below expect readiness to hold while requests are shed
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> api.get("/health/ready").status() == 200);
  }

  @AfterAll
  static void stop() {
    tight.close();
  }

  @AfterEach
  void releaseEverySlot() throws IOException {
    for (Socket s : holders) {
      s.close();
    }
    holders.clear();
    awaitInFlight(0);
  }

  private static void awaitInFlight(int n) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> tight.gatekeeper().admission().inFlight() == n);
  }

  /** Holds {@code n} more slots with orders whose bodies never arrive. */
  private void hold(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      holders.add(orderWithoutBody(tight.port()));
    }
    awaitInFlight(holders.size());
  }

  /** Opens a connection and sends the head of an order whose body never comes. */
  private static Socket orderWithoutBody(int port) throws IOException {
    Socket socket = new Socket("localhost", port);
    String head =
        "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
            + Tokens.get().service()
            + "\r\nContent-Type: application/json\r\nIdempotency-Key: "
            + UUID.randomUUID()
            + "\r\nContent-Length: 100\r\n\r\n";
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  /** Places an order of one unit without waiting for the answer. */
  private static CompletableFuture<Api.Response> orderAsync(Api api, long customer, long product) {
    return api.sendAsync(
        api.request("/v1/orders")
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofString(
                    Fixtures.orderBody(customer, product, 1)))
            .build());
  }

  /** Sends a GET without waiting for the answer. */
  private static CompletableFuture<Api.Response> getAsync(Api api, String path) {
    return api.sendAsync(api.request(path).GET().build());
  }

  private static void awaitQueued(App instance, int n) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> instance.gatekeeper().admission().queued() == n);
  }

  /** Checks over a few drain rounds that {@code n} requests still wait (the clock stands still). */
  private static void assertStillQueued(App instance, int n) {
    Awaitility.await()
        .during(Duration.ofMillis(50))
        .atMost(Duration.ofSeconds(10))
        .until(() -> instance.gatekeeper().admission().queued() == n);
  }

  private static String order() {
    return "/v1/orders/" + server.queryLong("SELECT min(id) FROM orders");
  }

  private static String report() {
    return "{\"from\":\"2025-01-01\",\"to\":\"2025-01-31\"}";
  }

  private static void assertOverloaded(Api.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(503);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).isEqualTo("https://hotpath.dev/problems/overloaded");
    assertThat(r.json().get("status").asInt()).isEqualTo(503);
    assertThat(r.json().get("title").asText()).isEqualTo("The server is shedding load");
    assertThat(r.header("Retry-After")).hasValue("1");
    assertThat(r.header("Cache-Control")).hasValue("no-store");
    assertThat(r.header("Server-Timing").orElseThrow()).contains("\"0 queries\"");
  }

  @Test
  void reportsAreShedFirstThenListsWhileSingleResourcesAndHealthStillPass() throws Exception {
    hold(2);
    assertOverloaded(api.post("/v1/reports", report()));
    assertThat(api.get("/v1/customers?limit=1").status()).isEqualTo(200);
    assertThat(api.get(order()).status()).isEqualTo(200);

    hold(1);
    assertOverloaded(api.post("/v1/reports", report()));
    assertOverloaded(api.get("/v1/customers?limit=1"));
    assertThat(api.get(order()).status()).isEqualTo(200);
    assertThat(api.get("/health/live").status()).isEqualTo(200);

    assertThat(RateLimitApiTest.metric(base, "hotpath_admission_shed_total{criticality=\"low\""))
        .isGreaterThanOrEqualTo(2);
    assertThat(RateLimitApiTest.metric(base, "hotpath_admission_shed_total{criticality=\"normal\""))
        .isGreaterThanOrEqualTo(1);
    assertThat(RateLimitApiTest.metric(base, "hotpath_admission_limit")).isEqualTo(4);
    assertThat(RateLimitApiTest.metric(base, "hotpath_admission_in_flight")).isEqualTo(3);
  }

  @Test
  void whenNoClassHasRoomAndTheQueueIsFullAnApiRequestIsRefusedBeforeItIsRouted() throws Exception {
    hold(4);
    double early =
        RateLimitApiTest.metric(
            base, "hotpath_admission_shed_total{criticality=\"high\",reason=\"full\"");
    // a single read takes the one place in the queue (it waits until its 200 ms deadline, which
    // does not pass: the clock stands still)
    Socket queued = new Socket("localhost", tight.port());
    holders.add(queued);
    queued
        .getOutputStream()
        .write(
            ("GET "
                    + order()
                    + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + Tokens.get().service()
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    queued.getOutputStream().flush();
    awaitQueued(tight, 1);

    assertOverloaded(api.get(order()));
    assertThat(
            RateLimitApiTest.metric(
                base, "hotpath_admission_shed_total{criticality=\"high\",reason=\"full\""))
        .isEqualTo(early + 1);
    assertThat(api.get("/health/live").status()).isEqualTo(200);
  }

  @Test
  void healthMetricsAndAdminAreNeverShed() throws Exception {
    hold(4);
    assertThat(api.get("/health/live").status()).isEqualTo(200);
    assertThat(api.get("/health/ready").status()).isEqualTo(200);
    assertThat(api.get("/metrics").status()).isEqualTo(200);
    assertThat(api.as(Tokens.get().admin()).get("/admin/jobs/stats").status()).isEqualTo(200);
  }

  @Test
  void aShedRequestIsAnsweredBeforeAuthenticationAndWithoutReadingItsBody() throws Exception {
    hold(2);
    // no token: refused for load, not for credentials
    assertOverloaded(api.anonymous().post("/v1/reports", report()));
    // a body announced and never sent: the answer does not wait for it
    try (Socket socket = new Socket("localhost", tight.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Idempotency-Key: "
                  + UUID.randomUUID()
                  + "\r\nContent-Length: 100000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readHead(socket.getInputStream());
      assertThat(head).startsWith("HTTP/1.1 503");
      assertThat(head.toLowerCase(java.util.Locale.ROOT))
          .contains("retry-after: 1")
          .contains("content-type: application/problem+json");
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Files.readAllLines(accessLog))
                    .anySatisfy(
                        line ->
                            assertThat(line)
                                .contains("\"route\":\"/v1/reports\"")
                                .contains("\"status\":503")
                                .contains("\"db_queries\":0")
                                .contains("\"shed\":true")));
  }

  @Test
  void aRequestThatWaitedPastItsDeadlineIsDroppedBeforeAnyWork() throws Exception {
    long customer = new Fixtures(server).customer();
    long product = new Fixtures(server).product(100, 10);
    long queriesBefore = tight.queries().total();
    String deadlineShed = "hotpath_admission_shed_total{criticality=\"high\",reason=\"deadline\"";
    double shedBefore = RateLimitApiTest.metric(base, deadlineShed);
    hold(4);
    String key = UUID.randomUUID().toString();
    // a write waits in the queue (its longest wait is a minute) until its 500 ms deadline
    CompletableFuture<Api.Response> waiting =
        api.sendAsync(
            api.request("/v1/orders")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        Fixtures.orderBody(customer, product, 1)))
                .build());
    awaitQueued(tight, 1);
    advance(Duration.ofMillis(499));
    assertStillQueued(tight, 1);
    assertThat(waiting).isNotDone();
    advance(Duration.ofMillis(1));
    Api.Response dropped = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertOverloaded(dropped);
    assertThat(dropped.json().get("detail").asText()).contains("deadline");
    assertThat(server.queryLong("SELECT count(*) FROM idempotency_keys WHERE key = '" + key + "'"))
        .isZero();
    assertThat(server.queryLong("SELECT count(*) FROM orders WHERE customer_id = " + customer))
        .isZero();
    assertThat(tight.queries().total()).isEqualTo(queriesBefore);
    assertThat(RateLimitApiTest.metric(base, deadlineShed)).isEqualTo(shedBefore + 1);
  }

  @Test
  void aWaitingRequestIsAdmittedWhenASlotFrees() throws Exception {
    long customer = new Fixtures(server).customer();
    long product = new Fixtures(server).product(100, 10);
    hold(4);
    CompletableFuture<Api.Response> waiting = orderAsync(api, customer, product);
    // it waits until its deadline, which does not pass: the clock stands still
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> RateLimitApiTest.metric(base, "hotpath_admission_queued") == 1);
    // the queue holds one: the next high request is refused at once
    assertOverloaded(api.get(order()));
    holders.remove(0).close();
    Api.Response admitted = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(admitted.status()).as(admitted.body()).isEqualTo(201);
  }

  /** Takes the one slot of {@code instance} with an order whose body never comes. */
  private static Socket holdTheOnlySlot(App instance) throws IOException {
    Socket holder = orderWithoutBody(instance.port());
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> instance.gatekeeper().admission().inFlight() == 1);
    return holder;
  }

  @Test
  void aWaiterIsRefusedWhenTheQueuesLongestWaitEndsLongBeforeItsDeadline() throws Exception {
    // one slot, one place in the queue, waits of 20 ms at most; a read's deadline is 200 ms
    App instance =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_ADMISSION_LIMIT", "1",
                    "HOTPATH_ADMISSION_QUEUE", "1",
                    "HOTPATH_ADMISSION_QUEUE_WAIT_MS", "20",
                    "HOTPATH_ADMISSION_QUEUE_BURST_WAIT_MS", "20",
                    "HOTPATH_REQUEST_TIMEOUT_MS", "60000",
                    "HOTPATH_BACKPRESSURE", "off")));
    instance.gatekeeper().useClock(clock::get);
    String url = "http://localhost:" + instance.port();
    try (Socket holder = holdTheOnlySlot(instance)) {
      long queries = instance.queries().total();

      CompletableFuture<Api.Response> waiting = getAsync(Api.of(url), order());
      awaitQueued(instance, 1);
      advance(Duration.ofMillis(19));
      assertStillQueued(instance, 1);
      advance(Duration.ofMillis(1));
      Api.Response refused = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);

      assertOverloaded(refused);
      assertThat(refused.json().get("detail").asText()).contains("longest wait");
      // refused when its wait ran out, not when its deadline passed
      assertThat(
              RateLimitApiTest.metric(
                  url, "hotpath_admission_shed_total{criticality=\"high\",reason=\"limit\""))
          .isEqualTo(1);
      assertThat(
              RateLimitApiTest.metric(
                  url, "hotpath_admission_shed_total{criticality=\"high\",reason=\"deadline\""))
          .isZero();
      assertThat(instance.queries().total()).isEqualTo(queries);
    } finally {
      instance.close();
    }
  }

  @Test
  void aBurstMayWaitLongerThanAQueueThatStandsFull() throws Exception {
    // one slot, two places; a burst may wait 3 s, a queue non-empty for 100 ms stands: then 20 ms
    App instance =
        App.start(
            server.secondInstance(
                Map.of(
                    "HOTPATH_ADMISSION_LIMIT", "1",
                    "HOTPATH_ADMISSION_QUEUE", "2",
                    "HOTPATH_ADMISSION_QUEUE_WAIT_MS", "20",
                    "HOTPATH_ADMISSION_QUEUE_BURST_WAIT_MS", "3000",
                    "HOTPATH_ADMISSION_QUEUE_STANDING_MS", "100",
                    "HOTPATH_REQUEST_TIMEOUT_MS", "60000",
                    "HOTPATH_BACKPRESSURE", "off")));
    instance.gatekeeper().useClock(clock::get);
    String url = "http://localhost:" + instance.port();
    long customer = new Fixtures(server).customer();
    long product = new Fixtures(server).product(100, 10);
    try (Socket holder = holdTheOnlySlot(instance)) {
      // the first waiter finds the queue empty: a burst, it may wait until its deadline (500 ms)
      Api api = Api.of(url);
      CompletableFuture<Api.Response> first = orderAsync(api, customer, product);
      awaitQueued(instance, 1);
      // once the queue has stood non-empty for 100 ms, a new waiter gets 20 ms
      advance(Duration.ofMillis(110));
      CompletableFuture<Api.Response> waiting = getAsync(api, order());
      awaitQueued(instance, 2);
      advance(Duration.ofMillis(20));
      Api.Response second = waiting.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertOverloaded(second);
      assertThat(second.json().get("detail").asText()).contains("longest wait");
      assertThat(instance.gatekeeper().admission().queued())
          .as("the first still waits")
          .isEqualTo(1);

      holder.close();
      Api.Response admitted = first.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(admitted.status()).as(admitted.body()).isEqualTo(201);
    } finally {
      instance.close();
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      head.append((char) c);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return head.toString();
  }
}
