package dev.hotpath;

import dev.hotpath.compute.Compute;
import dev.hotpath.compute.ImportBudget;
import dev.hotpath.compute.ImportJob;
import dev.hotpath.compute.JobHandlers;
import dev.hotpath.compute.JobQueue;
import dev.hotpath.compute.Maintenance;
import dev.hotpath.compute.PaymentJobs;
import dev.hotpath.compute.ReportJob;
import dev.hotpath.compute.WebhookDelivery;
import dev.hotpath.config.AuthSettings;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.ConnectionBound;
import dev.hotpath.edge.admission.Gatekeeper;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.edge.auth.Jwks;
import dev.hotpath.graphql.GraphqlEngine;
import dev.hotpath.grpc.GrpcServer;
import dev.hotpath.http.Contract;
import dev.hotpath.http.CursorCodec;
import dev.hotpath.http.InProcess;
import dev.hotpath.http.Readiness;
import dev.hotpath.observe.LibraryLogs;
import dev.hotpath.observe.Observability;
import dev.hotpath.observe.QueryCounter;
import dev.hotpath.observe.Slos;
import dev.hotpath.outside.OutsideServices;
import dev.hotpath.serve.cache.CacheInvalidation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.SharedLevel;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.DatabaseHealth;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.store.Migrations;
import dev.hotpath.store.ReadFloor;
import dev.hotpath.store.Redis;
import dev.hotpath.store.Replicas;
import dev.hotpath.store.RequestDeadline;
import dev.hotpath.store.SharedSecrets;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.tracing.TracingOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running hotpath: database (embedded or external), schema migrated, one HTTP verticle per event
 * loop. {@link #start} blocks until it serves; {@link #close} drains and stops everything it
 * started.
 */
public final class App implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(App.class);

  /** What {@link #start} built and {@link #close} stops, set once. */
  private record Parts(
      Settings settings,
      Database db,
      Readiness readiness,
      Vertx vertx,
      Observability observability,
      ResponseCache cache,
      CacheInvalidation invalidation,
      QueryCounter queries,
      Optional<Authenticator> auth,
      Gatekeeper gatekeeper,
      Compute compute,
      JobQueue jobs,
      JobHandlers jobHandlers,
      OutsideServices outside) {}

  private final Parts parts;
  private final AtomicBoolean closing = new AtomicBoolean();
  // set once by start(), before the app is handed out
  private Optional<Redis> redis = Optional.empty();
  private Optional<GrpcServer> grpc = Optional.empty();
  private InProcess inProcess = new InProcess();
  private Optional<String> opsDeployment = Optional.empty();

  private App(Parts parts) {
    this.parts = parts;
  }

  public Observability observability() {
    return parts.observability();
  }

  /** Starts the database when embedded and migrates it; the first half of {@link #start}. */
  public static Database openDatabase(Settings settings) {
    Optional<EmbeddedDatabase> embedded =
        settings.database().url().isPresent()
            ? Optional.empty()
            : Optional.of(
                EmbeddedDatabase.start(
                    settings.database().dataDir().resolve("pg"),
                    settings.database().embeddedPort()));
    DatabaseCoordinates coordinates =
        settings
            .database()
            .url()
            .map(DatabaseCoordinates::fromUri)
            .orElseGet(() -> embedded.get().coordinates());
    try {
      Migrations.migrate(coordinates);
    } catch (RuntimeException e) {
      embedded.ifPresent(EmbeddedDatabase::close);
      throw e;
    }
    return new Database(embedded, coordinates);
  }

  /** A migrated database, and the embedded server behind it if there is one. */
  public record Database(Optional<EmbeddedDatabase> embedded, DatabaseCoordinates coordinates) {}

  public static App start(Settings settings) {
    return start(settings, openDatabase(settings));
  }

  /** Serves HTTP over an already migrated database; takes ownership of its embedded server. */
  public static App start(Settings settings, Database db) {
    LibraryLogs.route();
    Settings effective =
        settings.server().port() == 0 ? settings.toBuilder().port(freePort()).build() : settings;
    Contract contract =
        Contract.load(effective.limits().jsonMaxDepth(), effective.limits().jsonMaxArray());
    byte[] secret =
        effective
            .server()
            .cursorSecret()
            .map(s -> s.getBytes(StandardCharsets.UTF_8))
            .orElseGet(() -> SharedSecrets.cursorKey(db.coordinates()));
    CursorCodec cursors = new CursorCodec(secret);
    Readiness readiness = new Readiness();
    Observability observability =
        new Observability(
            effective.observability().traceSampleRate(),
            effective.observability().otlpEndpoint(),
            Slos.load().p99ByClass(),
            effective.observability().enabled()
                ? effective.accessLog()
                : dev.hotpath.config.AccessLogSettings.off());
    VertxOptions options =
        new VertxOptions()
            .setEventLoopPoolSize(effective.server().eventLoops())
            .setPreferNativeTransport(effective.transport().nativeTransport());
    var builder = Vertx.builder();
    if (effective.observability().enabled()) {
      options.setMetricsOptions(new MetricsOptions().setEnabled(true));
      options.setTracingOptions(new TracingOptions());
      builder.withTracer(observability.tracerFactory()).withMetrics(observability.metricsFactory());
    }
    RequestDeadline.init(); // its context local exists before this Vertx does
    ReadFloor.init();
    // the connections open in the process (HTTP and gRPC), bounded where they are accepted
    AtomicInteger openConnections = new AtomicInteger();
    io.vertx.core.transport.Transport nativeTransport =
        io.vertx.core.transport.Transport.nativeTransport();
    io.vertx.core.transport.Transport transport =
        effective.transport().nativeTransport()
                && nativeTransport != null
                && nativeTransport.available()
            ? nativeTransport
            : io.vertx.core.transport.Transport.NIO;
    // the operations listener's connections (HOTPATH_OPS_PORT) are counted apart, in a bound of
    // their own, so that probes are answered while clients hold every API connection
    builder.withTransport(
        ConnectionBound.of(
            transport,
            openConnections,
            effective.limits().maxConnections(),
            effective.ops().port(),
            new AtomicInteger(),
            effective.ops().maxConnections()));
    Vertx vertx = builder.with(options).build();
    DatabaseHealth databaseHealth =
        new DatabaseHealth(vertx, db.coordinates(), observability.registry());
    Optional<Authenticator> auth;
    try {
      auth = authenticator(effective.auth());
    } catch (RuntimeException e) {
      vertx.close();
      db.embedded().ifPresent(EmbeddedDatabase::close);
      throw e;
    }
    // the routes as gRPC calls and GraphQL mutations reach them: in memory, past the socket
    InProcess inProcess = new InProcess();
    // Redis (HOTPATH_REDIS_URL): the shared cache level and shared rate limits; unset, none exists
    Optional<Redis> redis = Redis.open(vertx, effective.redis(), observability.registry());
    ResponseCache cache =
        redis
            .map(r -> new ResponseCache(effective.cache(), new SharedLevel(r, vertx)))
            .orElseGet(() -> new ResponseCache(effective.cache()));
    cache.bindTo(observability.registry());
    QueryCounter queries = new QueryCounter();
    Gatekeeper gatekeeper =
        new Gatekeeper(
            effective.admission(), effective.auth().enabled(), observability.registry(), redis);
    JobQueue jobs = new JobQueue(effective.compute());
    ImportBudget imports =
        new ImportBudget(
            effective.compute().importChunks(),
            effective.compute().importWorkers(),
            effective.compute().importUploads());
    imports.bind(observability.registry());
    JobHandlers jobHandlers =
        new JobHandlers()
            .register(
                Maintenance.KIND,
                new Maintenance(
                    effective.retention(),
                    effective.relay().enabled(),
                    java.time.Clock.systemUTC()))
            .register(ReportJob.KIND, new ReportJob(jobs))
            .register(
                ImportJob.KIND,
                new ImportJob(contract, effective.compute().importChunkLines(), imports))
            .register(
                WebhookDelivery.KIND,
                new WebhookDelivery(SharedSecrets.webhookKey(db.coordinates())));
    jobs.recurring(Maintenance.KIND, effective.retention().maintenanceInterval());
    OutsideServices outside = new OutsideServices(effective.outside(), observability.registry());
    // only a process that can reach the provider runs payment jobs (claims only registered kinds)
    Optional<PaymentJobs> paymentJobs =
        effective.outside().paymentsUrl().map(url -> new PaymentJobs(outside, cache));
    paymentJobs.ifPresent(p -> p.register(jobHandlers));
    Compute compute = new Compute(effective, db.coordinates(), jobs, jobHandlers);
    readiness.require(compute.lag());
    compute.lag().bind(observability.registry());
    CacheInvalidation invalidation;
    Optional<String> opsDeployment = Optional.empty();
    // read replicas: watched from here on; reads use them once a poll finds them caught up
    Optional<Replicas> replicas =
        effective.replicas().enabled()
            ? Optional.of(
                Replicas.start(
                    vertx, effective.replicas(), db.coordinates(), observability.registry()))
            : Optional.empty();
    try {
      // listen before serving: nothing may be cached while invalidations could go unheard
      invalidation =
          CacheInvalidation.start(
                  vertx,
                  db.coordinates(),
                  cache,
                  "hotpath cache listener :" + effective.server().port())
              .await(30, TimeUnit.SECONDS);
      // a replica must have replayed a write before its reads may fill the cache the write emptied
      replicas.ifPresent(r -> invalidation.beforeEvicting(r::invalidated));
      // the GraphQL schema is parsed and built here, once, on this thread: built by the first event
      // loop to deploy, it blocked both loops (the second waits for it) past Vert.x's 2 s warning
      // on a busy machine
      GraphqlEngine.shared(vertx, effective.graphql());
      vertx
          .deployVerticle(
              () ->
                  new HttpVerticle(
                      effective,
                      db.coordinates(),
                      contract,
                      cursors,
                      readiness,
                      cache,
                      queries,
                      observability,
                      auth,
                      openConnections,
                      jobs,
                      imports,
                      gatekeeper,
                      outside,
                      paymentJobs,
                      databaseHealth,
                      replicas,
                      inProcess),
              new DeploymentOptions().setInstances(effective.server().eventLoops()))
          .await(30, TimeUnit.SECONDS);
      // health, metrics and admin on a port of their own (HOTPATH_OPS_PORT): answering before
      // the warm-up is over (/health/ready says pending), and after the API's drain began
      if (effective.ops().enabled()) {
        try {
          opsDeployment =
              Optional.of(
                  vertx
                      .deployVerticle(
                          new OpsVerticle(
                              effective,
                              db.coordinates(),
                              contract,
                              readiness,
                              observability,
                              auth,
                              gatekeeper,
                              jobs))
                      .await(30, TimeUnit.SECONDS));
        } catch (Exception e) {
          throw new IllegalStateException(
              "the operations listener did not start on HOTPATH_OPS_PORT="
                  + effective.ops().port()
                  + ": "
                  + e.getMessage(),
              e);
        }
      }
      // background work runs once per process, not per event loop
      vertx.deployVerticle(compute).await(30, TimeUnit.SECONDS);
      imports.attach(compute.pool(), compute.context());
      // the outbox relay to Kafka: only with a broker named (no Kafka class is loaded otherwise)
      if (effective.relay().enabled()) {
        vertx
            .deployVerticle(
                dev.hotpath.compute.relay.RelayVerticle.create(
                    effective.relay(),
                    db.coordinates(),
                    observability.registry(),
                    effective.server().shutdownGrace()))
            .await(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      redis.ifPresent(Redis::close);
      vertx.close();
      auth.ifPresent(a -> a.jwks().close());
      db.embedded().ifPresent(EmbeddedDatabase::close);
      throw new IllegalStateException(
          "HTTP server did not start on port " + effective.server().port() + ": " + e.getMessage(),
          e);
    }
    // ready once the hot path has run: the server's own reads over loopback, then clients
    readiness.require(Warmup.start(vertx, effective, auth));
    readiness.markMigrated();
    log.info(
        "hotpath serving on {}://{}:{} with {} event loops and {} database connections for"
            + " transactions, {} for reads; transport: {}",
        effective.transport().tls() ? "https" : "http",
        effective.server().host(),
        effective.server().port(),
        effective.server().eventLoops(),
        effective.database().poolSize(),
        effective.database().readPoolSize(),
        vertx.isNativeTransportEnabled()
            ? "epoll"
            : "nio"
                + (effective.transport().nativeTransport()
                    ? " (epoll unavailable: "
                        + (nativeTransport == null
                            ? "no native transport on the class path"
                            : nativeTransport.unavailabilityCause())
                        + ")"
                    : ""));
    App app =
        new App(
            new Parts(
                effective,
                db,
                readiness,
                vertx,
                observability,
                cache,
                invalidation,
                queries,
                auth,
                gatekeeper,
                compute,
                jobs,
                jobHandlers,
                outside));
    app.redis = redis;
    app.inProcess = inProcess;
    app.opsDeployment = opsDeployment;
    if (effective.grpc().enabled()) {
      try {
        app.grpc =
            Optional.of(
                GrpcServer.start(
                    effective.grpc(),
                    effective.server().host(),
                    inProcess,
                    (int) Math.min(Integer.MAX_VALUE, effective.server().bodyLimit()),
                    observability.registry(),
                    vertx));
      } catch (RuntimeException e) {
        app.close();
        throw e;
      }
    }
    return app;
  }

  /** The connection to Redis, when HOTPATH_REDIS_URL names one. */
  public Optional<Redis> redis() {
    return redis;
  }

  /** The port of the gRPC server, when it runs ({@code HOTPATH_GRPC_PORT}). */
  /** Requests this process sends its own routes in memory (gRPC calls, GraphQL mutations). */
  public InProcess inProcess() {
    return inProcess;
  }

  public Optional<Integer> grpcPort() {
    return grpc.map(GrpcServer::port);
  }

  /** The port of the operations listener, when it runs ({@code HOTPATH_OPS_PORT}). */
  public Optional<Integer> opsPort() {
    return opsDeployment.map(id -> parts.settings().ops().port());
  }

  /**
   * The authenticator when HOTPATH_AUTH is on, its keys loaded (start-up fails when they cannot
   * be); empty, with a warning, when it is off.
   */
  private static Optional<Authenticator> authenticator(AuthSettings settings) {
    if (!settings.enabled()) {
      log.warn(
          "authentication is off (HOTPATH_AUTH=off): every route is open, admin routes absent");
      return Optional.empty();
    }
    Jwks jwks =
        Jwks.open(settings.jwks().orElseThrow(), settings.refresh(), settings.refreshFloor());
    log.info(
        "trusting {} signing keys from {} for issuer {}",
        jwks.current().size(),
        settings.jwks().get(),
        settings.issuer().orElseThrow());
    return Optional.of(new Authenticator(settings, jwks));
  }

  /** Rate limits and admission control of this process. */
  public Gatekeeper gatekeeper() {
    return parts.gatekeeper();
  }

  /** Request authentication, when it is on. */
  public Optional<Authenticator> authenticator() {
    return parts.auth();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return parts.settings().server().port();
  }

  public Settings settings() {
    return parts.settings();
  }

  public DatabaseCoordinates database() {
    return parts.db().coordinates();
  }

  public Vertx vertx() {
    return parts.vertx();
  }

  public Compute compute() {
    return parts.compute();
  }

  public JobQueue jobs() {
    return parts.jobs();
  }

  /** The job kinds this process runs; more can be registered while it runs. */
  public JobHandlers jobHandlers() {
    return parts.jobHandlers();
  }

  /** The outside services (breakers, budgets, latency) every event loop of this process shares. */
  public OutsideServices outside() {
    return parts.outside();
  }

  /** The response cache every event loop of this process shares. */
  public ResponseCache cache() {
    return parts.cache();
  }

  /** The listener that applies other instances' writes to {@link #cache()}. */
  public CacheInvalidation invalidation() {
    return parts.invalidation();
  }

  /** Statements the read routes have sent to the database. */
  public QueryCounter queries() {
    return parts.queries();
  }

  /**
   * Drains, in the order a load balancer needs: readiness turns 503 at once; everything is still
   * served normally for {@link Settings#shutdownDelay()}, long enough for balancers to see it and
   * stop sending; then every HTTP/1.1 response says {@code Connection: close} and its connection
   * closes after it, HTTP/2 connections get a GOAWAY, the listener closes and in-flight requests
   * finish within the grace period (see {@link HttpVerticle#stop}), while background workers
   * (outbox consumers, jobs) finish their batch; then pools close, the invalidation listener stops,
   * then the embedded database stops. Runs once; later calls return at once.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    parts.readiness().markDraining();
    grpc.ifPresent(GrpcServer::draining);
    long delayMs = parts.settings().server().shutdownDelay().toMillis();
    if (delayMs > 0) {
      log.info("draining: /health/ready answers 503; serving on for {} ms", delayMs);
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        // asked to hurry: drain now
        Thread.currentThread().interrupt();
      }
    }
    long drainMs = parts.settings().server().shutdownGrace().toMillis() + 5_000;
    // gRPC calls in flight finish over the HTTP port, which is still open
    grpc.ifPresent(GrpcServer::close);
    try {
      // connections close and in-flight requests finish (with invalidations still applied) while
      // background workers finish their batch
      List<Future<?>> stopping = new ArrayList<>();
      for (String id : List.copyOf(parts.vertx().deploymentIDs())) {
        if (!opsDeployment.orElse("").equals(id)) {
          stopping.add(parts.vertx().undeploy(id));
        }
      }
      Future.join(stopping).await(drainMs, TimeUnit.MILLISECONDS);
      // the operations listener last: probes and scrapes are answered (ready: 503, draining)
      // while the API drains
      if (opsDeployment.isPresent()) {
        parts.vertx().undeploy(opsDeployment.get()).await(drainMs, TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      log.warn("HTTP servers or background workers did not stop cleanly: {}", e.toString());
    }
    try {
      parts.invalidation().close().await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("cache invalidation listener did not stop cleanly: {}", e.toString());
    }
    redis.ifPresent(Redis::close);
    try {
      parts
          .vertx()
          .close()
          .await(
              parts.settings().server().shutdownGrace().toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("event loops did not stop cleanly: {}", e.toString());
    }
    parts.observability().close();
    parts.auth().ifPresent(a -> a.jwks().close());
    parts.db().embedded().ifPresent(EmbeddedDatabase::close);
    log.info("hotpath stopped");
  }
}
