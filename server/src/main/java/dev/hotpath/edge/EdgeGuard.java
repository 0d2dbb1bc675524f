package dev.hotpath.edge;

import dev.hotpath.config.LimitSettings;
import dev.hotpath.edge.admission.Backpressure;
import dev.hotpath.edge.admission.Gatekeeper;
import dev.hotpath.edge.admission.Valve;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.SecurityHeaders;
import io.netty.util.AsciiString;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Limits that hold before any route runs, for one event loop's HTTP server.
 *
 * <p><b>Connections.</b> At most {@code maxConnections} open at once in the process, counted and
 * kept where they are accepted ({@link ConnectionBound}: further ones never reach an event loop). A
 * connection must deliver a complete request head within {@code headerTimeout} of opening, and,
 * once idle after a response, the next head within {@code idleTimeout}: a client that trickles
 * bytes to hold a connection is cut off whatever its pace.
 *
 * <p><b>Requests.</b> Security headers on every response; the header count and, for HTTP/2 (which
 * has no request line for the decoder to bound), the URI length checked (431, 414); and a request
 * timeout: 408 and the connection closed when the client has not sent its body by then, 503 when
 * the server has not answered.
 *
 * <p><b>How the deadlines are kept.</b> Not with a timer per request: arming and cancelling a
 * Vert.x timer for the request timeout, plus re-arming each connection's idle timer, were four
 * timer operations per keep-alive request (a map entry and a scheduled task each). Instead every
 * request joins a list ordered by deadline (all requests have the same timeout, so arrival order is
 * deadline order) and leaves it when it ends; each connection records when it must next deliver a
 * head; one periodic sweep per event loop ({@link #sweepMillis}: a tenth of the shortest timeout,
 * between 10 and 250 ms) expires what is due. Deadlines are kept to within one sweep.
 *
 * <p>Confined to its event loop, except the shared connection count.
 */
public final class EdgeGuard {
  private final Vertx vertx;
  private final LimitSettings limits;
  private final boolean tls;
  private final AtomicInteger open;
  private final Gatekeeper.Gates gates;
  private final Backpressure backpressure;
  private final Map<HttpConnection, Conn> connections = new IdentityHashMap<>();
  private final long requestTimeoutNanos;
  private final long idleNanos;
  private final long sweeper;

  /** Draining: every HTTP/1.x response closes its connection ({@link #drain}). */
  private boolean closing;

  private long drainGraceMillis;

  /**
   * Order and first-page reads (cached or loaded) answered below Vert.x, when set ({@link
   * #prepare}).
   */
  private PreparedReads prepared;

  /** Requests in flight, oldest (first to time out) first. */
  private Flight head;

  private Flight tail;

  /**
   * @param open the process-wide count of open connections, kept by {@link ConnectionBound}
   * @param gates this loop's admission: each HTTP/1.x connection gets its {@link Valve}, which
   *     refuses requests below Vert.x while admission is full, and which its back-pressure pauses
   *     while admission is saturated
   */
  public EdgeGuard(
      Vertx vertx, LimitSettings limits, boolean tls, AtomicInteger open, Gatekeeper.Gates gates) {
    this.vertx = vertx;
    this.gates = gates;
    this.backpressure = gates.backpressure();
    this.limits = limits;
    this.tls = tls;
    this.open = open;
    this.requestTimeoutNanos = limits.requestTimeout().toNanos();
    this.idleNanos = limits.idleTimeout().toNanos();
    this.sweeper = vertx.setPeriodic(sweepMillis(limits), id -> sweep(System.nanoTime()));
  }

  /** How often deadlines are checked: a tenth of the shortest timeout, within 10..250 ms. */
  static long sweepMillis(LimitSettings limits) {
    long shortest =
        Math.min(
            limits.requestTimeout().toMillis(),
            Math.min(limits.headerTimeout().toMillis(), limits.idleTimeout().toMillis()));
    return Math.max(10, Math.min(250, shortest / 10));
  }

  /**
   * From now on each new HTTP/1.1 connection (in cleartext) answers order and first-page reads
   * below Vert.x ({@link PreparedRead}) with {@code reads}. Call before the server listens.
   */
  public void prepare(PreparedReads reads) {
    this.prepared = reads;
  }

  /** Stops the sweep and reads every paused connection again (the verticle is stopping). */
  public void close() {
    vertx.cancelTimer(sweeper);
    backpressure.close();
  }

  /** Per-connection state. */
  private final class Conn {
    final HttpConnection connection;

    /** HTTP/1.x, with admission on: refuses while full, paused while saturated. */
    Valve valve;

    int inFlight;
    boolean http2;

    /** When the connection must have delivered its next request head, while none is in flight. */
    long deadlineNanos;

    Conn(HttpConnection connection, long deadlineNanos) {
      this.connection = connection;
      this.deadlineNanos = deadlineNanos;
    }

    /** Read again after a pause: the idle time starts now. */
    void resumed() {
      if (inFlight == 0) {
        deadlineNanos = System.nanoTime() + idleNanos;
      }
    }
  }

  /**
   * A request in flight, linked in deadline order (unless it has no deadline), and its end handler:
   * unlinks it and counts it off its connection.
   */
  private final class Flight implements Handler<AsyncResult<Void>> {
    final RoutingContext ctx;
    final @org.jspecify.annotations.Nullable Conn conn;
    final long deadlineNanos;
    Flight prev;
    Flight next;
    boolean linked = true;

    Flight(RoutingContext ctx, @org.jspecify.annotations.Nullable Conn conn, long deadlineNanos) {
      this.ctx = ctx;
      this.conn = conn;
      this.deadlineNanos = deadlineNanos;
    }

    @Override
    public void handle(AsyncResult<Void> done) {
      unlink(this);
      if (conn != null && --conn.inFlight == 0) {
        conn.deadlineNanos = System.nanoTime() + idleNanos;
        if (!conn.http2 && !closing) {
          pause(conn, ctx);
        }
      }
    }
  }

  private void append(Flight f) {
    f.prev = tail;
    if (tail == null) {
      head = f;
    } else {
      tail.next = f;
    }
    tail = f;
  }

  private void unlink(Flight f) {
    if (!f.linked) {
      return;
    }
    f.linked = false;
    if (f.prev == null) {
      head = f.next;
    } else {
      f.prev.next = f.next;
    }
    if (f.next == null) {
      tail = f.prev;
    } else {
      f.next.prev = f.prev;
    }
    f.prev = null;
    f.next = null;
  }

  /** Expires the requests and idle connections whose deadline has passed. */
  void sweep(long now) {
    while (head != null && now - head.deadlineNanos >= 0) {
      Flight due = head;
      unlink(due);
      timedOut(due.ctx);
    }
    if (connections.isEmpty()) {
      return;
    }
    java.util.List<HttpConnection> expired = null;
    for (Conn conn : connections.values()) {
      if (conn.inFlight == 0 && now - conn.deadlineNanos >= 0) {
        conn.deadlineNanos = Long.MAX_VALUE; // closed once
        if (expired == null) {
          expired = new java.util.ArrayList<>();
        }
        expired.add(conn.connection);
      }
    }
    if (expired != null) {
      expired.forEach(HttpConnection::close);
    }
  }

  /** The server's connection handler. */
  public void connected(HttpConnection connection) {
    Conn conn = new Conn(connection, System.nanoTime() + limits.headerTimeout().toNanos());
    connections.put(connection, conn);
    conn.valve = gates.valve(connection, () -> refusedBelowVertx(conn)).orElse(null);
    // after the valve: a body the decoder cannot frame gets a 400 problem, not a closed socket
    if (connection instanceof io.vertx.core.net.impl.ConnectionBase base) {
      var pipeline = base.channelHandlerContext().pipeline();
      BodyFraming framing = BodyFraming.install(pipeline, tls);
      // last before Vert.x: an order or a first page is answered there, below Vert.x's server
      if (prepared != null && !tls) {
        PreparedRead.install(
            pipeline,
            prepared,
            connection,
            conn.valve,
            framing,
            () -> refusedBelowVertx(conn),
            // a miss being loaded below Vert.x: the connection is not idle (its statement's
            // deadline bounds the wait); answered, its idle time starts again
            () -> conn.deadlineNanos = Long.MAX_VALUE,
            () -> closing);
      }
    }
    connection.closeHandler(
        v -> {
          connections.remove(connection);
          backpressure.closed(connection);
        });
  }

  /**
   * Stops reading an HTTP/1.x connection idle after a response while admission is saturated (see
   * {@link Backpressure}); its idle time starts again when it is read again.
   */
  private void pause(Conn conn, RoutingContext ctx) {
    if (conn.valve != null && backpressure.pauseIfSaturated(conn.valve, ctx, conn::resumed)) {
      conn.deadlineNanos = Long.MAX_VALUE;
    }
  }

  /**
   * Its valve answered a request of {@code conn} (refused for load) that never reached the router:
   * the connection delivered a head, so it has its idle time again, and it is paused.
   */
  private void refusedBelowVertx(Conn conn) {
    if (conn.inFlight == 0) {
      conn.deadlineNanos = System.nanoTime() + idleNanos;
      if (!closing) {
        pause(conn, null);
      }
    }
  }

  /**
   * A request on {@code connection} was answered before it was routed (refused for load): the
   * connection is paused like one whose response ended while admission is saturated.
   */
  public void answeredEarly(HttpConnection connection) {
    Conn conn = connections.get(connection);
    if (conn != null && !conn.http2 && conn.inFlight == 0 && !closing) {
      pause(conn, null);
    }
  }

  /** Connections open in the whole process. */
  public int openConnections() {
    return open.get();
  }

  /** The router's first handler. */
  public void front(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    SecurityHeaders.add(response.headers(), tls, request.version() == HttpVersion.HTTP_2);
    Conn conn = connections.get(request.connection());
    if (conn != null) {
      conn.inFlight++;
      conn.http2 = request.version() == HttpVersion.HTTP_2;
    }
    if (closing) {
      lastOnItsConnection(ctx);
    }
    // one object per request: its place in the deadline list and its end handler
    Flight flight =
        new Flight(
            ctx,
            conn,
            request.path() != null && request.path().startsWith("/admin/jfr")
                ? Long.MAX_VALUE
                : System.nanoTime() + requestTimeoutNanos);
    if (flight.deadlineNanos != Long.MAX_VALUE) {
      append(flight);
    } else {
      flight.linked = false;
    }
    ctx.addEndHandler(flight);
    int counted = countUnlessMoreThan(request.headers(), limits.maxHeaderCount());
    if (counted == TOO_MANY) {
      ctx.fail(
          new ProblemException(
              ProblemType.HEADERS_TOO_LARGE,
              "The request has more than " + limits.maxHeaderCount() + " header fields"));
      return;
    }
    int hosts = counted & 0xffff;
    if (hosts > 1 && request.version() != HttpVersion.HTTP_2) {
      // two Hosts let a proxy and this server each read the request as meant for another site
      ctx.fail(
          new ProblemException(
              ProblemType.BAD_REQUEST,
              "The request has "
                  + hosts
                  + " Host header fields; it must have exactly one (RFC 9112, 3.2)"));
      return;
    }
    int authorizations = counted >>> 16;
    if (authorizations > 1) {
      // credentials are one value: a proxy that checks the last and a server that uses the first
      // would each act for another caller
      ctx.fail(
          new ProblemException(
              ProblemType.BAD_REQUEST,
              "The request has "
                  + authorizations
                  + " Authorization header fields; send one, with one set of credentials"));
      return;
    }
    if (request.uri().length() > limits.maxUrlBytes()) {
      ctx.fail(
          new ProblemException(
              ProblemType.URI_TOO_LONG,
              "The URI is longer than " + limits.maxUrlBytes() + " characters"));
      return;
    }
    ctx.next();
  }

  private static final int TOO_MANY = -1;

  /**
   * How many {@code Host} fields {@code headers} holds (the low 16 bits) and how many {@code
   * Authorization} fields (the bits above), or {@link #TOO_MANY} when it holds more than {@code
   * max} fields, counted as they came (a repeated name counts each time) and without {@code
   * MultiMap#size}, which builds a sorted set of the names for every request. The server's request
   * headers are also Netty's {@code HttpHeaders}, whose entries are read as they are stored; the
   * {@code MultiMap} iterator wraps each one.
   */
  private static int countUnlessMoreThan(MultiMap headers, int max) {
    Iterator<? extends Map.Entry<? extends CharSequence, ?>> entries =
        headers instanceof io.netty.handler.codec.http.HttpHeaders netty
            ? netty.iteratorCharSequence()
            : headers.iterator();
    int fields = 0;
    int hosts = 0;
    int authorizations = 0;
    while (entries.hasNext()) {
      CharSequence name = entries.next().getKey();
      if (++fields > max || fields > 0xffff) {
        return TOO_MANY;
      }
      if (name.length() == 4 && AsciiString.contentEqualsIgnoreCase(name, "host")) {
        hosts++;
      } else if (name.length() == 13
          && AsciiString.contentEqualsIgnoreCase(name, "authorization")) {
        authorizations++;
      }
    }
    return hosts | authorizations << 16;
  }

  /**
   * Begins the drain of this event loop's connections (the server is stopping; readiness has been
   * 503 for the shutdown delay): from now on every HTTP/1.x response, including those in flight
   * whose head is not yet written, carries {@code Connection: close} and its connection closes
   * after it; HTTP/2 connections get a GOAWAY (no new streams, open ones finish). A connection idle
   * right now stays open, so that a request already on its way is answered rather than reset; the
   * listener's shutdown closes what is still idle. Every connection is closed after {@code grace}
   * at the latest. Call on this guard's event loop.
   */
  public void drain(long graceMillis) {
    closing = true;
    drainGraceMillis = graceMillis;
    for (Flight f = head; f != null; f = f.next) {
      if (f.ctx.request().version() != HttpVersion.HTTP_2 && !f.ctx.response().headWritten()) {
        f.ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      }
    }
    for (Conn conn : java.util.List.copyOf(connections.values())) {
      if (conn.valve != null) {
        conn.valve.drain();
      }
      if (conn.http2 || conn.inFlight > 0) {
        // HTTP/2: GOAWAY; HTTP/1.x: closed once the response in progress is written
        conn.connection.shutdown(graceMillis, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** A request that arrived while draining: the last one its HTTP/1.x connection carries. */
  private void lastOnItsConnection(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (request.version() != HttpVersion.HTTP_2) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      request.connection().shutdown(drainGraceMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void timedOut(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten() || response.ended()) {
      return;
    }
    if (!ctx.request().isEnded()) {
      response.putHeader("Connection", "close");
      Problems.send(
              ctx,
              new ProblemException(
                  ProblemType.REQUEST_TIMEOUT,
                  "The request was not received within "
                      + limits.requestTimeout().toMillis()
                      + " ms"))
          .onComplete(done -> ctx.request().connection().close());
      return;
    }
    Problems.send(
        ctx,
        new ProblemException(
            ProblemType.UNAVAILABLE,
            "The server could not answer within " + limits.requestTimeout().toMillis() + " ms"));
  }
}
