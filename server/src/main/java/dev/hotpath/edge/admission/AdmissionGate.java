package dev.hotpath.edge.admission;

import dev.hotpath.config.AdmissionSettings;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.InProcess;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.SecurityHeaders;
import dev.hotpath.observe.Tracing;
import io.netty.util.AsciiString;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;

/**
 * Admission for the routes of one event loop: the first handler after a route is named, before
 * authentication and before any body is read, so a refused request costs a counter read, a problem
 * document and nothing else — no token check, no body, no query.
 *
 * <p>A request is admitted while the process's requests in flight stay below its class's threshold
 * (see {@link Criticality}); critical routes are never gated. Otherwise a request of high
 * criticality may wait in a short queue for a slot to free up, bounded in length and in time (both
 * settings; its {@link Deadline}, if sooner, ends the wait first); every other one is refused at
 * once with 503 {@code overloaded} and {@code Retry-After: 1}, and so is a waiter whose time is up,
 * before any work is done for it.
 *
 * <p>How long a request may wait depends on whether the queue is riding out a burst or standing
 * full (CoDel's distinction). A burst — the requests that arrive together after an event loop was
 * held up, or just after a spike, while the limit is still low — passes: slots free within
 * milliseconds, so while the queue has been empty within the last 100 ms (settings) a waiter may
 * wait up to 10 ms. A queue that has not been empty for that long means sustained overload: it is
 * always full, nearly every admitted request comes out of it, and its wait adds to the latency of
 * all of them, so new waiters get the short wait (1 ms), and a refusal after waiting still comes at
 * once. With waits bounded only by the deadline, the p99 of admitted reads was far higher in the
 * overload runs (figures in the README).
 *
 * <p><b>HTTP/1.x requests are held, not refused,</b> while back-pressure is on: one that finds no
 * slot for its class waits (it is one of the requests in the queue, but not counted against its
 * bound) until a slot for its class frees, for at most the longest pause of {@link Backpressure} or
 * until its deadline, whichever comes first, and is refused only then. Its connection sends nothing
 * more meanwhile (HTTP/1.x has one request at a time), so holding it is pausing that connection one
 * request later, bounded alike: the excess of a closed-loop client stays with the client, as it
 * does when a connection is paused after its response, and is not answered 503 only to come
 * straight back. Without it, a client listing over 64 connections (wrk, the customer-orders page
 * uncached, 2026-12-06) was refused 280,000 times in 8 s for 7,000 answers once the adaptive limit
 * had fallen below its connections: each refusal was cheap, and the client sent the next request at
 * once. A request handed in process ({@link InProcess}: a gRPC call) is held until its deadline
 * instead: it has no connection to pause, so the whole excess of a gRPC client was held, and the
 * longest pause ran out under a stall that a paused HTTP/1.x client rode out in its sockets (about
 * 100 calls refused per 20 s of the uncached page over 64 concurrent calls, at a load JSON over
 * HTTP/1.1 got no refusal at; bench-formats, 2026-12-06). <b>HTTP/2 streams are held alike</b>, and
 * while any stream of a connection is held its {@link StreamValve} stops reading it, so the
 * client's further streams stay in its socket; one whose hold runs out gets {@code RST_STREAM
 * REFUSED_STREAM} rather than a 503. Before, a stream that found admission full was refused at
 * once, and a closed loop of more streams than slots (h2load, 64 connections of 10 streams on the
 * uncached page) was mostly refused: 2.8-3.1 million refused streams per 20 s (bench-formats), the
 * refusals taking the CPU. All requests while back-pressure is off get the queue and the refusals
 * above.
 *
 * <p>When an admitted request's response ends (or its connection closes), its slot is given back,
 * and its latency, measured from admission, goes into this loop's sampling window; each window's
 * average and peak concurrency feed the limit algorithm. Waiting requests are taken in order when a
 * slot frees on this loop or, while any wait, on another ({@link Admission#release} wakes the
 * loops), and the queue is polled every millisecond while some wait its short waits; while all are
 * held, one timer ends the holds that ran out (see {@link #HELD_DRAIN_EVERY_MS}). Confined to its
 * event loop: plain fields, no locks.
 */
public final class AdmissionGate {
  static final String TICKET = "hotpath.admission";

  /** The class of a request refused on its route (an admitted one's ticket knows its class). */
  static final String REFUSED = "hotpath.admission.refused";

  private static final AsciiString RETRY_AFTER = AsciiString.cached("Retry-After");
  private static final AsciiString ONE_SECOND = AsciiString.cached("1");
  private static final long WINDOW_NANOS = 250_000_000L;
  private static final int MIN_SAMPLES = 10;
  private static final long DRAIN_EVERY_MS = 1;

  /**
   * The least time between two checks of the queue while every waiter is held (back-pressure): a
   * slot freed on any loop wakes it at once ({@link Admission#release}), so a check only ends holds
   * that ran out, which may come up to this much late. The check is one timer per loop set for the
   * earliest hold to run out (not a poll): while nothing frees and no hold runs out, nothing runs.
   * Polled every millisecond, the server took 39 % of a core with every stream held until refused
   * (MODE=cpu's paused-h2, busy machine), 28 % every 10 ms.
   */
  private static final long HELD_DRAIN_EVERY_MS = 10;

  /** The most time between two checks of the queue while every waiter is held. */
  private static final long HELD_CHECK_MAX_MS = 100;

  private static final ProblemException OVERLOADED = Refusal.OVERLOADED;
  private static final ProblemException EXPIRED =
      new ProblemException(
          ProblemType.OVERLOADED,
          "The request's time to wait for a slot ran out (the queue's longest wait, or its"
              + " deadline) and it was dropped before any work; retry after Retry-After seconds");

  private final Admission admission;
  private final Vertx vertx;
  private final int capacity;
  private final long maxWaitNanos;
  private final long burstWaitNanos;
  private final long standingNanos;

  /** When the queue last became non-empty (admission clock); -1 while it is empty. */
  private long nonEmptySince = -1;

  /** Waiters counted against the queue's bound: all but the held HTTP/1.x requests. */
  private int queued;

  /** The longest an HTTP/1.x request is held (back-pressure's longest pause), in nanoseconds. */
  private final long holdNanos;

  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

  /** The poll of the queue while some waiter waits a short wait (periodic), or -1. */
  private long drainTimer = -1;

  /** The one check of the queue while every waiter is held, or -1. */
  private long heldTimer = -1;

  /** When {@link #heldTimer} fires (admission clock). */
  private long heldTimerAt;

  /** The earliest time a waiter stops waiting (admission clock); meaningful while any waits. */
  private long earliestGiveUp;

  private long windowStart;
  private long rttSum;
  private int samples;
  private int peakInFlight;
  private boolean dropped;

  /** HTTP/2 {@code RST_STREAM} error code: the stream was not processed, a retry is safe. */
  static final long REFUSED_STREAM = 0x7;

  private final Backpressure backpressure;

  AdmissionGate(
      Admission admission, Vertx vertx, AdmissionSettings settings, Backpressure backpressure) {
    this.admission = admission;
    this.backpressure = backpressure;
    this.vertx = vertx;
    this.capacity = settings.queue();
    this.maxWaitNanos = settings.queueWait().toNanos();
    this.burstWaitNanos = Math.max(maxWaitNanos, settings.burstWait().toNanos());
    this.standingNanos = settings.standing().toNanos();
    this.holdNanos = backpressure.pauseMaxNanos();
    backpressure.onSlotFreed(this::drainIfWaiting);
    this.windowStart = admission.nanoTime();
  }

  /**
   * Refuses an API request before it is routed when no class of request could be admitted now (in
   * flight at the limit and this loop's queue full). Under deep overload most requests are refused,
   * and each refusal must cost as little as possible: measured here, shedding through the router
   * (route matching, the platform handlers, failure routing) left too little CPU for the admitted
   * requests. Only {@code /v1/} paths: operations routes are critical and never shed.
   *
   * <p>An HTTP/2 request on a connection with a {@link StreamValve} (back-pressure on) is not
   * refused here but held on its route. One without a valve (its connection handler did not see an
   * HTTP/2 connection) is not answered but its stream refused ({@code RST_STREAM REFUSED_STREAM}:
   * not processed, safe to retry), which costs no response headers and no body, and its connection
   * is told to open fewer streams ({@link Backpressure}); while back-pressure is off, it gets the
   * 503 an HTTP/1.x request gets.
   *
   * @return whether the request was answered (503) or its stream refused
   */
  public boolean refuseEarly(HttpServerRequest request, boolean tls) {
    if (!full()) {
      return false;
    }
    String path = request.path();
    if (path == null || !path.startsWith("/v1/")) {
      return false;
    }
    boolean h2 = request.version() == HttpVersion.HTTP_2;
    if (h2 && backpressure.streamValve(request.connection()) != null) {
      return false; // held on its route, its connection no longer read meanwhile
    }
    refusedFull();
    if (h2 && backpressure.refusesStreams() && backpressure.refuseStream(request.connection())) {
      request.response().reset(REFUSED_STREAM);
      return true;
    }
    var trace = Tracing.currentOrNull();
    if (trace != null) {
      trace.markShed();
    }
    HttpServerResponse response = request.response();
    SecurityHeaders.add(response.headers(), tls);
    response.putHeader(RETRY_AFTER, ONE_SECOND);
    Problems.answer(
        response, ProblemType.OVERLOADED, io.vertx.core.buffer.Buffer.buffer(Refusal.BODY));
    return true;
  }

  /**
   * Whether no class of request could be admitted now: in flight at the limit and this loop's queue
   * full (so the answer to an API request is the same whatever its route).
   */
  boolean full() {
    return admission.enabled() && queued >= capacity && admission.inFlight() >= admission.limit();
  }

  /** Counts a request refused because admission was {@link #full}. */
  void refusedFull() {
    admission.shed(Criticality.HIGH, Admission.Reason.FULL);
  }

  /**
   * The admission handler of a route (a platform handler, to run before authentication and body
   * handlers); empty for critical routes and when admission is off.
   */
  public Optional<PlatformHandler> handler(RoutePolicy policy) {
    if (!admission.enabled() || policy.criticality() == Criticality.CRITICAL) {
      return Optional.empty();
    }
    return Optional.of(policy.longLived() ? new Pass(policy.criticality()) : new Admit(policy));
  }

  /**
   * Admits a request that is answered below Vert.x at once ({@code edge.PreparedRead}), as its
   * route's handler would admit it without waiting: the count in flight with it, which it holds
   * until {@link #endBelow}; 0 when no admission applies to the route (admission off, a critical
   * route); -1 when it would have to wait or be refused, or holds no slot (long-lived), so that it
   * goes the ordinary way, which queues or refuses it.
   */
  public int admitBelow(RoutePolicy policy) {
    if (!admission.enabled() || policy.criticality() == Criticality.CRITICAL) {
      return 0;
    }
    if (policy.longLived()) {
      return -1;
    }
    int inFlight = admission.tryAcquire(policy.criticality());
    return inFlight > 0 ? inFlight : -1;
  }

  /**
   * Gives back the slot of a request {@link #admitBelow} admitted at {@code startNanos} (the
   * admission clock) with {@code inFlight} in flight, answered {@code status}: its latency goes to
   * the window as a ticket's does when its response ends.
   */
  public void endBelow(long startNanos, int inFlight, int status) {
    admission.release();
    if (status != 429) {
      long now = admission.nanoTime();
      record(now, now - startNanos, inFlight, status == 503 || status == 504);
    }
    if (!waiters.isEmpty()) {
      drain();
    }
  }

  /** Admits, queues or refuses a request that will hold a slot until its response ends. */
  private final class Admit implements PlatformHandler {
    private final Criticality criticality;

    Admit(RoutePolicy policy) {
      this.criticality = policy.criticality();
    }

    @Override
    public void handle(RoutingContext ctx) {
      if (ctx.get(TICKET) != null) {
        ctx.next(); // admitted by an earlier route this request fell through
        return;
      }
      Deadline deadline = Deadline.of(ctx);
      if (deadline.expired(admission.nanoTime())) {
        refuse(ctx, criticality, Admission.Reason.DEADLINE);
        return;
      }
      int inFlight = admission.tryAcquire(criticality);
      if (inFlight > 0) {
        start(ctx, criticality, inFlight);
        ctx.next();
        return;
      }
      if (backpressure.holdsRequests()) {
        HttpServerRequest request = ctx.request();
        if (request.version() != HttpVersion.HTTP_2) {
          enqueue(ctx, criticality, deadline, true, null);
          return;
        }
        StreamValve valve = backpressure.streamValve(request.connection());
        if (valve != null) {
          enqueue(ctx, criticality, deadline, true, valve);
          backpressure.streamHeld(request.connection(), criticality);
          return;
        }
      }
      if (criticality == Criticality.HIGH && queued < capacity && !deadline.unbounded()) {
        enqueue(ctx, criticality, deadline, false, null);
        return;
      }
      refuse(ctx, criticality, Admission.Reason.LIMIT);
    }
  }

  /**
   * Admits or refuses a long-lived request by its class's threshold; it holds no slot and gives no
   * latency sample.
   */
  private final class Pass implements PlatformHandler {
    private final Criticality criticality;

    Pass(Criticality criticality) {
      this.criticality = criticality;
    }

    @Override
    public void handle(RoutingContext ctx) {
      if (admission.hasRoom(criticality)) {
        ctx.next();
      } else {
        refuse(ctx, criticality, Admission.Reason.LIMIT);
      }
    }
  }

  /**
   * An admitted request, or one waiting for a slot: once admitted, gives its slot back and its
   * latency to the window when it ends. A waiter's ticket is its end handler from the moment it is
   * queued: the routing context calls its end handlers once, when the response ends, fails or
   * closes, and never one added after that, so a request admitted from the queue just as its client
   * went away (an HTTP/2 client closing its connection on streams held and being admitted) kept its
   * slot for good when its end handler was added only on admission.
   */
  private final class Ticket implements Handler<AsyncResult<Void>> {
    private final RoutingContext ctx;
    private final Criticality criticality;
    private long startNanos;
    private int inFlightAtStart;
    private boolean admitted;
    private boolean released;

    Ticket(RoutingContext ctx, Criticality criticality) {
      this.ctx = ctx;
      this.criticality = criticality;
    }

    /** It holds a slot from now on. */
    void admit(long nowNanos, int inFlight) {
      admitted = true;
      startNanos = nowNanos;
      inFlightAtStart = inFlight;
    }

    @Override
    public void handle(AsyncResult<Void> ended) {
      if (released) {
        return;
      }
      released = true;
      if (!admitted) {
        if (!waiters.isEmpty()) {
          drain(); // a waiter gone: it leaves the queue
        }
        return;
      }
      admission.release();
      if (ended.succeeded()) {
        int status = ctx.response().getStatusCode();
        // a 429 did no work worth timing; a closed connection says nothing of the server
        if (status != 429) {
          long now = admission.nanoTime();
          record(now, now - startNanos, inFlightAtStart, status == 503 || status == 504);
        }
      }
      if (!waiters.isEmpty()) {
        drain();
      }
    }
  }

  /**
   * A request waiting for a slot, with the context its handlers must continue on, the time (of the
   * admission clock) at which it stops waiting, whether that is its deadline rather than the
   * queue's longest wait, whether it is held (not counted against the queue's bound), and the valve
   * of its HTTP/2 connection, closed while it waits ({@code null} for any other request).
   */
  private record Waiter(
      RoutingContext ctx,
      Context context,
      Criticality criticality,
      long giveUpAt,
      boolean atDeadline,
      boolean held,
      StreamValve valve,
      Ticket ticket) {}

  /** Whether the request holds a slot it has not given back yet. */
  static boolean holdsSlot(RoutingContext ctx) {
    return ctx.get(TICKET) instanceof Ticket ticket && !ticket.released;
  }

  /**
   * The class of the route {@code ctx} was admitted or refused on; {@link Criticality#HIGH}, the
   * most lenient, for a request that met no admission handler.
   */
  static Criticality classOf(RoutingContext ctx) {
    if (ctx.get(TICKET) instanceof Ticket ticket) {
      return ticket.criticality;
    }
    return ctx.get(REFUSED) instanceof Criticality refused ? refused : Criticality.HIGH;
  }

  private void start(RoutingContext ctx, Criticality criticality, int inFlight) {
    Ticket ticket = new Ticket(ctx, criticality);
    ticket.admit(admission.nanoTime(), inFlight);
    ctx.put(TICKET, ticket);
    ctx.addEndHandler(ticket);
  }

  /**
   * Queues a request until a slot frees, and never past its deadline: a held HTTP/1.x request for
   * the longest pause; any other for the burst wait while the queue has been empty within the
   * standing time, else the short wait.
   */
  private void enqueue(
      RoutingContext ctx,
      Criticality criticality,
      Deadline deadline,
      boolean held,
      StreamValve valve) {
    // the body (if any) must wait for its handler, which runs once the request is admitted
    ctx.request().pause();
    long now = admission.nanoTime();
    long wait;
    if (held) {
      // an in-process request (a gRPC call, a GraphQL mutation) has no connection of its own to
      // pause, and holding it blocks no other request of its caller: it waits its deadline out, as
      // the excess of a paused HTTP/1.x client waits in its socket (the bound below is for probes
      // behind a paused keep-alive connection, which an in-process request has none of)
      wait =
          InProcess.isInProcess(ctx.request()) && !deadline.unbounded()
              ? Long.MAX_VALUE
              : holdNanos;
    } else {
      if (queued++ == 0) {
        nonEmptySince = now;
      }
      wait = now - nonEmptySince < standingNanos ? burstWaitNanos : maxWaitNanos;
    }
    // one reading of the clock for both bounds: which one ends the wait is decided here, once,
    // not guessed later from a second reading (which named the wrong reason when the two were
    // close, or the loop was late)
    long left = deadline.remainingNanos(now);
    boolean atDeadline = left <= wait;
    long giveUpAt = now + (atDeadline ? left : wait);
    Ticket ticket = new Ticket(ctx, criticality);
    ctx.addEndHandler(ticket);
    if (waiters.isEmpty() || giveUpAt - earliestGiveUp < 0) {
      earliestGiveUp = giveUpAt;
    }
    waiters.addLast(
        new Waiter(
            ctx, Vertx.currentContext(), criticality, giveUpAt, atDeadline, held, valve, ticket));
    admission.queuedDelta(1);
    if (valve != null) {
      valve.hold();
    }
    pollQueue(now);
  }

  /**
   * Admits waiters in order while their class has room, and drops every waiter whose time is up or
   * whose client has gone, wherever it stands in the queue: waits differ (a burst's are longer), so
   * a short one may end behind a longer one.
   */
  private void drain() {
    long now = admission.nanoTime();
    Iterator<Waiter> queue = waiters.iterator();
    // in order within a class: once one finds no slot, those of its class (or a stricter one)
    // behind it only wait or give up; a more lenient class behind it may still find room
    int full = Integer.MIN_VALUE; // the highest threshold found without room
    int limit = admission.limit();
    boolean first = true; // the earliest give-up of the waiters left, found on the way
    while (queue.hasNext()) {
      Waiter w = queue.next();
      HttpServerResponse response = w.ctx().response();
      if (w.ticket().released || response.ended() || response.closed()) {
        queue.remove();
        dequeued(w);
        continue;
      }
      if (now - w.giveUpAt() >= 0) {
        queue.remove();
        dequeued(w);
        Admission.Reason reason =
            w.atDeadline() ? Admission.Reason.DEADLINE : Admission.Reason.LIMIT;
        if (w.valve() != null) {
          w.context().runOnContext(v -> refuseStream(w.ctx(), w.criticality(), reason));
        } else {
          w.context().runOnContext(v -> refuse(w.ctx(), w.criticality(), reason, true));
        }
        continue;
      }
      int threshold = w.criticality().threshold(limit);
      int inFlight = threshold > full ? admission.tryAcquire(w.criticality()) : 0;
      if (inFlight == 0) {
        full = Math.max(full, threshold);
        if (first || w.giveUpAt() - earliestGiveUp < 0) {
          earliestGiveUp = w.giveUpAt();
          first = false;
        }
        continue;
      }
      queue.remove();
      dequeued(w);
      w.context().runOnContext(v -> resume(w, inFlight));
    }
    if (queued == 0) {
      nonEmptySince = -1;
    }
    pollQueue(now);
  }

  /**
   * Checks the queue while it has waiters: polled every millisecond while some wait the queue's
   * short waits; while all are held, one timer for when the earliest hold runs out (at least {@link
   * #HELD_DRAIN_EVERY_MS} away, so that holds running out close together end in one check), since a
   * freed slot drains the queue by itself.
   */
  private void pollQueue(long now) {
    boolean polling = !waiters.isEmpty() && queued > 0;
    if (polling != (drainTimer >= 0)) {
      if (polling) {
        drainTimer = vertx.setPeriodic(DRAIN_EVERY_MS, id -> drain());
      } else {
        vertx.cancelTimer(drainTimer);
        drainTimer = -1;
      }
    }
    if (waiters.isEmpty() || polling) {
      cancelHeldTimer();
      return;
    }
    // not sooner than the least gap, and at most HELD_CHECK_MAX_MS away (the admission clock may be
    // a test's, moved at will, so the earliest give-up is rechecked now and then)
    long wait =
        Math.min(
            Math.max(earliestGiveUp - now, HELD_DRAIN_EVERY_MS * 1_000_000L),
            HELD_CHECK_MAX_MS * 1_000_000L);
    long at = now + wait;
    if (heldTimer >= 0) {
      if (heldTimerAt - at <= 0) {
        return; // it fires no later than needed
      }
      cancelHeldTimer();
    }
    heldTimerAt = at;
    heldTimer =
        vertx.setTimer(
            Math.max(1, (wait + 999_999) / 1_000_000),
            id -> {
              heldTimer = -1;
              drain();
            });
  }

  private void cancelHeldTimer() {
    if (heldTimer >= 0) {
      vertx.cancelTimer(heldTimer);
      heldTimer = -1;
    }
  }

  /** A slot freed somewhere in the process: waiters here may have one now. */
  private void drainIfWaiting() {
    if (!waiters.isEmpty()) {
      drain();
    }
  }

  /** A waiter has left the queue. */
  private void dequeued(Waiter w) {
    admission.queuedDelta(-1);
    if (!w.held()) {
      queued--;
    }
    if (w.valve() != null) {
      w.valve().release();
    }
  }

  /** Continues a request that waited and now holds a slot. */
  private void resume(Waiter w, int inFlight) {
    RoutingContext ctx = w.ctx();
    HttpServerResponse response = ctx.response();
    if (w.ticket().released || response.ended() || response.closed()) {
      admission.release();
      return;
    }
    w.ticket().admit(admission.nanoTime(), inFlight);
    ctx.put(TICKET, w.ticket());
    ctx.next();
  }

  private void refuse(RoutingContext ctx, Criticality criticality, Admission.Reason reason) {
    refuse(ctx, criticality, reason, false);
  }

  private void refuse(
      RoutingContext ctx, Criticality criticality, Admission.Reason reason, boolean waited) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten() || response.closed()) {
      // answered meanwhile (a waiter's refusal runs as a task of its loop, and the request
      // timeout's 503 may come first on a loop held up), or its client has gone
      return;
    }
    admission.shed(criticality, reason);
    ctx.put(REFUSED, criticality); // its connection is paused until its class has room
    var trace = Tracing.currentOrNull();
    if (trace != null) {
      trace.markShed();
    }
    ctx.request().resume(); // a waiter was paused; its body, if any, is read and discarded
    ctx.response().putHeader(RETRY_AFTER, ONE_SECOND);
    // answered here rather than through ctx.fail: a refusal must be cheap, and the router's
    // failure routing would look up failure handlers for every shed request
    Problems.send(ctx, waited || reason == Admission.Reason.DEADLINE ? EXPIRED : OVERLOADED);
  }

  /**
   * Refuses a held HTTP/2 stream whose wait ran out: {@code RST_STREAM REFUSED_STREAM} (not
   * processed, safe to retry; no headers, no body), and its connection told to open fewer streams
   * ({@link Backpressure#refuseStream}); past the connection's budget of resets, the 503 any
   * request gets.
   */
  private void refuseStream(RoutingContext ctx, Criticality criticality, Admission.Reason reason) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten() || response.closed()) {
      return;
    }
    if (!backpressure.refuseStream(ctx.request().connection())) {
      refuse(ctx, criticality, reason, true);
      return;
    }
    admission.shed(criticality, reason);
    ctx.put(REFUSED, criticality);
    var trace = Tracing.currentOrNull();
    if (trace != null) {
      trace.markShed();
    }
    response.reset(REFUSED_STREAM);
  }

  /** Adds one latency to the window; a full window goes to the limit algorithm. */
  private void record(long now, long rttNanos, int inFlight, boolean drop) {
    rttSum += rttNanos;
    samples++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    dropped |= drop;
    if (now - windowStart >= WINDOW_NANOS) {
      if (samples >= MIN_SAMPLES) {
        admission.sample(windowStart, rttSum / samples, peakInFlight, dropped);
      }
      windowStart = now;
      rttSum = 0;
      samples = 0;
      peakInFlight = 0;
      dropped = false;
    }
  }
}
