package dev.hotpath.stubs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.Service;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A local stand-in for one outside service, over real HTTP on loopback, with knobs ({@link Faults})
 * that can be changed while it runs. It answers the service's API (see {@link Stubs}) after a
 * latency drawn from its distribution, fails a share of answers, refuses or swallows requests in an
 * outage, drips bodies slowly, loses a share of answers after doing their work, and honours the
 * caller's {@value OutsideClient#DEADLINE_HEADER}: work that would end after the caller stopped
 * waiting is abandoned at that moment (504). Its admin endpoints are never faulted:
 *
 * <ul>
 *   <li>{@code GET /_stub/faults}: the knobs as JSON; {@code PUT /_stub/faults} replaces them with
 *       a {@code key=value,...} body or a JSON object (an empty body: healthy);
 *   <li>{@code GET /_stub/stats}: requests seen, answered, errors, refused, hung, abandoned, lost,
 *       and for payments authorizations, declines and voids;
 *   <li>{@code POST /_stub/reset}: the knobs it started with, counters at zero.
 * </ul>
 *
 * {@link StubPayments} and {@link StubContent} answer the service's routes, {@link StubCounters}
 * counts; this class applies the faults around them.
 *
 * <p>Thread-safe: handlers run on the stand-ins' event loop; knobs and counters are atomic.
 */
public final class StubServer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Service service;
  private final Faults initial;
  private final AtomicReference<Faults> faults;
  private final StubCounters counters = new StubCounters();
  private final StubPayments payments = new StubPayments(counters);
  private final AtomicReference<String[]> lastSeen =
      new AtomicReference<>(new String[] {null, null, null});
  private Vertx vertx;
  private HttpServer server;

  StubServer(Service service, Faults initial) {
    this.service = service;
    this.initial = initial;
    this.faults = new AtomicReference<>(initial);
  }

  Future<Integer> start(Vertx vertx, String host, int port) {
    this.vertx = vertx;
    this.server =
        vertx
            .createHttpServer(
                new HttpServerOptions().setHost(host).setPort(port).setTcpNoDelay(true))
            .connectionHandler(
                conn -> {
                  counters.maxConnections.accumulateAndGet(
                      counters.connections.incrementAndGet(), Math::max);
                  conn.closeHandler(v -> counters.connections.decrementAndGet());
                })
            .requestHandler(this::handle);
    return server.listen().map(HttpServer::actualPort);
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  public Service service() {
    return service;
  }

  public Faults faults() {
    return faults.get();
  }

  /** Replaces the knobs. */
  public void faults(Faults newFaults) {
    faults.set(newFaults);
  }

  /** Requests seen by the service's API (not the admin endpoints). */
  public long requests() {
    return counters.requests.get();
  }

  /** Connections open now. */
  public long connections() {
    return counters.connections.get();
  }

  /** The {@code traceparent}, {@code X-Request-Id} and deadline header of the last request. */
  public String[] lastSeen() {
    return lastSeen.get().clone();
  }

  /**
   * How many voids of the authorization {@code id} payments made since the last reset, answered or
   * with their answer lost (voids refused, failed by an injected error or abandoned are not
   * counted); {@code voids} in {@link #stats} is their total.
   */
  public long voids(String id) {
    return payments.voids(id);
  }

  /** Knobs back to those it started with, counters to zero. */
  public void reset() {
    faults.set(initial);
    counters.reset();
    payments.reset();
  }

  /** Counters as JSON. */
  public ObjectNode stats() {
    ObjectNode out = JSON.createObjectNode();
    counters.writeTo(out, service);
    return out;
  }

  private void handle(HttpServerRequest request) {
    if (request.path().startsWith("/_stub/")) {
      request.body().onSuccess(body -> admin(request, body));
      return;
    }
    counters.requests.incrementAndGet();
    lastSeen.set(
        new String[] {
          request.getHeader("traceparent"),
          request.getHeader("X-Request-Id"),
          request.getHeader(OutsideClient.DEADLINE_HEADER)
        });
    Faults f = faults.get();
    if (f.outage().equals("refuse")) {
      counters.refused.incrementAndGet();
      request.connection().close();
      return;
    }
    if (f.outage().equals("hang")) {
      counters.hung.incrementAndGet();
      return;
    }
    counters.inFlight.incrementAndGet();
    request
        .body()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                counters.inFlight.decrementAndGet();
                return;
              }
              long delay = f.drawMillis(ThreadLocalRandom.current());
              long deadline = deadlineMillis(request);
              if (deadline >= 0 && delay > deadline) {
                // the caller will not wait that long: stop working when it stops waiting
                later(
                    deadline,
                    () -> {
                      counters.abandoned.incrementAndGet();
                      send(request, StubReply.problem(504, "deadline passed"), f, null);
                    });
                return;
              }
              later(delay, () -> answer(request, ar.result(), f));
            });
  }

  private void later(long millis, Runnable action) {
    if (millis <= 0) {
      action.run();
    } else {
      vertx.setTimer(millis, t -> action.run());
    }
  }

  private static long deadlineMillis(HttpServerRequest request) {
    String value = request.getHeader(OutsideClient.DEADLINE_HEADER);
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void answer(HttpServerRequest request, Buffer body, Faults f) {
    if (ThreadLocalRandom.current().nextDouble() < f.errorRate()) {
      counters.errors.incrementAndGet();
      send(
          request,
          StubReply.problem(f.errorStatus(), "injected error"),
          f,
          f.retryAfter() > 0 ? Integer.toString(f.retryAfter()) : null);
      return;
    }
    StubReply reply =
        service == Service.PAYMENTS
            ? payments.answer(
                request.method(), request.path(), request.getHeader("Idempotency-Key"), body, f)
            : StubContent.answer(service, request);
    if (reply.replayed()) {
      request.response().putHeader("Idempotent-Replayed", "true");
    }
    send(request, reply, f, null);
  }

  /** Delivers {@code reply}, unless the knobs lose it, dripped when they say so. */
  private void send(HttpServerRequest request, StubReply reply, Faults f, String retryAfter) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      counters.inFlight.decrementAndGet();
      return;
    }
    counters.inFlight.decrementAndGet();
    if (ThreadLocalRandom.current().nextDouble() < f.lostRate()) {
      // the work is done; the caller never hears of it and gives up at its deadline
      counters.lost.incrementAndGet();
      return;
    }
    counters.answered.incrementAndGet();
    response.setStatusCode(reply.status()).putHeader("Content-Type", "application/json");
    if (retryAfter != null) {
      response.putHeader("Retry-After", retryAfter);
    }
    Buffer bytes = Buffer.buffer(reply.body());
    if (f.dripBytes() <= 0) {
      response.end(bytes);
      return;
    }
    response.setChunked(true);
    drip(response, bytes, 0, f);
  }

  private void drip(HttpServerResponse response, Buffer bytes, int from, Faults f) {
    if (response.closed()) {
      return;
    }
    int to = Math.min(bytes.length(), from + f.dripBytes());
    if (to >= bytes.length()) {
      response.end(bytes.getBuffer(from, to));
      return;
    }
    response.write(bytes.getBuffer(from, to));
    vertx.setTimer(Math.max(1, f.dripMs()), t -> drip(response, bytes, to, f));
  }

  private void admin(HttpServerRequest request, Buffer body) {
    HttpServerResponse response = request.response().putHeader("Content-Type", "application/json");
    String path = request.path();
    try {
      if (path.equals("/_stub/faults") && request.method() == HttpMethod.GET) {
        ObjectNode out = JSON.createObjectNode();
        faults.get().writeTo(out);
        response.end(out.toString());
      } else if (path.equals("/_stub/faults")
          && (request.method() == HttpMethod.PUT || request.method() == HttpMethod.POST)) {
        String text = body.toString().trim();
        Faults next =
            text.startsWith("{")
                ? Faults.HEALTHY.with(JSON.readTree(text))
                : Faults.HEALTHY.with(text);
        faults.set(next);
        ObjectNode out = JSON.createObjectNode();
        next.writeTo(out);
        response.end(out.toString());
      } else if (path.equals("/_stub/stats") && request.method() == HttpMethod.GET) {
        response.end(stats().toString());
      } else if (path.equals("/_stub/reset") && request.method() == HttpMethod.POST) {
        reset();
        response.end(stats().toString());
      } else {
        response.setStatusCode(404).end(StubReply.problemBody("no such admin route"));
      }
    } catch (IllegalArgumentException | java.io.IOException e) {
      response
          .setStatusCode(400)
          .end(StubReply.problemBody(String.valueOf(e.getMessage()).replace('"', '\'')));
    }
  }
}
