package dev.hotpath.outside;

import dev.hotpath.config.OutsideSettings;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.HttpDates;
import dev.hotpath.observe.RequestTrace;
import dev.hotpath.observe.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.tracing.TracingPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Calls outside services from one event loop, over one pooled HTTP client of that loop (keep-alive
 * connections per service, at most {@code HOTPATH_OUTSIDE_POOL_SIZE} each, a bounded wait queue).
 * Create it on the loop that uses it, as the database pool is; every callback runs there.
 *
 * <p>A call is:
 *
 * <ul>
 *   <li><b>bounded by its deadline</b>: each attempt's timeout is what the request has left minus a
 *       margin, sent to the service as {@value #DEADLINE_HEADER}; at the timeout the attempt is
 *       reset (its connection closed), however much of the answer has trickled in;
 *   <li><b>guarded by the service's circuit breaker</b>: no attempt is sent while it is open;
 *   <li><b>retried</b> when {@code maxAttempts > 1} (idempotent calls only) after a connection
 *       failure, a 5xx, 408 or 429: exponential backoff with full jitter, at least the service's
 *       {@code Retry-After}, never past the deadline, and only while the service's retry budget (a
 *       share of its calls over a sliding window) has room. This is the only layer that retries an
 *       outside call on the request path;
 *   <li><b>hedged</b> when asked for and the service allows it: if the first attempt has not
 *       answered after the service's tracked p95 latency, a second one races it (while the hedge
 *       budget has room); the first good answer wins and the other is reset;
 *   <li><b>traced</b>: it carries {@code traceparent} (a child span of the request's) and {@code
 *       X-Request-Id}, its time counts as {@code deps} in {@code Server-Timing}, and it becomes a
 *       client span when traces are exported.
 * </ul>
 *
 * Not thread-safe: confined to its event loop.
 */
public final class OutsideClient {
  /** Request header telling the service how many milliseconds the caller will wait. */
  public static final String DEADLINE_HEADER = "X-Deadline-Ms";

  /** Largest answer accepted; a longer one fails the attempt. */
  static final int MAX_BODY = 256 * 1024;

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final OutsideServices services;
  private final OutsideSettings settings;

  private OutsideClient(Vertx vertx, HttpClientAgent http, OutsideServices services) {
    this.vertx = vertx;
    this.http = http;
    this.services = services;
    this.settings = services.settings();
  }

  /** A client whose connections live on the calling event loop. */
  public static OutsideClient create(Vertx vertx, OutsideServices services) {
    OutsideSettings s = services.settings();
    HttpClientAgent http =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(true)
                .setKeepAliveTimeout(30)
                .setTcpNoDelay(true)
                .setConnectTimeout(2_000)
                // the request's tracer must not count outside calls as database queries; the
                // trace headers are written here instead
                .setTracingPolicy(TracingPolicy.IGNORE),
            new PoolOptions().setHttp1MaxSize(s.poolSize()).setMaxWaitQueueSize(s.waitQueue()));
    return new OutsideClient(vertx, http, services);
  }

  /** Closes the connections. */
  public Future<Void> close() {
    return http.close();
  }

  public OutsideServices services() {
    return services;
  }

  /**
   * One call.
   *
   * @param service which service
   * @param method HTTP method
   * @param path path and query, relative to the service's base URL
   * @param body JSON body, when there is one
   * @param idempotencyKey the service's {@code Idempotency-Key}, when the call has one
   * @param deadline when the caller stops waiting
   * @param maxAttempts attempts in all (1: never retried)
   * @param hedge whether the call may be hedged (the service must allow it too)
   */
  public record Call(
      Service service,
      HttpMethod method,
      String path,
      Optional<Buffer> body,
      Optional<String> idempotencyKey,
      Deadline deadline,
      int maxAttempts,
      boolean hedge) {
    /** An idempotent read, retried and hedged as the settings allow. */
    public static Call read(Service service, String path, Deadline deadline, int maxAttempts) {
      return new Call(
          service,
          HttpMethod.GET,
          path,
          Optional.empty(),
          Optional.empty(),
          deadline,
          maxAttempts,
          true);
    }

    /** A POST made idempotent by the service's {@code key}. */
    public static Call post(
        Service service, String path, Buffer body, String key, Deadline deadline, int attempts) {
      return new Call(
          service,
          HttpMethod.POST,
          path,
          Optional.of(body),
          Optional.of(key),
          deadline,
          attempts,
          false);
    }
  }

  /**
   * Sends {@code call}: its reply (2xx, or a 4xx that is the service's own refusal), or an {@link
   * OutsideFailure}.
   */
  public Future<Reply> call(Call call) {
    Optional<Dependency> dep = services.get(call.service());
    if (dep.isEmpty()) {
      return Future.failedFuture(
          OutsideFailure.of(call.service(), OutsideFailure.Kind.NOT_CONFIGURED, "not configured"));
    }
    Promise<Reply> promise = Promise.promise();
    new Exchange(dep.get(), call, Tracing.current().orElse(null), promise).attempt(1);
    return promise.future();
  }

  /** One call and its attempts. */
  private final class Exchange {
    final Dependency dep;
    final Call call;
    final RequestTrace trace;
    final Promise<Reply> promise;
    final boolean hedged;

    Exchange(Dependency dep, Call call, RequestTrace trace, Promise<Reply> promise) {
      this.dep = dep;
      this.call = call;
      this.trace = trace;
      this.promise = promise;
      this.hedged = call.hedge() && settings.hedging() && call.service().hedged();
      dep.retryBudget().call();
      if (hedged) {
        dep.hedgeBudget().call();
      }
    }

    long leftMillis() {
      return call.deadline().remaining(settings.margin()).toMillis();
    }

    void attempt(int n) {
      if (leftMillis() < 1) {
        promise.tryFail(
            OutsideFailure.of(call.service(), OutsideFailure.Kind.TIMEOUT, "no time left"));
        return;
      }
      new Attempt(this, n).start();
    }

    void failed(int n, OutsideFailure failure) {
      if (n >= call.maxAttempts() || !failure.kind().retryable()) {
        promise.tryFail(failure);
        return;
      }
      long bound = settings.backoffBase().toMillis();
      long cap = settings.backoffCap().toMillis();
      for (int i = 1; i < n && bound < cap; i++) {
        bound *= 2;
      }
      long delay = ThreadLocalRandom.current().nextLong(Math.max(1, Math.min(bound, cap)));
      if (failure.retryAfter().isPresent()) {
        delay = Math.max(delay, failure.retryAfter().get().toMillis());
      }
      // never retry past the deadline: the retry must have time to be answered
      if (delay + 1 >= leftMillis()) {
        promise.tryFail(failure);
        return;
      }
      if (!dep.retryBudget().tryExtra()) {
        dep.retry(false);
        promise.tryFail(failure);
        return;
      }
      dep.retry(true);
      vertx.setTimer(Math.max(1, delay), t -> attempt(n + 1));
    }
  }

  /** One attempt: a request, and maybe its hedge; the first good answer wins. */
  private final class Attempt {
    final Exchange exchange;
    final int n;
    final List<Sent> inFlight = new ArrayList<>(2);
    long hedgeTimer = -1;
    boolean done;

    Attempt(Exchange exchange, int n) {
      this.exchange = exchange;
      this.n = n;
    }

    void start() {
      Dependency dep = exchange.dep;
      if (!send(false)) {
        done = true;
        exchange.failed(
            n, OutsideFailure.of(dep.service(), OutsideFailure.Kind.BREAKER_OPEN, "breaker open"));
        return;
      }
      if (!exchange.hedged || done) {
        return;
      }
      long p95 = dep.latency().quantileNanos(0.95);
      if (p95 <= 0) {
        return;
      }
      long delay = Math.max(1, TimeUnit.NANOSECONDS.toMillis(p95 + 999_999));
      if (delay >= exchange.leftMillis()) {
        return;
      }
      hedgeTimer =
          vertx.setTimer(
              delay,
              t -> {
                hedgeTimer = -1;
                if (!done && dep.hedgeBudget().tryExtra() && send(true)) {
                  dep.hedgeSent();
                }
              });
    }

    /** Sends one request; false when the breaker refused it. */
    boolean send(boolean hedge) {
      Dependency dep = exchange.dep;
      if (!dep.breaker().tryAcquirePermission()) {
        dep.rejected();
        return false;
      }
      Sent sent = new Sent(this, hedge);
      inFlight.add(sent);
      sent.go();
      return true;
    }

    void answered(Sent winner, Reply reply) {
      if (done) {
        return;
      }
      done = true;
      cancelHedgeTimer();
      for (Sent other : List.copyOf(inFlight)) {
        if (other != winner) {
          other.cancel();
        }
      }
      if (winner.hedge) {
        exchange.dep.hedgeWon();
      }
      exchange.promise.tryComplete(reply);
    }

    void failed(Sent sent, OutsideFailure failure) {
      inFlight.remove(sent);
      if (done || !inFlight.isEmpty()) {
        return;
      }
      // nothing left racing: a hedge not yet sent would only add load to a failing service
      done = true;
      cancelHedgeTimer();
      exchange.failed(n, failure);
    }

    private void cancelHedgeTimer() {
      if (hedgeTimer >= 0) {
        vertx.cancelTimer(hedgeTimer);
        hedgeTimer = -1;
      }
    }
  }

  /** One HTTP request on the wire. */
  private final class Sent {
    final Attempt attempt;
    final boolean hedge;
    final long start = System.nanoTime();
    final String spanId = spanId();
    long timer = -1;
    HttpClientRequest request;
    boolean ended;

    Sent(Attempt attempt, boolean hedge) {
      this.attempt = attempt;
      this.hedge = hedge;
    }

    void go() {
      Exchange ex = attempt.exchange;
      Call call = ex.call;
      long timeoutMs = Math.max(1, ex.leftMillis());
      timer = vertx.setTimer(timeoutMs, t -> timedOut(timeoutMs));
      if (ex.trace != null) {
        ex.trace.dependencyStarted();
      }
      URI base = ex.dep.base();
      boolean tls = "https".equals(base.getScheme());
      String prefix = base.getRawPath() == null ? "" : base.getRawPath();
      if (prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
      RequestOptions options =
          new RequestOptions()
              .setMethod(call.method())
              .setHost(base.getHost())
              .setPort(base.getPort() > 0 ? base.getPort() : tls ? 443 : 80)
              .setSsl(tls)
              .setURI(prefix + call.path())
              .putHeader("Accept", "application/json")
              .putHeader(DEADLINE_HEADER, Long.toString(timeoutMs));
      if (ex.trace != null) {
        options
            .putHeader("traceparent", ex.trace.childTraceparent(spanId))
            .putHeader("X-Request-Id", ex.trace.requestId());
      }
      call.idempotencyKey().ifPresent(k -> options.putHeader("Idempotency-Key", k));
      if (call.body().isPresent()) {
        options.putHeader("Content-Type", "application/json");
      }
      http.request(options)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  Throwable cause = ar.cause();
                  fail(
                      cause instanceof ConnectionPoolTooBusyException
                          ? OutsideFailure.Kind.POOL_BUSY
                          : OutsideFailure.Kind.CONNECTION,
                      0,
                      Optional.empty(),
                      String.valueOf(cause.getMessage()));
                  return;
                }
                HttpClientRequest req = ar.result();
                if (ended) {
                  // timed out or lost the race while waiting for a connection
                  req.reset();
                  return;
                }
                request = req;
                req.exceptionHandler(this::broken);
                (call.body().isPresent() ? req.send(call.body().get()) : req.send())
                    .onComplete(
                        rar -> {
                          if (rar.failed()) {
                            broken(rar.cause());
                          } else {
                            read(rar.result());
                          }
                        });
              });
    }

    private void broken(Throwable cause) {
      fail(OutsideFailure.Kind.CONNECTION, 0, Optional.empty(), String.valueOf(cause.getMessage()));
    }

    private void read(HttpClientResponse response) {
      int status = response.statusCode();
      Optional<Duration> retryAfter = retryAfter(response.getHeader("Retry-After"));
      Buffer body = Buffer.buffer();
      response.exceptionHandler(this::broken);
      response.handler(
          chunk -> {
            if (ended) {
              return;
            }
            if (body.length() + chunk.length() > MAX_BODY) {
              fail(OutsideFailure.Kind.MALFORMED, status, Optional.empty(), "answer too large");
              reset();
            } else {
              body.appendBuffer(chunk);
            }
          });
      response.endHandler(
          v -> {
            if (status >= 500 || status == 408 || status == 429) {
              fail(OutsideFailure.Kind.STATUS, status, retryAfter, "answered " + status);
            } else {
              succeed(new Reply(status, body));
            }
          });
    }

    private void timedOut(long timeoutMs) {
      timer = -1;
      if (ended) {
        return;
      }
      fail(
          OutsideFailure.Kind.TIMEOUT,
          0,
          Optional.empty(),
          "no answer within " + timeoutMs + " ms");
      reset();
    }

    /** Abandons this request (another one won): its breaker permission is given back. */
    void cancel() {
      if (ended) {
        return;
      }
      end();
      attempt.exchange.dep.breaker().releasePermission();
      reset();
    }

    private void reset() {
      if (request != null) {
        request.reset();
      }
    }

    private long end() {
      ended = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      long now = System.nanoTime();
      RequestTrace trace = attempt.exchange.trace;
      if (trace != null) {
        trace.dependencyEnded(attempt.exchange.call.service().id(), spanId, start, now);
      }
      return now - start;
    }

    private void succeed(Reply reply) {
      if (ended) {
        return;
      }
      long nanos = end();
      Dependency dep = attempt.exchange.dep;
      dep.breaker().onSuccess(nanos, TimeUnit.NANOSECONDS);
      dep.succeeded(nanos);
      if (reply.ok()) {
        dep.latency().record(nanos);
      }
      attempt.answered(this, reply);
    }

    private void fail(
        OutsideFailure.Kind kind, int status, Optional<Duration> retryAfter, String why) {
      if (ended) {
        return;
      }
      long nanos = end();
      Dependency dep = attempt.exchange.dep;
      OutsideFailure failure = new OutsideFailure(dep.service(), kind, status, retryAfter, why);
      if (kind == OutsideFailure.Kind.POOL_BUSY) {
        // our own queue is full: not the service's fault
        dep.breaker().releasePermission();
      } else {
        dep.breaker().onError(nanos, TimeUnit.NANOSECONDS, failure);
      }
      dep.failed(nanos, kind == OutsideFailure.Kind.TIMEOUT);
      attempt.failed(this, failure);
    }
  }

  /** {@code Retry-After} as delay-seconds or an HTTP-date; empty when absent or unreadable. */
  static Optional<Duration> retryAfter(String header) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    String value = header.trim();
    try {
      long seconds = Long.parseLong(value);
      return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
    } catch (NumberFormatException notSeconds) {
      long at = HttpDates.parse(value);
      if (at == HttpDates.INVALID) {
        return Optional.empty();
      }
      return Optional.of(Duration.ofSeconds(Math.max(0, at - System.currentTimeMillis() / 1000)));
    }
  }

  private static String spanId() {
    long bits = ThreadLocalRandom.current().nextLong() | 1L;
    String hex = Long.toHexString(bits);
    return "0".repeat(16 - hex.length()) + hex;
  }
}
