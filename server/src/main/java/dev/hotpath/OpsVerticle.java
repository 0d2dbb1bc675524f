package dev.hotpath;

import dev.hotpath.compute.JobQueue;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.Routes;
import dev.hotpath.edge.admission.Gatekeeper;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.http.Contract;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.Readiness;
import dev.hotpath.http.SecurityHeaders;
import dev.hotpath.observe.Observability;
import dev.hotpath.store.DatabaseCoordinates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The operations listener ({@code HOTPATH_OPS_PORT}, issue #18): health, metrics and the admin
 * routes on a port of their own, so that a Kubernetes probe, a Prometheus scrape or an operator is
 * answered while clients hold every connection the API port allows ({@code
 * HOTPATH_MAX_CONNECTIONS}) and admission refuses or back-pressure pauses the API's requests.
 *
 * <p>One instance, on one of the process's event loops (not a thread of its own: a probe that finds
 * the event loops stuck should fail, as it does on the API port). HTTP/1.1 only. What stands
 * between a request and its answer here is what the routes need and no more: the contract's route
 * steps (deadline, 406, authentication and the admin scope), without admission, back-pressure or
 * rate limits; its connections are counted apart from the API's, bounded by {@code
 * HOTPATH_OPS_MAX_CONNECTIONS} where they are accepted ({@code edge.ConnectionBound}). Its own
 * database pool (two connections at most, opened when first used) answers {@code /health/ready}'s
 * {@code SELECT 1} and the job admin routes, so that a readiness probe does not queue behind the
 * API's requests for a connection.
 *
 * <p>Deadlines are kept with a timer per connection (a few probes a second do not need the API's
 * sweep): a request head within {@code HOTPATH_HEADER_TIMEOUT_MS} of opening, the next within
 * {@code HOTPATH_IDLE_TIMEOUT_MS} of an answer, an answer within {@code HOTPATH_REQUEST_TIMEOUT_MS}
 * (408 or 503, as on the API port) except a flight recording's ({@code /admin/jfr}, which runs as
 * long as asked).
 */
final class OpsVerticle extends VerticleBase {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OpsVerticle.class);

  private final Settings settings;
  private final DatabaseCoordinates database;
  private final Contract contract;
  private final Readiness readiness;
  private final Observability observability;
  private final Optional<Authenticator> auth;
  private final Gatekeeper gatekeeper;
  private final JobQueue jobs;

  /**
   * Each open connection's one armed deadline (a Vert.x timer id, {@link #NONE} when none is).
   * Event-loop confined.
   */
  private final Map<HttpConnection, Long> deadlines = new IdentityHashMap<>();

  private Pool pool;
  private HttpServer server;

  OpsVerticle(
      Settings settings,
      DatabaseCoordinates database,
      Contract contract,
      Readiness readiness,
      Observability observability,
      Optional<Authenticator> auth,
      Gatekeeper gatekeeper,
      JobQueue jobs) {
    this.settings = settings;
    this.database = database;
    this.contract = contract;
    this.readiness = readiness;
    this.observability = observability;
    this.auth = auth;
    this.gatekeeper = gatekeeper;
    this.jobs = jobs;
  }

  @Override
  public Future<?> start() {
    long statementTimeout =
        HttpVerticle.STATEMENT_TIMEOUT_MS + settings.limits().databaseGrace().toMillis();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(2).setMaxWaitQueueSize(64).setName("hotpath-ops"))
            .connectingTo(
                database
                    .connectOptions(1)
                    .addProperty("statement_timeout", Long.toString(statementTimeout)))
            .using(vertx)
            .build();
    boolean tls = settings.transport().tls();
    boolean observed = settings.observability().enabled();
    Router router = Router.router(vertx);
    router
        .route()
        .handler(
            (PlatformHandler)
                ctx -> {
                  SecurityHeaders.add(ctx.response().headers(), tls, false);
                  ctx.next();
                });
    Routes routes =
        Routes.ungated(router, contract, settings.observability().enabled(), auth, gatekeeper);
    BodyHandler body =
        BodyHandler.create(false)
            .setBodyLimit(settings.server().bodyLimit())
            .setHandleFileUploads(false);
    new OpsRoutes(pool, readiness, contract, observability, settings.transport().metrics())
        .mountOperations(routes, body);
    if (routes.authenticated()) {
      new AdminRoutes(pool, jobs).mount(routes);
    }
    // every other path (the API's, the docs) is a 404 problem here
    ApiRoutes.answersProblems(router);
    server =
        vertx
            .createHttpServer(options(settings))
            .connectionHandler(this::opened)
            .invalidRequestHandler(request -> HttpVerticle.invalidRequest(request, tls))
            // as on the API port: a handshake handler makes Vert.x hand a request of an unknown
            // HTTP version to the request handler, which answers it with a problem
            .webSocketHandshakeHandler(handshake -> handshake.reject(404))
            .requestHandler(
                request -> {
                  if (observed) {
                    Observability.echo(request);
                  }
                  if (request.version() == null) {
                    HttpVerticle.refuse(request, HttpVerticle.UNKNOWN_VERSION, true, tls);
                    return;
                  }
                  ProblemException malformed = HttpVerticle.malformed(request);
                  if (malformed != null) {
                    HttpVerticle.refuse(request, malformed, false, tls);
                  } else if (!HttpVerticle.onlyChunked(request)) {
                    HttpVerticle.refuse(request, HttpVerticle.TRANSFER_CODINGS, true, tls);
                  } else {
                    began(request);
                    router.handle(request);
                  }
                });
    return server
        .listen()
        .onSuccess(
            listening ->
                log.info(
                    "operations listener (health, metrics, admin) on {}://{}:{}, at most {}"
                        + " connections",
                    tls ? "https" : "http",
                    settings.server().host(),
                    listening.actualPort(),
                    settings.ops().maxConnections()));
  }

  /**
   * The API server's options ({@link HttpVerticle#serverOptions}: host, header and line bounds, the
   * same TLS, the same tracing: request id, traceparent and Server-Timing on every answer, as the
   * contract says), on the operations port, HTTP/1.1 only, without Vert.x's idle timer (the
   * deadlines are kept here).
   */
  static HttpServerOptions options(Settings settings) {
    HttpServerOptions options =
        HttpVerticle.serverOptions(settings)
            .setPort(settings.ops().port())
            .setHttp2ClearTextEnabled(false)
            .setIdleTimeout(0);
    if (options.isSsl()) {
      options.setAlpnVersions(List.of(HttpVersion.HTTP_1_1));
    }
    return options;
  }

  private void opened(HttpConnection connection) {
    deadlines.put(connection, NONE);
    arm(connection, settings.limits().headerTimeout().toMillis(), null);
    connection.closeHandler(
        closed -> {
          disarm(connection);
          deadlines.remove(connection);
        });
  }

  /**
   * A request head arrived: its answer is due within the request timeout (a flight recording's
   * whenever it ends); once answered, the next head is due within the idle timeout.
   */
  private void began(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    disarm(connection);
    if (!request.path().startsWith("/admin/jfr")) {
      arm(connection, settings.limits().requestTimeout().toMillis(), request);
    }
    request
        .response()
        .endHandler(done -> arm(connection, settings.limits().idleTimeout().toMillis(), null));
  }

  /** No deadline armed on an open connection (a flight recording in flight). */
  private static final Long NONE = -1L;

  /**
   * Arms {@code connection}'s one deadline in place of any other, unless it has closed: when it
   * passes, the request in flight (if any) is answered 408 (its body not received) or 503 (not
   * answered in time), and the connection closes.
   */
  private void arm(HttpConnection connection, long millis, HttpServerRequest request) {
    if (!deadlines.containsKey(connection)) {
      return;
    }
    disarm(connection);
    long timer =
        vertx.setTimer(
            millis,
            id -> {
              deadlines.put(connection, NONE);
              expire(connection, request);
            });
    deadlines.put(connection, timer);
  }

  private void disarm(HttpConnection connection) {
    Long timer = deadlines.get(connection);
    if (timer != null && timer != NONE.longValue()) {
      vertx.cancelTimer(timer);
      deadlines.put(connection, NONE);
    }
  }

  private void expire(HttpConnection connection, HttpServerRequest request) {
    if (request == null || request.response().headWritten() || request.response().ended()) {
      connection.close();
      return;
    }
    long ms = settings.limits().requestTimeout().toMillis();
    ProblemException problem =
        request.isEnded()
            ? new ProblemException(
                ProblemType.UNAVAILABLE, "The server could not answer within " + ms + " ms")
            : new ProblemException(
                ProblemType.REQUEST_TIMEOUT, "The request was not received within " + ms + " ms");
    request.response().putHeader("Connection", "close");
    Problems.answer(request.response(), problem.type(), Problems.encode(problem, request.path()))
        .onComplete(done -> connection.close());
  }

  /**
   * Closes the listener (readiness already answers 503 on it: {@code App.close} marked the drain
   * first), letting requests in flight finish within the grace period, then the pool.
   */
  @Override
  public Future<?> stop() {
    for (Long timer : deadlines.values()) {
      if (timer != NONE.longValue()) {
        vertx.cancelTimer(timer);
      }
    }
    deadlines.clear();
    Future<Void> closed =
        server == null
            ? Future.succeededFuture()
            : server.shutdown(settings.server().shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
    return closed.eventually(() -> pool == null ? Future.succeededFuture() : pool.close());
  }
}
