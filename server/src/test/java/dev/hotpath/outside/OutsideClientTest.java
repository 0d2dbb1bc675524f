package dev.hotpath.outside;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.config.OutsideSettings;
import dev.hotpath.config.Settings;
import dev.hotpath.http.Deadline;
import dev.hotpath.stubs.Faults;
import dev.hotpath.stubs.StubServer;
import dev.hotpath.support.Outside;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The outside client over real sockets against the stand-ins: timeouts from the deadline, retries
 * within their budget and Retry-After, hedging within its budget, circuit breakers; and the
 * payments calls at the edge of what they accept.
 */
class OutsideClientTest {
  private static Vertx vertx;
  private static Context loop;

  private OutsideClient client;
  private OutsideServices services;

  @BeforeAll
  static void loop() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  @AfterEach
  void healthy() {
    Outside.stubs().reset();
    if (client != null) {
      onLoop(() -> client.close().map(v -> "closed"));
    }
  }

  /**
   * A client of the stand-ins with the default settings, a budget window longer than any test here
   * runs (the retry and hedge budgets, and their counts the tests read, then cover the whole test
   * however slowly a loaded machine runs it, instead of forgetting its first seconds), then {@code
   * env}.
   */
  private void client(Map<String, String> env) {
    Map<String, String> all = new HashMap<>();
    all.put("HOTPATH_OUTSIDE_BUDGET_WINDOW_MS", "600000");
    all.putAll(env);
    var stubs = Outside.stubs();
    stubs.reset();
    all.put("HOTPATH_PAYMENTS_URL", stubs.url(Service.PAYMENTS).toString());
    all.put("HOTPATH_REVIEWS_URL", stubs.url(Service.REVIEWS).toString());
    all.put("HOTPATH_RECOMMENDATIONS_URL", stubs.url(Service.RECOMMENDATIONS).toString());
    OutsideSettings settings = Settings.forTools(all).outside();
    services = new OutsideServices(settings, new SimpleMeterRegistry());
    CompletableFuture<OutsideClient> made = new CompletableFuture<>();
    loop.runOnContext(v -> made.complete(OutsideClient.create(vertx, services)));
    client = made.join();
  }

  private static <T> T onLoop(Supplier<io.vertx.core.Future<T>> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.runOnContext(
        v ->
            call.get()
                .onComplete(
                    ar -> {
                      if (ar.succeeded()) {
                        result.complete(ar.result());
                      } else {
                        result.completeExceptionally(ar.cause());
                      }
                    }));
    return result.orTimeout(30, TimeUnit.SECONDS).join();
  }

  /** {@code n} reads of reviews, {@code concurrency} at a time; how many got an answer. */
  private int reads(int n, int concurrency, Duration budget) {
    int ok = 0;
    for (int done = 0; done < n; done += concurrency) {
      List<CompletableFuture<Boolean>> batch = new ArrayList<>();
      for (int i = 0; i < Math.min(concurrency, n - done); i++) {
        CompletableFuture<Boolean> one = new CompletableFuture<>();
        long product = 1 + (done + i) % 100;
        loop.runOnContext(
            v ->
                client
                    .call(
                        OutsideCall.read(
                            Service.REVIEWS,
                            "/v1/products/" + product + "/reviews",
                            Deadline.after(System.nanoTime(), budget),
                            services.settings().maxAttempts()))
                    .onComplete(ar -> one.complete(ar.succeeded())));
        batch.add(one);
      }
      for (CompletableFuture<Boolean> one : batch) {
        if (one.orTimeout(30, TimeUnit.SECONDS).join()) {
          ok++;
        }
      }
    }
    return ok;
  }

  private static StubServer reviews() {
    return Outside.stubs().server(Service.REVIEWS);
  }

  private static void faults(String knobs) {
    reviews().faults(Faults.HEALTHY.with(knobs));
  }

  /** A breaker that never opens, to see retries alone. */
  private static final Map<String, String> NO_BREAKER =
      Map.of("HOTPATH_BREAKER_WINDOW", "10000", "HOTPATH_BREAKER_MIN_CALLS", "10000");

  @Test
  void retriesFailedReadsWithinTheRetryBudget() {
    Map<String, String> env = new HashMap<>(NO_BREAKER);
    env.put("HOTPATH_OUTSIDE_RETRY_RATIO", "1");
    env.put("HOTPATH_HEDGING", "off");
    client(env);
    faults("error-rate=0.5,error-status=503");
    int ok = reads(200, 20, Duration.ofSeconds(10));
    // one try in two fails; with up to three tries, about 7 in 8 calls get an answer
    assertThat(ok).isGreaterThan(150);
    assertThat(services.get(Service.REVIEWS).orElseThrow().retryBudget().window()[1]).isPositive();
  }

  @Test
  void aServiceFailingEveryCallSeesAtMostTenPercentMoreCallsThanRequests() {
    Map<String, String> env = new HashMap<>(NO_BREAKER);
    env.put("HOTPATH_HEDGING", "off");
    client(env);
    faults("error-rate=1,error-status=500");
    int calls = 300;
    int ok = reads(calls, 20, Duration.ofSeconds(10));
    assertThat(ok).isZero();
    long seen = reviews().requests();
    assertThat(seen).isGreaterThanOrEqualTo(calls);
    assertThat(seen).isLessThanOrEqualTo((long) (calls * 1.1) + 1);
  }

  @Test
  void honoursRetryAfterAndNeverRetriesPastTheDeadline() {
    Map<String, String> env = new HashMap<>(NO_BREAKER);
    env.put("HOTPATH_OUTSIDE_RETRY_RATIO", "1");
    env.put("HOTPATH_HEDGING", "off");
    client(env);
    faults("error-rate=1,error-status=503,retry-after=60");
    // 5 s left (time enough for every first try to reach the service on a loaded machine):
    // waiting the minute the service asks for would pass the deadline, so none is retried
    assertThat(reads(10, 5, Duration.ofSeconds(5))).isZero();
    assertThat(reviews().requests()).isEqualTo(10);

    reviews().reset();
    faults("error-rate=1,error-status=503,retry-after=1");
    long start = System.nanoTime();
    // time for every try whatever the machine's load (with 2.5 s, late timers and answers could
    // leave too little for the third); the attempts bound (3), not the deadline, ends the call
    assertThat(reads(1, 1, Duration.ofSeconds(20))).isZero();
    // three tries, each after the second the service asked for
    assertThat(reviews().requests()).isEqualTo(3);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(2_000_000_000L);
  }

  @Test
  void aSlowDripIsCutOffAtTheDeadlineAndItsConnectionClosed() {
    client(Map.of("HOTPATH_HEDGING", "off"));
    // a byte a second: the answer (40 bytes at the very least) would take most of a minute
    faults("drip-bytes=1,drip-ms=1000");
    long start = System.nanoTime();
    OutsideFailure failure =
        (OutsideFailure)
            onLoop(
                () ->
                    client
                        .call(
                            OutsideCall.read(
                                Service.REVIEWS,
                                "/v1/products/7/reviews",
                                Deadline.after(System.nanoTime(), Duration.ofSeconds(1)),
                                1))
                        .map(r -> (Throwable) null)
                        .otherwise(e -> e));
    assertThat(failure.kind()).isEqualTo(OutsideFailure.Kind.TIMEOUT);
    assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);
    assertThat(reviews().requests()).as("the request reached the service").isEqualTo(1);
    assertThat(reviews().lastSeen()[2]).isNotNull();
    assertThat(Long.parseLong(reviews().lastSeen()[2])).isBetween(1L, 1_000L);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> reviews().connections() == 0);
  }

  /**
   * A call whose deadline passes while it waits for a connection (the pool's one connection held by
   * a slow call) fails as a timeout; the request it gets afterwards is reset without a word in the
   * log. Before, it was reset with no exception handler, and Vert.x logged {@code ERROR Stream
   * reset: 0} for each such call (seen on the demo server while orders timed out under load).
   */
  @Test
  void aCallThatTimedOutWaitingForAConnectionIsResetQuietly() {
    dev.hotpath.observe.LibraryLogs.route();
    var appender =
        new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    appender.start();
    var vertxLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.vertx");
    vertxLog.addAppender(appender);
    long late = Sent.lateRequests();
    try {
      client(Map.of("HOTPATH_HEDGING", "off", "HOTPATH_OUTSIDE_POOL_SIZE", "1"));
      faults("drip-bytes=1,drip-ms=1000");
      CompletableFuture<Throwable> slow = new CompletableFuture<>();
      CompletableFuture<Throwable> waiting = new CompletableFuture<>();
      loop.runOnContext(
          v -> {
            client.call(read(7, Duration.ofSeconds(2))).onComplete(ar -> slow.complete(ar.cause()));
            client
                .call(read(8, Duration.ofMillis(200)))
                .onComplete(ar -> waiting.complete(ar.cause()));
          });
      assertThat(((OutsideFailure) waiting.orTimeout(30, TimeUnit.SECONDS).join()).kind())
          .isEqualTo(OutsideFailure.Kind.TIMEOUT);
      assertThat(((OutsideFailure) slow.orTimeout(30, TimeUnit.SECONDS).join()).kind())
          .isEqualTo(OutsideFailure.Kind.TIMEOUT);
      // the waiting call's request, obtained once the slow one's connection was closed, is reset
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Sent.lateRequests() > late);
      assertThat(
              appender.list.stream()
                  .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR)
                  .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage())
                  .toList())
          .isEmpty();
    } finally {
      vertxLog.detachAppender(appender);
    }
  }

  private OutsideCall read(long product, Duration budget) {
    return OutsideCall.read(
        Service.REVIEWS,
        "/v1/products/" + product + "/reviews",
        Deadline.after(System.nanoTime(), budget),
        1);
  }

  @Test
  void theBreakerOpensOnFailuresStopsCallingThenProbesAndCloses() {
    client(
        Map.of(
            "HOTPATH_BREAKER_WINDOW", "10",
            "HOTPATH_BREAKER_MIN_CALLS", "5",
            "HOTPATH_BREAKER_OPEN_MS", "300",
            "HOTPATH_BREAKER_PROBES", "2",
            // failures open it here, not slowness: a loaded machine's slow probes must not
            "HOTPATH_BREAKER_SLOW_CALL_MS", "60000",
            "HOTPATH_HEDGING", "off",
            "HOTPATH_OUTSIDE_MAX_ATTEMPTS", "1"));
    CircuitBreaker breaker = services.get(Service.REVIEWS).orElseThrow().breaker();
    faults("outage=refuse");
    reads(10, 1, Duration.ofSeconds(1));
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    long seen = reviews().requests();
    assertThat(reads(50, 10, Duration.ofSeconds(1))).isZero();
    assertThat(reviews().requests()).as("an open breaker sends nothing").isEqualTo(seen);

    faults("");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              reads(2, 1, Duration.ofSeconds(5));
              return breaker.getState() == CircuitBreaker.State.CLOSED;
            });
    assertThat(reads(20, 5, Duration.ofSeconds(5))).isEqualTo(20);
  }

  @Test
  void theBreakerOpensOnSlowCalls() {
    client(
        Map.of(
            "HOTPATH_BREAKER_WINDOW", "10",
            "HOTPATH_BREAKER_MIN_CALLS", "5",
            "HOTPATH_BREAKER_SLOW_CALL_MS", "30",
            "HOTPATH_BREAKER_SLOW_RATE", "0.5",
            "HOTPATH_HEDGING", "off"));
    faults("latency=fixed,ms=80");
    assertThat(reads(10, 1, Duration.ofSeconds(5))).isGreaterThanOrEqualTo(5);
    assertThat(services.get(Service.REVIEWS).orElseThrow().breaker().getState())
        .isEqualTo(CircuitBreaker.State.OPEN);
  }

  @Test
  void hedgesTheLongTailWithinItsBudget() {
    client(Map.of("HOTPATH_HEDGE_RATIO", "0.05"));
    // a tail of a second: hedged after the tracked p95 even when a loaded machine slows every
    // call to hundreds of milliseconds
    faults("latency=longtail,ms=2,sd=0.5,tail=0.03,tail-ms=1000");
    int calls = 400;
    assertThat(reads(calls, 20, Duration.ofSeconds(10))).isEqualTo(calls);
    Dependency dep = services.get(Service.REVIEWS).orElseThrow();
    long hedges = dep.hedgeBudget().window()[1];
    assertThat(hedges).as("hedges sent").isPositive();
    assertThat(hedges).as("hedges within 5% of calls").isLessThanOrEqualTo(calls / 20 + 1);
    assertThat(reviews().requests()).isLessThanOrEqualTo(calls + hedges);
  }

  /** Payments' answer to an authorization named {@code id}. */
  private static Payments.Outcome authorizedAs(String id) {
    return Payments.outcome(
        new Reply(201, Buffer.buffer("{\"id\":\"" + id + "\",\"status\":\"authorized\"}")));
  }

  /**
   * Regression: the stand-in's void route took ids of 64 characters at most while Payments accepts
   * 128; a longer id fell on its 404, which a void reads as "no such authorization", done.
   */
  @Test
  void theLongestAuthorizationIdPaymentsAcceptsIsVoidedAtThePaymentsStandIn() {
    client(Map.of());
    String longest = "auth_" + "7".repeat(123);
    assertThat(longest).hasSize(128);
    assertThat(authorizedAs(longest)).isEqualTo(new Payments.Authorized(longest));
    assertThat(authorizedAs(longest + "7")).isInstanceOf(Payments.Unavailable.class);
    StubServer payments = Outside.stubs().server(Service.PAYMENTS);

    for (String id : new String[] {longest, longest + "7"}) {
      onLoop(
          () ->
              Payments.voidAuthorization(
                      client, id, Deadline.after(System.nanoTime(), Duration.ofSeconds(5)))
                  .map("sent"));
    }
    assertThat(payments.voids(longest)).isEqualTo(1);
    assertThat(payments.voids(longest + "7")).as("no such route at the stand-in").isZero();
  }
}
