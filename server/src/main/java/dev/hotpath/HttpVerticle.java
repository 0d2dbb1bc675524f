package dev.hotpath;

import dev.hotpath.compute.JobQueue;
import dev.hotpath.compute.PaymentJobs;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.EdgeGuard;
import dev.hotpath.edge.admission.Gatekeeper;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.http.CanonicalPath;
import dev.hotpath.http.Contract;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.InProcess;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.Readiness;
import dev.hotpath.http.RequestTarget;
import dev.hotpath.http.SecurityHeaders;
import dev.hotpath.observe.Observability;
import dev.hotpath.observe.QueryCounter;
import dev.hotpath.observe.Slos;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.OutsideServices;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.store.CoalescedFlushes;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.DatabaseHealth;
import dev.hotpath.store.GuardedPool;
import dev.hotpath.store.Replicas;
import dev.hotpath.store.Statements;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP server on one event loop, with its own database clients on the same loop, so a request
 * never changes threads: a pool for transactions and statements that need a connection of their
 * own, and a pipelined client for the read side's single statements ({@link Statements}). Deployed
 * once per event loop; the instances share the listening port and the process's {@link
 * ResponseCache}.
 */
public final class HttpVerticle extends VerticleBase {

  private final Settings settings;
  private final DatabaseCoordinates database;
  private final Contract contract;
  private final CursorCodec cursors;
  private final Readiness readiness;
  private final Observability observability;
  private final ResponseCache cache;
  private final QueryCounter queries;
  private final Optional<Authenticator> auth;
  private final AtomicInteger openConnections;
  private EdgeGuard guard;
  private final JobQueue jobs;
  private final dev.hotpath.compute.ImportBudget imports;
  private final Gatekeeper gatekeeper;
  private final OutsideServices outside;
  private final Optional<PaymentJobs> paymentJobs;
  private final DatabaseHealth health;
  private final Optional<Replicas> replicas;
  private final InProcess inProcess;

  /** This loop's request handler: its server's, and the in-process requests' (#22). */
  private Handler<HttpServerRequest> requests;

  private List<SqlClient> replicaReads = List.of();
  private HttpServer server;
  private Gatekeeper.Gates gates;
  private Pool pool;
  private SqlClient reads;
  private OutsideClient outsideClient;

  public HttpVerticle(
      Settings settings,
      DatabaseCoordinates database,
      Contract contract,
      CursorCodec cursors,
      Readiness readiness,
      ResponseCache cache,
      QueryCounter queries,
      Observability observability,
      Optional<Authenticator> auth,
      AtomicInteger openConnections,
      JobQueue jobs,
      dev.hotpath.compute.ImportBudget imports,
      Gatekeeper gatekeeper,
      OutsideServices outside,
      Optional<PaymentJobs> paymentJobs,
      DatabaseHealth health,
      Optional<Replicas> replicas,
      InProcess inProcess) {
    this.settings = settings;
    this.inProcess = inProcess;
    this.replicas = replicas;
    this.health = health;
    this.database = database;
    this.contract = contract;
    this.cursors = cursors;
    this.readiness = readiness;
    this.observability = observability;
    this.cache = cache;
    this.queries = queries;
    this.auth = auth;
    this.openConnections = openConnections;
    this.jobs = jobs;
    this.imports = imports;
    this.gatekeeper = gatekeeper;
    this.outside = outside;
    this.paymentJobs = paymentJobs;
  }

  @Override
  public Future<?> start() {
    int loops = settings.server().eventLoops();
    int perLoop = Math.max(1, settings.database().poolSize() / loops);
    int readsPerLoop = Math.max(1, settings.database().readPoolSize() / loops);
    // faults of the database (down: fail fast; slow or frozen: the request's deadline) are handled
    // in the pool and in Statements, for every route
    pool =
        new GuardedPool(
            PgBuilder.pool()
                .with(poolOptions(perLoop, "hotpath-"))
                .connectingTo(connect())
                // a transaction's statements executed together go out in one socket write
                // (README, "Measuring writes")
                .withConnectHandler(
                    conn -> {
                      CoalescedFlushes.install(conn);
                      conn.close();
                    })
                .using(vertx)
                .build(),
            vertx,
            health,
            settings.limits().databaseGrace(),
            replicas.orElse(null));
    // single statements of the read side share pipelined connections: a query is sent at once on
    // a connection that may still be answering others, instead of waiting for a free one (measured
    // in the README: +15 % uncached reads, and under overload the admitted reads no longer queue)
    reads =
        PgBuilder.client()
            .with(poolOptions(readsPerLoop, "hotpath-reads-"))
            .connectingTo(connect())
            // the statements of the requests read in one turn of the event loop go out in one
            // socket write (README, "Where a read's CPU goes")
            .withConnectHandler(
                conn -> {
                  CoalescedFlushes.install(conn);
                  conn.close();
                })
            .using(vertx)
            .build();
    // outside services, like the database, get connections of this event loop
    outsideClient = OutsideClient.create(vertx, outside);
    HttpServerOptions options = serverOptions(settings);
    gates = gatekeeper.gates(vertx, settings.backpressure(), options);
    guard =
        new EdgeGuard(vertx, settings.limits(), settings.transport().tls(), openConnections, gates);
    boolean observed = settings.observability().enabled();
    boolean tls = settings.transport().tls();
    // read replicas: single statements go to a replica that has replayed what the request must see
    var db =
        replicas.isEmpty()
            ? new Statements(reads, queries, vertx, health, settings.limits().databaseGrace())
            : new Statements(
                reads,
                queries,
                vertx,
                health,
                settings.limits().databaseGrace(),
                replicas.get(),
                replicaReads =
                    replicas
                        .get()
                        .clients(
                            vertx,
                            readsPerLoop,
                            settings.database().pipeliningLimit(),
                            STATEMENT_TIMEOUT_MS + settings.limits().databaseGrace().toMillis()));
    Handler<HttpServerRequest> dispatch =
        ApiRoutes.dispatch(
            new ApiRoutes.Shared(
                settings,
                contract,
                cursors,
                readiness,
                observability,
                cache,
                auth,
                jobs,
                imports,
                outside,
                paymentJobs,
                inProcess),
            new ApiRoutes.Loop(vertx, pool, db, guard, gates, outsideClient));
    server =
        vertx
            .createHttpServer(options)
            .connectionHandler(guard::connected)
            .invalidRequestHandler(this::invalidRequest)
            // no WebSocket is served; having a handshake handler also makes Vert.x hand a request
            // of an unknown HTTP version to the request handler (which answers 505 with a problem)
            // instead of answering a bare 501 itself
            .webSocketHandshakeHandler(handshake -> handshake.reject(404))
            // kept: gRPC calls and GraphQL mutations are handed to it in memory (#22)
            .requestHandler(
                requests =
                    request -> {
                      if (observed) {
                        Observability.echo(request);
                      }
                      if (request.version() == null) {
                        refuse(request, UNKNOWN_VERSION, true);
                        return;
                      }
                      ProblemException malformed = malformed(request);
                      if (malformed != null) {
                        refuse(request, malformed, false);
                      } else if (!onlyChunked(request)) {
                        // a body framed by codings this server does not apply: it cannot be read
                        // as sent, so the connection ends with the answer
                        refuse(request, TRANSFER_CODINGS, true);
                      } else if (!gates.refuseEarly(request, tls)) {
                        dispatch.handle(request);
                      } else if (request.version() != HttpVersion.HTTP_2) {
                        // refused for load: its connection is not read until there is room
                        guard.answeredEarly(request.connection());
                      }
                    });
    // listening: the in-process requests may come in too
    return server
        .listen()
        .onSuccess(
            listening ->
                inProcess.enter(
                    context,
                    requests,
                    options.getTracingPolicy(),
                    settings.server().host(),
                    listening.actualPort()));
  }

  /**
   * Limits from the settings; with a certificate, TLS 1.3 only, with ALPN offering HTTP/2 then
   * HTTP/1.1 (the JDK engine resumes sessions with TLS 1.3 tickets); HTTP/2 in cleartext only when
   * asked for.
   */
  static HttpServerOptions serverOptions(Settings settings) {
    var limits = settings.limits();
    var options =
        new HttpServerOptions()
            .setHost(settings.server().host())
            .setPort(settings.server().port())
            .setTcpNoDelay(true)
            .setTcpFastOpen(true)
            .setCompressionSupported(false)
            // no WebSocket is served (the handshake is refused): without these Vert.x puts Netty's
            // WebSocket extension handler in every HTTP/1.x pipeline, which looks at every request
            // for an upgrade and queues an entry per request until its response passes it on the
            // way out; an order answered below Vert.x (edge.PreparedRead) is written below it, so
            // its queue grew by one entry per cached read, for as long as the connection lived
            // (an array of 14,215 entries after 20 s on one of wrk's 64 connections, promoted to
            // the old generation with every copy as it doubled)
            .setPerFrameWebSocketCompressionSupported(false)
            .setPerMessageWebSocketCompressionSupported(false)
            .setMaxInitialLineLength(limits.maxUrlBytes())
            .setMaxHeaderSize(limits.maxHeaderBytes())
            .setIdleTimeout((int) limits.idleTimeout().toMillis())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setHttp2ClearTextEnabled(settings.transport().h2c())
            .setTracingPolicy(
                settings.observability().enabled() ? TracingPolicy.ALWAYS : TracingPolicy.IGNORE);
    options.getInitialSettings().setMaxHeaderListSize(limits.maxHeaderBytes());
    if (settings.transport().tls()) {
      options
          .setSsl(true)
          .setKeyCertOptions(
              new PemKeyCertOptions()
                  .setCertPath(settings.transport().tlsCert().orElseThrow().toString())
                  .setKeyPath(settings.transport().tlsKey().orElseThrow().toString()))
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
          .setSslHandshakeTimeout(10)
          .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
          .setUseAlpn(true)
          .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    }
    return options;
  }

  /** What is wrong with the request's target (path, query, form), null when nothing is. */
  static @Nullable ProblemException malformed(HttpServerRequest request) {
    ProblemException malformed = CanonicalPath.check(request.path());
    if (malformed == null) {
      malformed = CanonicalPath.checkQuery(request.query());
    }
    if (malformed == null) {
      malformed = RequestTarget.check(request);
    }
    return malformed;
  }

  static final ProblemException UNKNOWN_VERSION =
      new ProblemException(
          ProblemType.HTTP_VERSION_NOT_SUPPORTED,
          "Send requests as HTTP/1.1 (or HTTP/2 after ALPN or an h2c upgrade)");

  static final ProblemException TRANSFER_CODINGS =
      new ProblemException(
          ProblemType.BAD_REQUEST,
          "Transfer-Encoding must be chunked alone: this server applies no other transfer coding,"
              + " and chunked only once (RFC 9112, 6.1)");

  /**
   * Whether the request's Transfer-Encoding, if it has one, is {@code chunked} alone (empty list
   * elements aside). Netty's decoder frames any list that ends in chunked as chunked: {@code
   * chunked, chunked} or {@code gzip, chunked} were read as a plain chunked body, which a proxy in
   * front may have framed otherwise.
   */
  static boolean onlyChunked(HttpServerRequest request) {
    List<String> fields =
        request.headers().getAll(io.vertx.core.http.HttpHeaders.TRANSFER_ENCODING);
    if (fields.isEmpty()) {
      return true;
    }
    int seen = 0;
    for (String field : fields) {
      for (String coding : field.split(",", -1)) {
        String c = coding.strip();
        if (c.isEmpty()) {
          continue;
        }
        if (!c.equalsIgnoreCase("chunked") || ++seen > 1) {
          return false;
        }
      }
    }
    return seen == 1;
  }

  /** Answers a request that never reaches the router: a problem, with the security headers. */
  private void refuse(HttpServerRequest request, ProblemException problem, boolean close) {
    refuse(request, problem, close, settings.transport().tls());
  }

  /** As {@link #refuse(HttpServerRequest, ProblemException, boolean)}, for any listener. */
  static void refuse(
      HttpServerRequest request, ProblemException problem, boolean close, boolean tls) {
    var response = request.response();
    SecurityHeaders.add(response.headers(), tls);
    if (close) {
      response.putHeader("Connection", "close");
    }
    Problems.answer(response, problem.type(), Problems.encode(problem, null))
        .onComplete(
            done -> {
              if (close) {
                request.connection().close();
              }
            });
  }

  /** Requests Netty could not decode: an over-long request line or headers, or a malformed one. */
  private void invalidRequest(HttpServerRequest request) {
    invalidRequest(request, settings.transport().tls());
  }

  /** As {@link #invalidRequest(HttpServerRequest)}, for any listener. */
  static void invalidRequest(HttpServerRequest request, boolean tls) {
    Throwable cause = request.decoderResult().cause();
    ProblemType type = ProblemType.BAD_REQUEST;
    if (cause instanceof TooLongFrameException) {
      String message = String.valueOf(cause.getMessage());
      type = message.contains("header") ? ProblemType.HEADERS_TOO_LARGE : ProblemType.URI_TOO_LONG;
    }
    var problem =
        new ProblemException(
            type, type == ProblemType.BAD_REQUEST ? malformedDetail(cause) : type.title());
    SecurityHeaders.add(request.response().headers(), tls);
    request
        .response()
        .setStatusCode(type.status())
        .putHeader("Content-Type", Problems.CONTENT_TYPE)
        .putHeader("Connection", "close")
        .end(Problems.encode(problem, "/"))
        .onComplete(done -> request.connection().close());
  }

  /**
   * What is wrong with a request head the decoder refused, in words of the HTTP specification and
   * never in the decoder's own (its messages may quote the request's bytes).
   */
  static String malformedDetail(Throwable cause) {
    String m = cause == null ? "" : String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("header name") || m.contains("empty headers")) {
      return "A header name is empty or holds a character other than a token's (RFC 9110, 5.1)";
    } else if (m.contains("header value")) {
      return "A header value holds a control character (RFC 9110, 5.5)";
    } else if (m.contains("trailing header")) {
      return "The trailer section holds a header that a trailer may not carry (RFC 9110, 6.5.1)";
    } else if (m.contains("content-length are not allowed")) {
      return "The request has both Content-Length and Transfer-Encoding: send one (RFC 9112, 6.3)";
    } else if (m.contains("chunked must be the last")) {
      return "chunked must be the last transfer coding of Transfer-Encoding (RFC 9112, 6.1)";
    } else if (m.contains("content-length")) {
      return "Content-Length must be one non-negative decimal number (RFC 9110, 8.6)";
    } else if (m.contains("method")) {
      return "The method holds a character other than a token's (RFC 9110, 9.1)";
    } else if (m.contains("separator") || m.contains("line separator")) {
      return "A line of the request head is not ended by CRLF, or a header is not name: value"
          + " (RFC 9112, 2.2 and 5)";
    }
    return "The request line is not method, target and HTTP version separated by single spaces,"
        + " or holds a character HTTP does not allow there (RFC 9112, 3)";
  }

  private PoolOptions poolOptions(int size, String namePrefix) {
    return new PoolOptions()
        .setMaxSize(size)
        .setMaxWaitQueueSize(10_000)
        .setName(namePrefix + context.deploymentID());
  }

  /**
   * Request connections stop any statement on the server after twice the longest route budget (plus
   * the grace past deadlines): the net under the requests' deadlines, which end sooner, for a
   * statement no cancel request reached.
   *
   * <p>They also plan their prepared statements once ({@code plan_cache_mode=force_generic_plan}):
   * orders are partitioned by month, and a custom plan of a lookup by id is planned against every
   * partition on each execution (394 buffer hits and about 1 ms of planning for 0.08 ms of
   * execution, EXPLAIN ANALYZE on the demo data), while the generic plan prunes the partitions when
   * it runs. pgbench, 16 clients, prepared {@code SELECT * FROM orders WHERE id = $1} on the demo
   * data (2026-12-06): 18,830 tps with custom plans, 43,084 with the generic one.
   */
  private PgConnectOptions connect() {
    long timeout = STATEMENT_TIMEOUT_MS + settings.limits().databaseGrace().toMillis();
    return database
        .connectOptions(settings.database().pipeliningLimit())
        .addProperty("statement_timeout", Long.toString(timeout))
        .addProperty("plan_cache_mode", "force_generic_plan");
  }

  /** Twice the longest route budget (lists, 1 s). */
  static final long STATEMENT_TIMEOUT_MS =
      2
          * Slos.load().p99ByClass().values().stream()
              .mapToLong(d -> d.toMillis())
              .max()
              .orElse(1000);

  /**
   * Longest time a connection idle when the drain begins may still carry one more request (answered
   * with {@code Connection: close}) before the listener closes: a request already on its way is
   * answered instead of being reset. Never longer than the shutdown delay, so a server told not to
   * wait (delay 0) closes at once.
   */
  static final long LAST_REQUEST_WINDOW_MS = 1_000;

  /**
   * Drains (after readiness has answered 503 for the shutdown delay, see {@code App.close}): every
   * HTTP/1.x response from now on closes its connection and HTTP/2 connections get a GOAWAY ({@link
   * EdgeGuard#drain}); after a short window for requests already on their way, the listener closes
   * and in-flight requests finish within the grace period; then the database clients close.
   */
  @Override
  public Future<?> stop() {
    long grace = settings.server().shutdownGrace().toMillis();
    inProcess.leave(context);
    Future<Void> drained;
    if (server == null) {
      drained = Future.succeededFuture();
    } else {
      guard.drain(grace);
      long window = Math.min(LAST_REQUEST_WINDOW_MS, settings.server().shutdownDelay().toMillis());
      Promise<Void> waited = Promise.promise();
      if (window > 0) {
        vertx.setTimer(window, id -> waited.complete());
      } else {
        waited.complete();
      }
      drained = waited.future().compose(v -> server.shutdown(grace, TimeUnit.MILLISECONDS));
    }
    return drained
        .eventually(() -> outsideClient == null ? Future.succeededFuture() : outsideClient.close())
        .eventually(
            () -> {
              if (guard != null) {
                guard.close();
              }
              Future<Void> readsClosed = reads == null ? Future.succeededFuture() : reads.close();
              for (SqlClient replica : replicaReads) {
                readsClosed = readsClosed.eventually(replica::close);
              }
              return readsClosed.eventually(
                  () -> pool == null ? Future.succeededFuture() : pool.close());
            });
  }
}
