package dev.hotpath;

import dev.hotpath.config.Settings;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.http.Readiness;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms a starting server before it reports ready: for {@code HOTPATH_WARMUP_MS} (or {@value
 * #MAX_REQUESTS} requests, whichever comes first) it sends its own read routes (single orders,
 * customers and products, a customer's orders, product pages) and some refused writes to itself
 * over loopback through the whole stack (HTTP parsing, authentication, rate limits, admission,
 * routing, the database client, the write transaction, encoding, the response cache), a few
 * requests at a time, so that the JIT has compiled the hot path and the cache holds some entries
 * when the first client arrives. Measured here, a cold server answered its first request in 364 ms
 * with a 503, and with the reads warmed but not the writes, its first writes took 460-660 ms and
 * the reads queued behind them were shed for two seconds of a 300 req/s ramp (README, "The knee").
 *
 * <p>One request in {@value #WRITE_EVERY} is {@code POST /v1/orders} for a product no table holds,
 * with a fresh idempotency key: it runs the write's transaction (key claim, product lock, the
 * stored refusal, COMMIT) and is refused 422 {@code unknown-product}. It writes no order, stock or
 * event: only the refusals' idempotency records, purged after their time to live like every other.
 *
 * <p>The requests act as {@code system:warmup} (the {@code service} scope, reads and orders), by an
 * {@code Authorization} value made of 32 random bytes that never leaves the process and is revoked
 * when the warm-up ends (no signing key is made or trusted). They are counted in the metrics and
 * written to the access log like any request (user agent {@code hotpath-warmup}). The warm-up ends
 * at its bounds whatever the answers (a database that is down does not hold readiness back beyond
 * them), and is a {@link Readiness.Check} meanwhile.
 */
final class Warmup implements Readiness.Check {
  private static final Logger log = LoggerFactory.getLogger(Warmup.class);
  static final String USER_AGENT = "hotpath-warmup";
  private static final int IN_FLIGHT = 8;

  /**
   * At most this many requests, whatever the time bound: enough for class loading and the first
   * compiler tier, and well inside a client's default quota (10,000 units per 10 s), which the
   * warm-up's requests count against like any other.
   */
  private static final int MAX_REQUESTS = 4_000;

  private static final List<String> SCOPES =
      List.of("service", "customers:read", "orders:read", "orders:write");

  /** One request in this many is an order for a product that does not exist (422, see above). */
  private static final int WRITE_EVERY = 8;

  /** A product id the contract accepts and no table holds. */
  private static final long NO_PRODUCT = Long.MAX_VALUE;

  private final Vertx vertx;
  private final Settings settings;
  private final Optional<Authenticator> auth;
  private final Duration length;
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile boolean done;
  private volatile String state = "pending";

  private Warmup(Vertx vertx, Settings settings, Optional<Authenticator> auth, Duration length) {
    this.vertx = vertx;
    this.settings = settings;
    this.auth = auth;
    this.length = length;
  }

  /** Starts the warm-up of the server {@code settings} describes, listening now. */
  static Warmup start(Vertx vertx, Settings settings, Optional<Authenticator> auth) {
    Duration length = settings.admission().warmup();
    Warmup w = new Warmup(vertx, settings, auth, length);
    if (length.isZero()) {
      w.state = "off";
      w.done = true;
    } else {
      w.run();
    }
    return w;
  }

  @Override
  public String name() {
    return "warm-up";
  }

  @Override
  public boolean ok() {
    return done;
  }

  @Override
  public String state() {
    return state;
  }

  private void run() {
    long started = System.nanoTime();
    long endNanos = started + length.toNanos();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String authorization =
        "Bearer warmup-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    long expires = System.currentTimeMillis() + length.toMillis() + 30_000;
    Runnable revoke =
        auth.map(a -> a.admitInternal(authorization, "system:warmup", SCOPES, expires))
            .orElse(() -> {});
    boolean tls = settings.transport().tls();
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setSsl(tls)
                .setTrustAll(tls)
                .setVerifyHost(false)
                .setDefaultHost(loopback(settings.server().host()))
                .setDefaultPort(settings.server().port()),
            new PoolOptions().setHttp1MaxSize(IN_FLIGHT));
    Session session = new Session(client, authorization);
    session
        .discover()
        .compose(
            paths -> {
              List<Future<Void>> loops = new ArrayList<>();
              for (int i = 0; i < IN_FLIGHT; i++) {
                Promise<Void> loop = Promise.promise();
                session.loop(paths, i, endNanos, loop);
                loops.add(loop.future());
              }
              return Future.join(loops).<Void>mapEmpty();
            })
        .onComplete(
            ar -> {
              revoke.run();
              client.close();
              long ms = (System.nanoTime() - started) / 1_000_000;
              state =
                  "done: "
                      + sent.get()
                      + " requests in "
                      + ms
                      + " ms, "
                      + failed.get()
                      + " not answered as expected";
              done = true;
              log.info("warm-up {}", state);
            });
  }

  /** The address to reach this server at: loopback when it listens on every interface. */
  private static String loopback(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.isEmpty() ? "127.0.0.1" : host;
  }

  /** One warm-up's client and the paths it found. */
  private final class Session {
    private final HttpClient client;
    private final String authorization;
    private long customer;

    Session(HttpClient client, String authorization) {
      this.client = client;
      this.authorization = authorization;
    }

    /**
     * The paths to warm: pages of customers and products, and from them single resources and a few
     * customers' orders (ids taken from the answers, so any data set works).
     */
    Future<List<String>> discover() {
      List<String> paths = new ArrayList<>();
      paths.add("/v1/products?limit=20");
      paths.add("/v1/customers?limit=20");
      return Future.join(ids("/v1/customers?limit=20"), ids("/v1/products?limit=20"))
          .transform(
              ar -> {
                List<Long> customers = ar.succeeded() ? ar.result().resultAt(0) : List.of();
                if (!customers.isEmpty()) {
                  customer = customers.get(0);
                }
                List<Long> products = ar.succeeded() ? ar.result().resultAt(1) : List.of();
                products.forEach(id -> paths.add("/v1/products/" + id));
                List<Future<List<Long>>> orders = new ArrayList<>();
                for (long id : customers) {
                  paths.add("/v1/customers/" + id);
                  paths.add("/v1/customers/" + id + "/orders?limit=20");
                  orders.add(ids("/v1/customers/" + id + "/orders?limit=20"));
                }
                return Future.join(orders)
                    .transform(
                        all -> {
                          for (Future<List<Long>> f : orders) {
                            if (f.succeeded()) {
                              f.result().forEach(id -> paths.add("/v1/orders/" + id));
                            }
                          }
                          return Future.succeededFuture(paths);
                        });
              });
    }

    /** The ids of the {@code data} array of a page, or none when it is not answered 200. */
    private Future<List<Long>> ids(String path) {
      return get(path)
          .map(
              body -> {
                List<Long> out = new ArrayList<>();
                if (body != null) {
                  JsonArray data = new JsonObject(body).getJsonArray("data", new JsonArray());
                  for (int i = 0; i < data.size(); i++) {
                    Object id = data.getJsonObject(i).getValue("id");
                    if (id instanceof Number n) {
                      out.add(n.longValue());
                    }
                  }
                }
                return out;
              })
          .otherwise(List.of());
    }

    /** Sends paths one after another, from {@code start} on, until {@code endNanos}. */
    void loop(List<String> paths, int start, long endNanos, Promise<Void> finished) {
      if (System.nanoTime() >= endNanos || sent.get() >= MAX_REQUESTS) {
        finished.complete();
        return;
      }
      Future<?> next =
          customer > 0 && start % WRITE_EVERY == WRITE_EVERY - 1
              ? refusedOrder()
              : get(paths.get(Math.floorMod(start, paths.size())));
      next.onComplete(ar -> loop(paths, start + IN_FLIGHT, endNanos, finished));
    }

    /** An order for a product that does not exist: counted as failed unless refused 422. */
    private Future<Buffer> refusedOrder() {
      sent.incrementAndGet();
      RequestOptions options =
          new RequestOptions()
              .setMethod(HttpMethod.POST)
              .setURI("/v1/orders")
              .putHeader("Authorization", authorization)
              .putHeader("User-Agent", USER_AGENT)
              .putHeader("Content-Type", "application/json")
              .putHeader("Idempotency-Key", "warmup-" + UUID.randomUUID());
      String body =
          "{\"customer_id\":"
              + customer
              + ",\"items\":[{\"product_id\":"
              + NO_PRODUCT
              + ",\"quantity\":1}]}";
      return answered(
          client.request(options).compose(request -> request.send(body)), status -> status == 422);
    }

    /** The body of a GET answered 2xx; null (counted as failed) for any other answer. */
    private Future<Buffer> get(String path) {
      sent.incrementAndGet();
      RequestOptions options =
          new RequestOptions()
              .setMethod(HttpMethod.GET)
              .setURI(path)
              .putHeader("Authorization", authorization)
              .putHeader("User-Agent", USER_AGENT)
              .putHeader("Accept-Encoding", "identity");
      return answered(
          client.request(options).compose(request -> request.send()), status -> status / 100 == 2);
    }

    /** The body of a response whose status is {@code expected}; else null, counted as failed. */
    private Future<Buffer> answered(
        Future<io.vertx.core.http.HttpClientResponse> sent, IntPredicate expected) {
      return sent.compose(
              response ->
                  response
                      .body()
                      .map(body -> expected.test(response.statusCode()) ? body : (Buffer) null))
          .map(
              body -> {
                if (body == null) {
                  failed.incrementAndGet();
                }
                return body;
              })
          .recover(
              e -> {
                failed.incrementAndGet();
                return Future.succeededFuture(null);
              });
    }
  }
}
