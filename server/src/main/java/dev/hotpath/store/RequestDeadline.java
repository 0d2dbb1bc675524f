package dev.hotpath.store;

import dev.hotpath.observe.CurrentContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.spi.context.storage.ContextLocal;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The deadline of the request running on the current Vert.x context, so that every statement sent
 * on its behalf is bounded by it without any call site passing it along. The edge binds it when the
 * request's route matches ({@link #bind}); {@link Statements} and {@link GuardedPool} read it. A
 * statement still unanswered at the deadline fails with {@link DatabaseTimeoutException} at once
 * (its late answer is dropped). Once a response has started (a stream: server-sent events, a CSV
 * download) its later statements are no longer bounded: the budget covers the first byte.
 */
public final class RequestDeadline {
  private static final ContextLocal<RequestDeadline> LOCAL =
      ContextLocal.registerLocal(RequestDeadline.class);

  private final long endNanos;
  private final @org.jspecify.annotations.Nullable HttpServerResponse response;
  private final Consumer<Throwable> fail;

  private RequestDeadline(
      long endNanos,
      @org.jspecify.annotations.Nullable HttpServerResponse response,
      Consumer<Throwable> fail) {
    this.endNanos = endNanos;
    this.response = response;
    this.fail = fail;
  }

  /** Registers the context local; call before the first Vertx instance is built. */
  public static void init() {}

  /**
   * Bounds the database work of the request on the current context by {@code endNanos} (a {@link
   * System#nanoTime()} reading) until {@code response} has started (null: a request answered
   * without a Vert.x response, bound until its work ends); {@code fail} answers the request with a
   * failure when work it cannot abandon (a lent connection) outlives the deadline.
   */
  public static void bind(
      long endNanos,
      @org.jspecify.annotations.Nullable HttpServerResponse response,
      Consumer<Throwable> fail) {
    CurrentContext.put(LOCAL, new RequestDeadline(endNanos, response, fail));
  }

  /**
   * The end of the current request's bound plus {@code graceNanos}, or {@link Long#MAX_VALUE} when
   * there is none.
   */
  static long currentEnd(long graceNanos) {
    RequestDeadline d = current();
    return d == null ? Long.MAX_VALUE : d.endNanos + graceNanos;
  }

  /** The bound of the request on the current context, or null when there is none (now). */
  static RequestDeadline current() {
    RequestDeadline d = CurrentContext.get(LOCAL);
    return d == null || d.response != null && d.response.headWritten() ? null : d;
  }

  long endNanos() {
    return endNanos;
  }

  /** A deadline of no request (the store's own tests): {@code fail} is told when it expires. */
  static RequestDeadline detached(long endNanos, Consumer<Throwable> fail) {
    return new RequestDeadline(endNanos, null, fail);
  }

  /** Answers the request with {@code cause} unless it has been answered already. */
  void expire(Throwable cause) {
    if (response == null || !response.ended()) {
      fail.accept(cause);
    }
  }

  /**
   * Runs {@code call} bounded by {@code endNanos}: the result fails with {@link
   * DatabaseTimeoutException} when the deadline passes first (then {@code expired} runs, e.g. to
   * send a cancel request), or at once without running {@code call} when it has already passed. A
   * result that succeeds after the deadline goes to {@code late} (e.g. to give a connection back).
   */
  static <T> Future<T> within(
      Vertx vertx,
      long endNanos,
      Supplier<Future<T>> call,
      Runnable expired,
      Consumer<? super T> late) {
    return within(vertx, endNanos, call, expired, late, () -> true);
  }

  /**
   * As {@link #within(Vertx, long, Supplier, Runnable, Consumer)}, but at the deadline the call is
   * abandoned only while {@code abandonable} says so: once a transaction's COMMIT is on its way,
   * its outcome is no longer the request's to give up on. Failing then would answer 503 for work
   * that commits a moment later; the result waits for the COMMIT's answer instead (the request's
   * own timeout, {@code HOTPATH_REQUEST_TIMEOUT_MS}, still bounds the wait).
   */
  static <T> Future<T> within(
      Vertx vertx,
      long endNanos,
      Supplier<Future<T>> call,
      Runnable expired,
      Consumer<? super T> late,
      java.util.function.BooleanSupplier abandonable) {
    if (endNanos == Long.MAX_VALUE) {
      return call.get();
    }
    long left = endNanos - System.nanoTime();
    if (left <= 0) {
      return Future.failedFuture(
          new DatabaseTimeoutException("the request's deadline passed before the statement"));
    }
    Context context = Vertx.currentContext();
    Promise<T> promise =
        context instanceof ContextInternal internal ? internal.promise() : Promise.promise();
    long budgetMs = Math.max(1, (left + 999_999) / 1_000_000);
    Handler<Void> expire =
        v -> {
          if (!abandonable.getAsBoolean()) {
            return;
          }
          String message =
              "no answer from the database within the request's deadline ("
                  + budgetMs
                  + " ms were left when the statement was sent)";
          if (promise.tryFail(new DatabaseTimeoutException(message))) {
            expired.run();
          }
        };
    Runnable cancel = timer(vertx, context, budgetMs, expire);
    Future<T> sent;
    try {
      sent = call.get();
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(
        ar -> {
          cancel.run();
          if (ar.succeeded()) {
            if (!promise.tryComplete(ar.result())) {
              late.accept(ar.result());
            }
          } else {
            promise.tryFail(ar.cause());
          }
        });
    return promise.future();
  }

  /**
   * Runs {@code expire} on {@code context} in {@code ms} milliseconds unless the returned action
   * cancels it first. On an event-loop context the task goes on its Netty event loop's own
   * scheduler, as a Vert.x timer would, minus what a timer costs beside it: an id, its entry in
   * Vert.x's map of timers and a close hook on the context, each made and removed again for every
   * statement (with the cancel, about 3.7 % of the event loops' CPU samples of an uncached read).
   * Elsewhere (no context, a worker) it is a Vert.x timer.
   */
  private static Runnable timer(Vertx vertx, Context context, long ms, Handler<Void> expire) {
    if (context instanceof ContextInternal internal && internal.isEventLoopContext()) {
      ScheduledFuture<?> task =
          internal
              .nettyEventLoop()
              .schedule(() -> internal.emit(expire), ms, TimeUnit.MILLISECONDS);
      return () -> task.cancel(false);
    }
    long timer = vertx.setTimer(ms, id -> expire.handle(null));
    return () -> vertx.cancelTimer(timer);
  }
}
