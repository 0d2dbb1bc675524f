package dev.hotpath.outside;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One attempt: a request, if the service's breaker lets it through, and maybe its hedge, sent once
 * the first has not answered after the service's tracked p95 latency (while the hedge budget has
 * room); the first good answer wins and the other is reset.
 */
final class Attempt implements Sent.Listener {
  /** The call an attempt belongs to. */
  interface Owner {
    /** What the call's deadline leaves, less the margin. */
    long leftMillis();

    /** Attempt {@code n} succeeded. */
    void answered(Reply reply);

    /** Attempt {@code n} failed (the owner may retry). */
    void failed(int n, OutsideFailure failure);
  }

  private final Owner owner;
  private final CallContext ctx;
  private final boolean hedged;
  private final int n;
  final List<Sent> inFlight = new ArrayList<>(2);
  long hedgeTimer = -1;
  boolean done;

  Attempt(Owner owner, CallContext ctx, boolean hedged, int n) {
    this.owner = owner;
    this.ctx = ctx;
    this.hedged = hedged;
    this.n = n;
  }

  void start() {
    if (!send(false)) {
      done = true;
      owner.failed(
          n,
          OutsideFailure.of(ctx.dep().service(), OutsideFailure.Kind.BREAKER_OPEN, "breaker open"));
      return;
    }
    if (!hedged || done) {
      return;
    }
    long p95 = ctx.dep().latency().quantileNanos(0.95);
    if (p95 <= 0) {
      return;
    }
    long delay = Math.max(1, TimeUnit.NANOSECONDS.toMillis(p95 + 999_999));
    if (delay >= owner.leftMillis()) {
      return;
    }
    hedgeTimer =
        ctx.wire()
            .vertx()
            .setTimer(
                delay,
                t -> {
                  hedgeTimer = -1;
                  if (!done && ctx.dep().hedgeBudget().tryExtra() && send(true)) {
                    ctx.dep().hedgeSent();
                  }
                });
  }

  /** Sends one request; false when the breaker refused it. */
  boolean send(boolean hedge) {
    if (!ctx.dep().breaker().tryAcquirePermission()) {
      ctx.dep().rejected();
      return false;
    }
    Sent sent = new Sent(this, ctx, Math.max(1, owner.leftMillis()), hedge);
    inFlight.add(sent);
    sent.go();
    return true;
  }

  @Override
  public void answered(Sent winner, Reply reply) {
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
      ctx.dep().hedgeWon();
    }
    owner.answered(reply);
  }

  @Override
  public void failed(Sent sent, OutsideFailure failure) {
    inFlight.remove(sent);
    if (done || !inFlight.isEmpty()) {
      return;
    }
    // nothing left racing: a hedge not yet sent would only add load to a failing service
    done = true;
    cancelHedgeTimer();
    owner.failed(n, failure);
  }

  private void cancelHedgeTimer() {
    if (hedgeTimer >= 0) {
      ctx.wire().vertx().cancelTimer(hedgeTimer);
      hedgeTimer = -1;
    }
  }
}
