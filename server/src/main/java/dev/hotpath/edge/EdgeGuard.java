package dev.hotpath.edge;

import dev.hotpath.config.LimitSettings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Limits that hold before any route runs, for one event loop's HTTP server.
 *
 * <p><b>Connections.</b> At most {@code maxConnections} open at once in the process (further ones
 * are closed on arrival). A connection must deliver a complete request head within {@code
 * headerTimeout} of opening, and, once idle after a response, the next head within {@code
 * idleTimeout}: a client that trickles bytes to hold a connection is cut off whatever its pace.
 *
 * <p><b>Requests.</b> Security headers on every response; the header count and, for HTTP/2 (which
 * has no request line for the decoder to bound), the URI length checked (431, 414); and a request
 * timeout: 408 and the connection closed when the client has not sent its body by then, 503 when
 * the server has not answered.
 *
 * <p>Confined to its event loop, except the shared connection count.
 */
public final class EdgeGuard {
  private final Vertx vertx;
  private final LimitSettings limits;
  private final boolean tls;
  private final AtomicInteger open;
  private final Map<HttpConnection, Conn> connections = new IdentityHashMap<>();

  /**
   * @param open the process-wide count of open connections, shared by every event loop's guard
   */
  public EdgeGuard(Vertx vertx, LimitSettings limits, boolean tls, AtomicInteger open) {
    this.vertx = vertx;
    this.limits = limits;
    this.tls = tls;
    this.open = open;
  }

  /** Per-connection state. */
  private final class Conn implements Handler<Long> {
    final HttpConnection connection;
    int inFlight;
    long deadline = -1;

    Conn(HttpConnection connection) {
      this.connection = connection;
    }

    void arm(long millis) {
      deadline = vertx.setTimer(millis, this);
    }

    void disarm() {
      if (deadline >= 0) {
        vertx.cancelTimer(deadline);
        deadline = -1;
      }
    }

    /** The deadline passed with no request head in progress answered: close. */
    @Override
    public void handle(Long timer) {
      deadline = -1;
      if (inFlight == 0) {
        connection.close();
      }
    }
  }

  /** The server's connection handler. */
  public void connected(HttpConnection connection) {
    if (open.incrementAndGet() > limits.maxConnections()) {
      open.decrementAndGet();
      connection.close();
      return;
    }
    Conn conn = new Conn(connection);
    connections.put(connection, conn);
    conn.arm(limits.headerTimeout().toMillis());
    connection.closeHandler(
        v -> {
          open.decrementAndGet();
          conn.disarm();
          connections.remove(connection);
        });
  }

  /** Connections open in the whole process. */
  public int openConnections() {
    return open.get();
  }

  /** The router's first handler. */
  public void front(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    SecurityHeaders.add(response.headers(), tls);
    Conn conn = connections.get(request.connection());
    if (conn != null) {
      conn.inFlight++;
      conn.disarm();
    }
    long timer =
        request.path() != null && request.path().startsWith("/admin/jfr")
            ? -1
            : vertx.setTimer(limits.requestTimeout().toMillis(), id -> timedOut(ctx));
    ctx.addEndHandler(
        done -> {
          if (timer >= 0) {
            vertx.cancelTimer(timer);
          }
          if (conn != null && --conn.inFlight == 0 && connections.containsKey(conn.connection)) {
            conn.arm(limits.idleTimeout().toMillis());
          }
        });
    if (request.headers().size() > limits.maxHeaderCount()) {
      ctx.fail(
          new ProblemException(
              ProblemType.HEADERS_TOO_LARGE,
              "The request has more than " + limits.maxHeaderCount() + " header fields"));
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
