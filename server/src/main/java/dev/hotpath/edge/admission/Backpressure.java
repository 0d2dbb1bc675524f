package dev.hotpath.edge.admission;

import dev.hotpath.config.BackpressureSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Back-pressure below HTTP for one event loop's connections: while admission is saturated (every
 * slot taken, so no request of any class could be admitted), excess load is left unread in the
 * clients' sockets rather than parsed and refused, as HAProxy's {@code maxconn} and Netty's
 * auto-read do.
 *
 * <p><b>HTTP/1.x.</b> A connection whose response ends while admission is saturated stops being
 * read (Vert.x's connection pause: no socket read is issued, so the next request stays in the
 * kernel's buffers and TCP's window pushes back on the client). Paused connections are resumed in
 * the order they were paused, one for each slot free, as slots free anywhere in the process; and
 * any one paused for {@link BackpressureSettings#pauseMax} is resumed even if none is, so that a
 * health probe on a paused keep-alive connection is answered within that bound. A request read
 * before the pause took effect gets the criticality-ordered admission every request gets.
 *
 * <p><b>HTTP/2.</b> A connection one of whose streams was refused ({@code RST_STREAM
 * REFUSED_STREAM}, which tells the client the request was not processed and may be retried) has its
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} lowered to {@link BackpressureSettings#saturatedStreams}
 * until admission has room again, so that a client that honours the setting stops opening streams,
 * and the HTTP/2 codec refuses those past the bound before any request object exists.
 *
 * <p>Checked every millisecond while a connection is paused or lowered; nothing runs otherwise.
 * Confined to its event loop.
 */
public final class Backpressure {
  private static final long TICK_MS = 1;

  private final Admission admission;
  private final Vertx vertx;
  private final BackpressureSettings settings;
  private final long pauseMaxNanos;
  private final Http2Settings normal;
  private final Http2Settings lowered;
  private final int resetBudget;
  private final long resetWindowNanos;
  private final ArrayDeque<Paused> paused = new ArrayDeque<>();
  private final Map<HttpConnection, Streams> h2 = new IdentityHashMap<>();
  private int lowerings;
  private long timer = -1;

  /** An HTTP/2 connection's resets sent for load in the current window, and its lowered limit. */
  private static final class Streams {
    long windowStart;
    int resets;
    boolean lowered;
  }

  /** A paused connection, since when, and what to do when it is read again. */
  private record Paused(VertxConnection connection, long sinceNanos, Runnable onResume) {}

  /**
   * @param server the options of the event loop's server: the HTTP/2 settings it starts its
   *     connections with (restored once admission has room; the lowered ones differ only in their
   *     concurrent streams) and its bound on resets sent
   */
  Backpressure(
      Admission admission, Vertx vertx, BackpressureSettings settings, HttpServerOptions server) {
    this.admission = admission;
    this.vertx = vertx;
    this.settings = settings;
    this.pauseMaxNanos = settings.pauseMax().toNanos();
    Http2Settings initial = server.getInitialSettings();
    this.normal = new Http2Settings(initial);
    this.lowered = new Http2Settings(initial).setMaxConcurrentStreams(settings.saturatedStreams());
    this.resetBudget = server.getHttp2RstFloodMaxRstFramePerWindow() / 2;
    this.resetWindowNanos =
        server
            .getHttp2RstFloodWindowDurationTimeUnit()
            .toNanos(server.getHttp2RstFloodWindowDuration());
  }

  /** Whether saturation refuses HTTP/2 streams (rather than answering them 503). */
  boolean refusesStreams() {
    return settings.enabled() && admission.enabled();
  }

  /** Requests of the most lenient class that could be admitted now; 0 or less when saturated. */
  private int room() {
    return admission.limit() - admission.inFlight();
  }

  /**
   * Pauses an HTTP/1.x connection whose response has just ended if admission is saturated, not
   * counting the slot that response is about to give back.
   *
   * @param ctx the request that ended, or {@code null} for one answered before routing (it held no
   *     slot)
   * @param onResume run when the connection is read again
   * @return whether the connection was paused
   */
  public boolean pauseIfSaturated(
      HttpConnection connection, RoutingContext ctx, Runnable onResume) {
    if (!settings.enabled() || !admission.enabled()) {
      return false;
    }
    int room = room() + (ctx != null && AdmissionGate.holdsSlot(ctx) ? 1 : 0);
    if (room > 0 || !(connection instanceof VertxConnection vc)) {
      return false;
    }
    vc.doPause();
    paused.addLast(new Paused(vc, System.nanoTime(), onResume));
    admission.pausedDelta(1);
    arm();
    return true;
  }

  /**
   * A stream of the HTTP/2 {@code connection} is refused for load: lowers the connection's
   * concurrent streams (once until there is room again).
   *
   * @return whether the refusal may be a {@code RST_STREAM} (the connection's reset budget lasts);
   *     otherwise it must be answered
   */
  boolean refuseStream(HttpConnection connection) {
    Streams streams = h2.get(connection);
    if (streams == null) {
      streams = new Streams();
      h2.put(connection, streams);
    }
    if (!streams.lowered) {
      streams.lowered = true;
      lowerings++;
      connection.updateSettings(lowered);
      arm();
    }
    long now = System.nanoTime();
    if (streams.resets == 0 || now - streams.windowStart >= resetWindowNanos) {
      streams.windowStart = now;
      streams.resets = 0;
    }
    return ++streams.resets <= resetBudget;
  }

  /** {@code connection} closed: whatever is kept about it goes. */
  public void closed(HttpConnection connection) {
    Streams streams = h2.remove(connection);
    if (streams != null && streams.lowered) {
      lowerings--;
    }
  }

  /** HTTP/1.x connections paused now on this event loop. */
  int pausedConnections() {
    return paused.size();
  }

  private void arm() {
    if (timer < 0) {
      timer = vertx.setPeriodic(TICK_MS, id -> tick());
    }
  }

  /**
   * Resumes paused connections in order, one per free slot, and any paused for the longest pause;
   * restores lowered HTTP/2 connections once there is room.
   */
  void tick() {
    long now = System.nanoTime();
    int room = room();
    while (!paused.isEmpty()) {
      Paused p = paused.peekFirst();
      if (room <= 0 && now - p.sinceNanos() < pauseMaxNanos) {
        break; // the ones behind were paused later
      }
      paused.pollFirst();
      room--;
      admission.pausedDelta(-1);
      p.onResume().run();
      p.connection().doResume();
    }
    if (lowerings > 0 && room() > 0) {
      for (Map.Entry<HttpConnection, Streams> e : h2.entrySet()) {
        if (e.getValue().lowered) {
          e.getValue().lowered = false;
          e.getKey().updateSettings(normal);
        }
      }
      lowerings = 0;
    }
    if (paused.isEmpty() && lowerings == 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Resumes every paused connection and stops checking (the event loop's server is stopping). */
  public void close() {
    while (!paused.isEmpty()) {
      Paused p = paused.pollFirst();
      admission.pausedDelta(-1);
      p.connection().doResume();
    }
    h2.clear();
    lowerings = 0;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
