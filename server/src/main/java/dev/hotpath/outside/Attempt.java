package dev.hotpath.outside;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One attempt: a request, if the service's breaker lets it through, and maybe its hedge, sent once
 * the first has not answered after the service's tracked p95 latency (while the hedge budget has
 * room); the first good answer wins and the other is reset.
 */
final class Attempt {
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
        exchange
            .client
            .vertx()
            .setTimer(
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
      exchange.client.vertx().cancelTimer(hedgeTimer);
      hedgeTimer = -1;
    }
  }
}
