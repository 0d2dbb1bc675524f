package dev.hotpath.stubs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.Payments;
import dev.hotpath.outside.Service;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * Thread-safe: handlers run on the stand-ins' event loop; knobs and counters are atomic.
 */
public final class StubServer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern REVIEWS = Pattern.compile("/v1/products/(\\d{1,18})/reviews");
  private static final Pattern RELATED = Pattern.compile("/v1/products/(\\d{1,18})/related");

  /** Voids any id {@link Payments} accepts, so no void it sends falls on the 404 of no route. */
  private static final Pattern VOID =
      Pattern.compile("/v1/authorizations/(" + Payments.AUTHORIZATION_ID + ")/void");

  /**
   * Authorizations remembered for idempotent replays, and voids counted by authorization; each
   * cleared wholesale beyond this.
   */
  private static final int MAX_AUTHORIZATIONS = 500_000;

  private static final String[] WORDS = {
    "great", "solid", "cheap", "sturdy", "lovely", "flimsy", "fast", "quiet", "bright", "handy"
  };

  private final Service service;
  private final Faults initial;
  private final AtomicReference<Faults> faults;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong hung = new AtomicLong();
  private final AtomicLong abandoned = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  private final AtomicLong authorizationsMade = new AtomicLong();
  private final AtomicLong declines = new AtomicLong();
  private final AtomicLong voids = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong maxConnections = new AtomicLong();
  private final AtomicReference<String[]> lastSeen =
      new AtomicReference<>(new String[] {null, null, null});
  private final Map<String, Authorization> authorizations = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> voidsById = new ConcurrentHashMap<>();
  private Vertx vertx;
  private HttpServer server;

  /** An authorization as first answered, replayed for its idempotency key. */
  private record Authorization(long amount, String currency, int status, String body) {}

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
                  maxConnections.accumulateAndGet(connections.incrementAndGet(), Math::max);
                  conn.closeHandler(v -> connections.decrementAndGet());
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
    return requests.get();
  }

  /** Connections open now. */
  public long connections() {
    return connections.get();
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
    AtomicLong n = voidsById.get(id);
    return n == null ? 0 : n.get();
  }

  /** Knobs back to those it started with, counters to zero. */
  public void reset() {
    faults.set(initial);
    maxConnections.set(connections.get());
    voidsById.clear();
    for (AtomicLong c :
        new AtomicLong[] {
          requests,
          answered,
          errors,
          refused,
          hung,
          abandoned,
          lost,
          authorizationsMade,
          declines,
          voids
        }) {
      c.set(0);
    }
  }

  /** Counters as JSON. */
  public ObjectNode stats() {
    ObjectNode out = JSON.createObjectNode();
    out.put("service", service.id())
        .put("requests", requests.get())
        .put("answered", answered.get())
        .put("errors", errors.get())
        .put("refused", refused.get())
        .put("hung", hung.get())
        .put("abandoned", abandoned.get())
        .put("lost", lost.get())
        .put("in_flight", inFlight.get())
        .put("connections", connections.get())
        .put("max_connections", maxConnections.get());
    if (service == Service.PAYMENTS) {
      out.put("authorizations", authorizationsMade.get())
          .put("declines", declines.get())
          .put("voids", voids.get());
    }
    return out;
  }

  private void handle(HttpServerRequest request) {
    if (request.path().startsWith("/_stub/")) {
      request.body().onSuccess(body -> admin(request, body));
      return;
    }
    requests.incrementAndGet();
    lastSeen.set(
        new String[] {
          request.getHeader("traceparent"),
          request.getHeader("X-Request-Id"),
          request.getHeader(OutsideClient.DEADLINE_HEADER)
        });
    Faults f = faults.get();
    if (f.outage().equals("refuse")) {
      refused.incrementAndGet();
      request.connection().close();
      return;
    }
    if (f.outage().equals("hang")) {
      hung.incrementAndGet();
      return;
    }
    inFlight.incrementAndGet();
    request
        .body()
        .onComplete(
            ar -> {
              if (ar.failed()) {
                inFlight.decrementAndGet();
                return;
              }
              long delay = f.drawMillis(ThreadLocalRandom.current());
              long deadline = deadlineMillis(request);
              if (deadline >= 0 && delay > deadline) {
                // the caller will not wait that long: stop working when it stops waiting
                later(
                    deadline,
                    () -> {
                      abandoned.incrementAndGet();
                      send(request, 504, problem("deadline passed"), f, null);
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
      errors.incrementAndGet();
      send(
          request,
          f.errorStatus(),
          problem("injected error"),
          f,
          f.retryAfter() > 0 ? Integer.toString(f.retryAfter()) : null);
      return;
    }
    String path = request.path();
    switch (service) {
      case PAYMENTS -> payments(request, path, body, f);
      case REVIEWS -> {
        Matcher m = REVIEWS.matcher(path);
        if (request.method() == HttpMethod.GET && m.matches()) {
          send(request, 200, reviews(Long.parseLong(m.group(1)), limit(request, 5)), f, null);
        } else {
          send(request, 404, problem("no such route"), f, null);
        }
      }
      case RECOMMENDATIONS -> {
        Matcher m = RELATED.matcher(path);
        if (request.method() == HttpMethod.GET && m.matches()) {
          send(request, 200, related(Long.parseLong(m.group(1)), limit(request, 8)), f, null);
        } else {
          send(request, 404, problem("no such route"), f, null);
        }
      }
    }
  }

  private void payments(HttpServerRequest request, String path, Buffer body, Faults f) {
    if (request.method() != HttpMethod.POST) {
      send(request, 405, problem("POST only"), f, null);
      return;
    }
    Matcher voiding = VOID.matcher(path);
    if (voiding.matches()) {
      voids.incrementAndGet();
      if (voidsById.size() > MAX_AUTHORIZATIONS) {
        voidsById.clear();
      }
      voidsById.computeIfAbsent(voiding.group(1), id -> new AtomicLong()).incrementAndGet();
      send(request, 200, "{\"id\":\"" + voiding.group(1) + "\",\"status\":\"voided\"}", f, null);
      return;
    }
    if (!path.equals("/v1/authorizations")) {
      send(request, 404, problem("no such route"), f, null);
      return;
    }
    String key = request.getHeader("Idempotency-Key");
    long amount;
    String currency;
    try {
      JsonNode json = JSON.readTree(body.getBytes());
      amount = json.get("amount_minor").asLong(-1);
      currency = json.get("currency").asText();
      if (key == null || key.isBlank() || amount < 0 || !currency.matches("[A-Z]{3}")) {
        throw new IllegalArgumentException();
      }
    } catch (Exception e) {
      send(
          request,
          400,
          problem("need Idempotency-Key and a body {amount_minor, currency}"),
          f,
          null);
      return;
    }
    if (authorizations.size() > MAX_AUTHORIZATIONS) {
      authorizations.clear();
    }
    Authorization fresh = decide(amount, currency, f);
    Authorization stored = authorizations.putIfAbsent(key, fresh);
    Authorization a = stored == null ? fresh : stored;
    if (stored == null) {
      (a.status() == 201 ? authorizationsMade : declines).incrementAndGet();
    }
    if (a.amount() != amount || !a.currency().equals(currency)) {
      send(request, 422, problem("idempotency key reused for another amount"), f, null);
      return;
    }
    if (stored != null) {
      request.response().putHeader("Idempotent-Replayed", "true");
    }
    send(request, a.status(), a.body(), f, null);
  }

  private static Authorization decide(long amount, String currency, Faults f) {
    if (ThreadLocalRandom.current().nextDouble() < f.declineRate()) {
      return new Authorization(
          amount, currency, 402, "{\"status\":\"declined\",\"reason\":\"card_declined\"}");
    }
    String id = "auth_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    return new Authorization(
        amount,
        currency,
        201,
        "{\"id\":\""
            + id
            + "\",\"status\":\"authorized\",\"amount_minor\":"
            + amount
            + ",\"currency\":\""
            + currency
            + "\"}");
  }

  private static int limit(HttpServerRequest request, int fallback) {
    try {
      String v = request.getParam("limit");
      return v == null ? fallback : Math.max(1, Math.min(50, Integer.parseInt(v)));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** The same reviews for the same product every time. */
  static String reviews(long productId, int limit) {
    SplittableRandom random = new SplittableRandom(productId * 31 + 7);
    int count = random.nextInt(0, 40);
    ObjectNode out = JSON.createObjectNode();
    out.put("product_id", productId).put("count", count);
    ArrayNode items = out.putArray("reviews");
    int sum = 0;
    for (int i = 0; i < count; i++) {
      int rating = random.nextInt(1, 6);
      sum += rating;
      if (i < limit) {
        items
            .addObject()
            .put("id", "r" + productId + "-" + (i + 1))
            .put("rating", rating)
            .put("title", WORDS[random.nextInt(WORDS.length)] + " product")
            .put("body", "It is " + WORDS[random.nextInt(WORDS.length)] + ".")
            .put("author", "reviewer" + random.nextInt(1, 10_000));
      }
    }
    out.put("average_rating", count == 0 ? 0.0 : Math.round(10.0 * sum / count) / 10.0);
    return out.toString();
  }

  /** The same related products for the same product every time (ids 1 to 1000). */
  static String related(long productId, int limit) {
    SplittableRandom random = new SplittableRandom(productId * 17 + 3);
    ObjectNode out = JSON.createObjectNode();
    out.put("product_id", productId);
    ArrayNode items = out.putArray("related");
    double score = 1.0;
    for (int i = 0; i < limit; i++) {
      long other = random.nextLong(1, 1001);
      if (other == productId) {
        continue;
      }
      score = Math.round(score * (0.8 + 0.15 * random.nextDouble()) * 1000) / 1000.0;
      items.addObject().put("product_id", other).put("score", score);
    }
    return out.toString();
  }

  private static String problem(String detail) {
    return "{\"title\":\"" + detail + "\"}";
  }

  private void send(
      HttpServerRequest request, int status, String body, Faults f, String retryAfter) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      inFlight.decrementAndGet();
      return;
    }
    inFlight.decrementAndGet();
    if (ThreadLocalRandom.current().nextDouble() < f.lostRate()) {
      // the work is done; the caller never hears of it and gives up at its deadline
      lost.incrementAndGet();
      return;
    }
    answered.incrementAndGet();
    response.setStatusCode(status).putHeader("Content-Type", "application/json");
    if (retryAfter != null) {
      response.putHeader("Retry-After", retryAfter);
    }
    Buffer bytes = Buffer.buffer(body);
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
        response.setStatusCode(404).end(problem("no such admin route"));
      }
    } catch (IllegalArgumentException | java.io.IOException e) {
      response.setStatusCode(400).end(problem(String.valueOf(e.getMessage()).replace('"', '\'')));
    }
  }
}
