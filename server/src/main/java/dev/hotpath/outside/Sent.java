package dev.hotpath.outside;

import dev.hotpath.http.HttpDates;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP request on the wire: built from the call and the service's base URL, carrying the
 * deadline and the trace headers; reset at its timeout; its outcome fed to the service's breaker,
 * counters and latency tracker.
 */
final class Sent {
  /** Request header telling the service how many milliseconds the caller will wait. */
  static final String DEADLINE_HEADER = "X-Deadline-Ms";

  /** Largest answer accepted; a longer one fails the attempt. */
  static final int MAX_BODY = 256 * 1024;

  /** Hears how the request ended. */
  interface Listener {
    void answered(Sent sent, Reply reply);

    void failed(Sent sent, OutsideFailure failure);
  }

  private final Listener listener;
  private final CallContext ctx;
  private final long timeoutMs;
  final boolean hedge;
  final long start = System.nanoTime();
  final String spanId = spanId();
  long timer = -1;
  HttpClientRequest request;
  boolean ended;

  Sent(Listener listener, CallContext ctx, long timeoutMs, boolean hedge) {
    this.listener = listener;
    this.ctx = ctx;
    this.timeoutMs = timeoutMs;
    this.hedge = hedge;
  }

  void go() {
    timer = ctx.wire().vertx().setTimer(timeoutMs, t -> timedOut(timeoutMs));
    if (ctx.trace() != null) {
      ctx.trace().dependencyStarted();
    }
    RequestOptions options = options(ctx.dep().base(), ctx.call(), timeoutMs);
    if (ctx.trace() != null) {
      options
          .putHeader("traceparent", ctx.trace().childTraceparent(spanId))
          .putHeader("X-Request-Id", ctx.trace().requestId());
    }
    ctx.wire()
        .http()
        .request(options)
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
                LATE.increment();
                // nothing waits for its outcome: without a handler, Vert.x logs the reset's
                // StreamResetException as an ERROR
                req.exceptionHandler(ignored -> {});
                req.reset();
                return;
              }
              request = req;
              req.exceptionHandler(this::broken);
              (ctx.call().body().isPresent() ? req.send(ctx.call().body().get()) : req.send())
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

  /**
   * The request of {@code call} to the service at {@code base}: its path under the base's, JSON
   * accepted (and sent, with a body), the caller's deadline and the call's idempotency key.
   */
  static RequestOptions options(URI base, OutsideCall call, long timeoutMs) {
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
    call.idempotencyKey().ifPresent(k -> options.putHeader("Idempotency-Key", k));
    if (call.body().isPresent()) {
      options.putHeader("Content-Type", "application/json");
    }
    return options;
  }

  /** Requests obtained after their call had ended, reset unsent (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder LATE =
      new java.util.concurrent.atomic.LongAdder();

  /** Requests obtained after their call had ended (timed out waiting for a connection). */
  static long lateRequests() {
    return LATE.sum();
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
    fail(OutsideFailure.Kind.TIMEOUT, 0, Optional.empty(), "no answer within " + timeoutMs + " ms");
    reset();
  }

  /** Abandons this request (another one won): its breaker permission is given back. */
  void cancel() {
    if (ended) {
      return;
    }
    end();
    ctx.dep().breaker().releasePermission();
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
      ctx.wire().vertx().cancelTimer(timer);
      timer = -1;
    }
    long now = System.nanoTime();
    if (ctx.trace() != null) {
      ctx.trace().dependencyEnded(ctx.call().service().id(), spanId, start, now);
    }
    return now - start;
  }

  private void succeed(Reply reply) {
    if (ended) {
      return;
    }
    long nanos = end();
    ctx.dep().breaker().onSuccess(nanos, TimeUnit.NANOSECONDS);
    ctx.dep().succeeded(nanos);
    if (reply.ok()) {
      ctx.dep().latency().record(nanos);
    }
    listener.answered(this, reply);
  }

  private void fail(
      OutsideFailure.Kind kind, int status, Optional<Duration> retryAfter, String why) {
    if (ended) {
      return;
    }
    long nanos = end();
    OutsideFailure failure = new OutsideFailure(ctx.dep().service(), kind, status, retryAfter, why);
    if (kind == OutsideFailure.Kind.POOL_BUSY) {
      // our own queue is full: not the service's fault
      ctx.dep().breaker().releasePermission();
    } else {
      ctx.dep().breaker().onError(nanos, TimeUnit.NANOSECONDS, failure);
    }
    ctx.dep().failed(nanos, kind == OutsideFailure.Kind.TIMEOUT);
    listener.failed(this, failure);
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
