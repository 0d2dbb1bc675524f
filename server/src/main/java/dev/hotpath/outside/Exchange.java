package dev.hotpath.outside;

import dev.hotpath.observe.RequestTrace;
import io.vertx.core.Promise;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One call and its attempts: each attempt gets what the deadline leaves (minus the margin); a
 * retryable failure is retried after exponential backoff with full jitter (at least the service's
 * {@code Retry-After}), never past the deadline and only while the service's retry budget has room.
 */
final class Exchange implements Attempt.Owner {
  private final Wire wire;
  final Dependency dep;
  final OutsideCall call;
  final RequestTrace trace;
  final Promise<Reply> promise;
  final boolean hedged;
  private final CallContext ctx;

  Exchange(
      Wire wire, Dependency dep, OutsideCall call, RequestTrace trace, Promise<Reply> promise) {
    this.wire = wire;
    this.dep = dep;
    this.call = call;
    this.trace = trace;
    this.promise = promise;
    this.hedged = call.hedge() && wire.settings().hedging() && call.service().hedged();
    this.ctx = new CallContext(wire, dep, call, trace);
    dep.retryBudget().call();
    if (hedged) {
      dep.hedgeBudget().call();
    }
  }

  @Override
  public long leftMillis() {
    return call.deadline().remaining(wire.settings().margin()).toMillis();
  }

  void attempt(int n) {
    if (leftMillis() < 1) {
      promise.tryFail(
          OutsideFailure.of(call.service(), OutsideFailure.Kind.TIMEOUT, "no time left"));
      return;
    }
    new Attempt(this, ctx, hedged, n).start();
  }

  @Override
  public void answered(Reply reply) {
    promise.tryComplete(reply);
  }

  @Override
  public void failed(int n, OutsideFailure failure) {
    if (n >= call.maxAttempts() || !failure.kind().retryable()) {
      promise.tryFail(failure);
      return;
    }
    long bound = wire.settings().backoffBase().toMillis();
    long cap = wire.settings().backoffCap().toMillis();
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
    wire.vertx().setTimer(Math.max(1, delay), t -> attempt(n + 1));
  }
}
