package dev.hotpath.outside;

import dev.hotpath.config.OutsideSettings;
import dev.hotpath.observe.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.tracing.TracingPolicy;
import java.util.Optional;

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
 * {@link Exchange} holds the deadline and retry rules, {@link Attempt} the breaker and hedging,
 * {@link Sent} the request on the wire.
 *
 * <p>Not thread-safe: confined to its event loop.
 */
public final class OutsideClient {
  /** Request header telling the service how many milliseconds the caller will wait. */
  public static final String DEADLINE_HEADER = Sent.DEADLINE_HEADER;

  private final Wire wire;
  private final OutsideServices services;

  private OutsideClient(Vertx vertx, HttpClientAgent http, OutsideServices services) {
    this.wire = new Wire(vertx, http, services.settings());
    this.services = services;
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
    return wire.http().close();
  }

  public OutsideServices services() {
    return services;
  }

  /**
   * Sends {@code call}: its reply (2xx, or a 4xx that is the service's own refusal), or an {@link
   * OutsideFailure}.
   */
  public Future<Reply> call(OutsideCall call) {
    Optional<Dependency> dep = services.get(call.service());
    if (dep.isEmpty()) {
      return Future.failedFuture(
          OutsideFailure.of(call.service(), OutsideFailure.Kind.NOT_CONFIGURED, "not configured"));
    }
    Promise<Reply> promise = Promise.promise();
    new Exchange(wire, dep.get(), call, Tracing.current().orElse(null), promise).attempt(1);
    return promise.future();
  }
}
