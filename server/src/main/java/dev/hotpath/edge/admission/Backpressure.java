package dev.hotpath.edge.admission;

import dev.hotpath.config.BackpressureSettings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Back-pressure below HTTP for one event loop's connections: while admission is saturated (every
 * slot taken, so no request of any class could be admitted), excess load is left unread in the
 * clients' sockets rather than parsed and refused, as HAProxy's {@code maxconn} and Netty's
 * auto-read do.
 *
 * <p><b>HTTP/1.x.</b> A connection whose response ends while admission is saturated for that
 * request's class (no request of its {@link Criticality} could be admitted now), or whose request
 * was just refused, stops being read (its {@link Valve} turns Netty's auto-read off: no socket read
 * is issued, so the next request stays in the kernel's buffers and TCP's window pushes back on the
 * client). The class is the one of the request that ended, a guess at the next one on the same
 * connection (clients keep to one kind of call per connection, and a wrong guess only costs one
 * refusal): without it, a client listing over 64 connections was refused whenever lists had no room
 * but single reads did, and came straight back, 44,000 refusals for 8,000 answers in 6 s (wrk, the
 * customer-orders page uncached, 2026-12-06). A paused connection costs nothing: no timer or check
 * runs for it. When a slot frees anywhere in the process ({@link Admission#release}), the event
 * loop holding the connection paused longest is told, and resumes its paused connections in the
 * order they were paused, one for each slot free to its class (a connection whose class has no room
 * yet stays paused while those behind it whose class has room go on). Any connection paused for
 * {@link BackpressureSettings#pauseMax} is resumed even if no slot is, so that a health probe on a
 * paused keep-alive connection is answered within that bound. A request read before the pause took
 * effect gets the criticality-ordered admission every request gets.
 *
 * <p><b>HTTP/2.</b> A stream that finds no slot for its class is held like an HTTP/1.x request
 * ({@link AdmissionGate}: until a slot for its class frees, for at most {@link
 * BackpressureSettings#pauseMax} or until its deadline), and while any stream of its connection is
 * held, the connection is not read ({@link StreamValve}): the client's other new streams stay in
 * its socket, as the next request of a paused HTTP/1.x connection does, and a closed loop of more
 * streams than there are slots waits for its answers instead of being refused and coming straight
 * back. A connection one of whose streams is held has its {@code SETTINGS_MAX_CONCURRENT_STREAMS}
 * lowered to its share of that stream's class's slots ({@link #streamHeld}), one whose held stream
 * was refused to {@link BackpressureSettings#saturatedStreams}, so that a client that honours the
 * setting (nghttp2 applies it on receipt; the server's codec enforces it once acknowledged) opens
 * no more streams than that rather than sending more to be held. While admission has room (checked
 * by the safety timer below, and at once when a freed slot leaves half of the slots free: {@link
 * Admission#roomToRaise}), the lowered connections' streams are doubled, step by step, at most once
 * per {@link #RESTORE_AFTER_NANOS} after the last change, and only as far as the slots free to the
 * class of each one's last held stream, until they are back at the server's initial setting. Only a
 * stream whose hold runs out is refused: {@code RST_STREAM REFUSED_STREAM}, which tells the client
 * the request was not processed and may be retried. A connection's resets for load are bounded
 * ({@link #refuseStream}); past that, a stream whose hold ran out gets the 503 any request gets.
 *
 * <p>A safety timer, every {@link #SAFETY_MS} ms and only while a connection is paused or lowered,
 * ends the pauses that reached their longest and catches a slot whose release resumed a connection
 * that had nothing to send. Confined to its event loop, except {@link #wake} and the two volatile
 * fields other loops read.
 */
public final class Backpressure {
  static final long SAFETY_MS = 25;
  static final long RESTORE_AFTER_NANOS = 5_000_000L;

  private final Admission admission;
  private final Vertx vertx;
  private final Context context;
  private final BackpressureSettings settings;
  private final long pauseMaxNanos;
  private final Http2Settings normal;
  private final long normalStreams;
  private final long loweredStreams;
  private final int resetBudget;
  private final long resetWindowNanos;
  private final ArrayDeque<Paused> paused = new ArrayDeque<>();
  private final Map<HttpConnection, Streams> h2 = new IdentityHashMap<>();
  private final AtomicBoolean woken = new AtomicBoolean();
  private final AtomicBoolean gateWoken = new AtomicBoolean();

  /** This loop's admission queue, drained when a slot frees anywhere. */
  private Runnable gate;

  private int lowerings;
  private long lastLowering;

  /** Admission had room while connections were lowered too recently to restore them. */
  private boolean restorePending;

  private long timer = -1;

  /** When the connection paused longest here was paused; {@code Long.MAX_VALUE} when none is. */
  private volatile long oldestPaused = Long.MAX_VALUE;

  /** Whether a connection of this loop has its concurrent streams lowered. */
  private volatile boolean anyLowered;

  /**
   * An HTTP/2 connection's valve (while back-pressure is on), its resets sent for load in the
   * current window, and its lowered limit.
   */
  private static final class Streams {
    StreamValve valve;
    long windowStart;
    int resets;
    boolean lowered;

    /** The concurrent streams last advertised to it while lowered. */
    long streams;

    /** The class of its last stream held or refused: what its streams are raised for. */
    Criticality criticality = Criticality.HIGH;
  }

  /**
   * A paused connection, the class of its last request, since when, and what to do when it is read
   * again.
   */
  private record Paused(Valve valve, Criticality criticality, long sinceNanos, Runnable onResume) {}

  /** The connections one check resumes (reused: checks run on this loop only). */
  private final java.util.ArrayList<Paused> resuming = new java.util.ArrayList<>();

  /**
   * Call on the event loop whose connections it will hold.
   *
   * @param server the options of the event loop's server: the HTTP/2 settings it starts its
   *     connections with (restored once admission has room; the lowered ones differ only in their
   *     concurrent streams) and its bound on resets sent
   */
  Backpressure(
      Admission admission, Vertx vertx, BackpressureSettings settings, HttpServerOptions server) {
    this.admission = admission;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.settings = settings;
    this.pauseMaxNanos = settings.pauseMax().toNanos();
    Http2Settings initial = server.getInitialSettings();
    this.normal = new Http2Settings(initial);
    this.normalStreams = initial.getMaxConcurrentStreams();
    this.loweredStreams = Math.min(settings.saturatedStreams(), normalStreams);
    this.resetBudget = server.getHttp2RstFloodMaxRstFramePerWindow() / 2;
    this.resetWindowNanos =
        server
            .getHttp2RstFloodWindowDurationTimeUnit()
            .toNanos(server.getHttp2RstFloodWindowDuration());
    admission.register(this);
  }

  /**
   * Whether a request that finds no slot (HTTP/1.x, or HTTP/2 on a connection with a {@link
   * StreamValve}) is held until one frees, for at most {@link #pauseMaxNanos}, rather than refused
   * at once (see {@link AdmissionGate}).
   */
  boolean holdsRequests() {
    return settings.enabled() && admission.enabled();
  }

  /** The longest a connection stays paused, or a request is held, in nanoseconds. */
  long pauseMaxNanos() {
    return pauseMaxNanos;
  }

  /** Whether saturation refuses HTTP/2 streams (rather than answering them 503). */
  boolean refusesStreams() {
    return settings.enabled() && admission.enabled();
  }

  /** A new HTTP/2 connection of this loop, with its valve. */
  void opened(HttpConnection connection, StreamValve valve) {
    streams(connection).valve = valve;
    admission.h2ConnectionsDelta(1);
  }

  /**
   * The valve of an HTTP/2 connection of this loop, which stops reading it while one of its streams
   * is held for a slot; {@code null} when it has none (back-pressure is off, or it is no HTTP/2
   * connection of this loop's server).
   */
  StreamValve streamValve(HttpConnection connection) {
    Streams streams = h2.get(connection);
    return streams == null ? null : streams.valve;
  }

  private Streams streams(HttpConnection connection) {
    Streams streams = h2.get(connection);
    if (streams == null) {
      streams = new Streams();
      h2.put(connection, streams);
    }
    return streams;
  }

  /**
   * Pauses an HTTP/1.x connection whose response has just ended, or whose request was just refused,
   * if admission is saturated for that request's class, not counting the slot that response is
   * about to give back.
   *
   * @param ctx the request that ended, or {@code null} for one answered before routing (it held no
   *     slot, and no class could have been admitted)
   * @param onResume run when the connection is read again
   * @return whether the connection was paused
   */
  public boolean pauseIfSaturated(Valve valve, RoutingContext ctx, Runnable onResume) {
    // a connection that closed with its request in flight ends that request as it goes: there is
    // nothing left to pause (and Netty throws when a deregistered channel's reads are turned off)
    if (!settings.enabled() || !admission.enabled() || valve.paused() || !valve.open()) {
      return false;
    }
    Criticality criticality = ctx == null ? Criticality.HIGH : AdmissionGate.classOf(ctx);
    int room =
        criticality.threshold(admission.limit())
            - admission.inFlight()
            + (ctx != null && AdmissionGate.holdsSlot(ctx) ? 1 : 0);
    if (room > 0) {
      return false;
    }
    valve.pause();
    long now = System.nanoTime();
    if (paused.isEmpty()) {
      oldestPaused = now;
    }
    paused.addLast(new Paused(valve, criticality, now, onResume));
    admission.pausedDelta(1);
    arm();
    return true;
  }

  /**
   * A stream of the HTTP/2 {@code connection} is refused for load (its hold ran out, or it was
   * refused before routing on a connection without a valve): lowers the connection's concurrent
   * streams (once until there is room again).
   *
   * @return whether the refusal may be a {@code RST_STREAM} (the connection's reset budget lasts);
   *     otherwise it must be answered
   */
  boolean refuseStream(HttpConnection connection) {
    Streams streams = streams(connection);
    long now = System.nanoTime();
    lower(connection, streams, now, loweredStreams);
    // the budget's window runs on the admission clock, as the holds whose refusals it counts do
    // (a test moves both; on the system clock, a slow machine's test outlived the window)
    long at = admission.nanoTime();
    if (streams.resets == 0 || at - streams.windowStart >= resetWindowNanos) {
      streams.windowStart = at;
      streams.resets = 0;
    }
    return ++streams.resets <= resetBudget;
  }

  /**
   * A stream of the HTTP/2 {@code connection} is held for a slot: lowers the connection's
   * concurrent streams to its share of its class's slots among the process's HTTP/2 connections
   * ({@link Admission#streamShare}, at least {@link BackpressureSettings#saturatedStreams}), so
   * that the client, once it has the new setting, opens no more streams than the server can admit
   * rather than sending more to be held. Its share, not one stream: a hold that ends within its
   * bound says the connection's streams are being served, and lowered to one stream, 32 open-model
   * h2load connections had 32 streams in flight against a limit of 100 and a capacity measured at
   * 128 in flight (the 3x spike, pinned: goodput half of capacity). A stream whose hold runs out
   * lowers its connection to {@link BackpressureSettings#saturatedStreams} ({@link #refuseStream}).
   */
  void streamHeld(HttpConnection connection, Criticality criticality) {
    Streams streams = streams(connection);
    streams.criticality = criticality;
    long share = Math.max(loweredStreams, admission.streamShare(criticality));
    if (share < normalStreams) {
      lower(connection, streams, System.nanoTime(), share);
    }
  }

  /** Lowers {@code connection}'s concurrent streams to {@code target} unless they are below it. */
  private void lower(HttpConnection connection, Streams streams, long now, long target) {
    if (!streams.lowered || streams.streams > target) {
      if (!streams.lowered) {
        streams.lowered = true;
        if (lowerings++ == 0) {
          anyLowered = true;
          admission.loweredDelta(1);
        }
      }
      streams.streams = target;
      lastLowering = now;
      connection.updateSettings(advertising(target));
      arm();
    }
  }

  /** {@code connection} closed: whatever is kept about it goes. */
  public void closed(HttpConnection connection) {
    Streams streams = h2.remove(connection);
    if (streams != null && streams.valve != null) {
      admission.h2ConnectionsDelta(-1);
    }
    if (streams != null && streams.lowered && --lowerings == 0) {
      noneLowered();
    }
  }

  /** HTTP/1.x connections paused now on this event loop. */
  int pausedConnections() {
    return paused.size();
  }

  long oldestPaused() {
    return oldestPaused;
  }

  boolean anyLowered() {
    return anyLowered;
  }

  /** What drains this loop's admission queue (its {@link AdmissionGate}). */
  void onSlotFreed(Runnable drain) {
    this.gate = drain;
  }

  /** A slot freed (on any thread) while requests wait: drains this loop's queue. Coalesced. */
  void wakeGate() {
    if (gate != null && gateWoken.compareAndSet(false, true)) {
      context.runOnContext(
          v -> {
            gateWoken.set(false);
            gate.run();
          });
    }
  }

  /**
   * A slot freed (on any thread): resumes paused connections and restores lowered ones on this
   * loop, as far as there is room then. Wakes coalesce: one task at a time is queued.
   */
  void wake() {
    if (woken.compareAndSet(false, true)) {
      context.runOnContext(
          v -> {
            woken.set(false);
            check(false);
          });
    }
  }

  /**
   * Resumes paused connections in order, one per slot free to its class, and those paused for the
   * longest pause; restores lowered HTTP/2 connections once there is room; passes room left over on
   * to the next loop holding paused connections.
   */
  private void check(boolean timed) {
    long now = System.nanoTime();
    int limit = admission.limit();
    int inFlight = admission.inFlight();
    int before = paused.size();
    var queue = paused.iterator();
    while (queue.hasNext()) {
      Paused p = queue.next();
      boolean gone = !p.valve().open(); // closed while paused: it takes no room
      int taken = inFlight + resuming.size();
      if (!gone
          && p.criticality().threshold(limit) - taken <= 0
          && now - p.sinceNanos() < pauseMaxNanos) {
        if (limit - taken <= 0) {
          break; // no class has room, and the ones behind were paused later
        }
        continue; // its class has no room; one behind may have
      }
      queue.remove();
      admission.pausedDelta(-1);
      if (!gone) {
        resuming.add(p);
      }
    }
    int room = limit - inFlight - resuming.size();
    // after the walk: a resumed valve may refuse a held request and pause it again at the tail
    for (Paused p : resuming) {
      p.onResume().run();
      p.valve().resume();
    }
    resuming.clear();
    oldestPaused = paused.isEmpty() ? Long.MAX_VALUE : paused.peekFirst().sinceNanos();
    restorePending = lowerings > 0 && limit - inFlight - resuming.size() > 0;
    if (restorePending && now - lastLowering >= RESTORE_AFTER_NANOS) {
      raise(now, limit, inFlight);
    }
    if (room > 0 && paused.isEmpty() && before > 0) {
      admission.freed(); // other loops may hold connections paused as long
    }
    if (timed) {
      timer = -1;
    }
    arm();
  }

  /**
   * Raises the concurrent streams of lowered connections, doubling each, up to the server's initial
   * setting (then it is no longer lowered), as far as there are free slots for the class of each
   * one's last held stream: the streams added over all of them stay within those slots. Step by
   * step rather than at once: restored at once, 64 lowered h2load connections of 10 streams each
   * opened 640 streams together, far past the limit, and those held past the longest hold were
   * refused, several times a second.
   */
  private void raise(long now, int limit, int inFlight) {
    restorePending = false;
    lastLowering = now;
    long granted = 0;
    for (Map.Entry<HttpConnection, Streams> e : h2.entrySet()) {
      Streams streams = e.getValue();
      long room = streams.criticality.threshold(limit) - inFlight - granted;
      if (!streams.lowered || room <= 0) {
        continue;
      }
      long next = Math.min(normalStreams, Math.max(streams.streams * 2, 2));
      next = Math.min(next, streams.streams + room);
      granted += next - streams.streams;
      streams.streams = next;
      if (next >= normalStreams) {
        streams.lowered = false;
        lowerings--;
        e.getKey().updateSettings(normal);
      } else {
        e.getKey().updateSettings(advertising(next));
      }
    }
    if (lowerings == 0) {
      noneLowered();
    }
  }

  /** The server's initial settings but for its concurrent streams. */
  private Http2Settings advertising(long streams) {
    return new Http2Settings(normal).setMaxConcurrentStreams(streams);
  }

  private void noneLowered() {
    anyLowered = false;
    admission.loweredDelta(-1);
  }

  /** The safety timer, while anything is paused or lowered. */
  private void arm() {
    if (paused.isEmpty() && lowerings == 0) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
      return;
    }
    if (timer < 0) {
      long delay = SAFETY_MS;
      long now = System.nanoTime();
      if (!paused.isEmpty()) {
        delay = Math.min(delay, until(paused.peekFirst().sinceNanos() + pauseMaxNanos, now));
      }
      if (restorePending) {
        delay = Math.min(delay, until(lastLowering + RESTORE_AFTER_NANOS, now));
      }
      timer = vertx.setTimer(delay, id -> check(true));
    }
  }

  /** Milliseconds from {@code now} until {@code at}, rounded up, at least 1. */
  private static long until(long at, long now) {
    return Math.max(1, (at - now) / 1_000_000 + 1);
  }

  /** Resumes every paused connection and stops checking (the event loop's server is stopping). */
  public void close() {
    while (!paused.isEmpty()) {
      Paused p = paused.pollFirst();
      admission.pausedDelta(-1);
      p.valve().resume();
    }
    oldestPaused = Long.MAX_VALUE;
    for (Streams streams : h2.values()) {
      if (streams.valve != null) {
        admission.h2ConnectionsDelta(-1);
      }
    }
    h2.clear();
    if (lowerings > 0) {
      lowerings = 0;
      noneLowered();
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    admission.unregister(this);
  }
}
