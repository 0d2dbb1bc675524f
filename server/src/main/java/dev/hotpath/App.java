package dev.hotpath;

import dev.hotpath.compute.Compute;
import dev.hotpath.compute.ImportJob;
import dev.hotpath.compute.JobHandlers;
import dev.hotpath.compute.JobQueue;
import dev.hotpath.compute.Maintenance;
import dev.hotpath.compute.ReportJob;
import dev.hotpath.compute.WebhookDelivery;
import dev.hotpath.config.Settings;
import dev.hotpath.edge.Contract;
import dev.hotpath.edge.CursorCodec;
import dev.hotpath.edge.HttpVerticle;
import dev.hotpath.edge.Readiness;
import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.store.Migrations;
import dev.hotpath.store.SharedSecrets;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running hotpath: database (embedded or external), schema migrated, one HTTP verticle per event
 * loop. {@link #start} blocks until it serves; {@link #close} drains and stops everything it
 * started.
 */
public final class App implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(App.class);

  private final Settings settings;
  private final Optional<EmbeddedDatabase> embedded;
  private final DatabaseCoordinates database;
  private final Readiness readiness;
  private final Vertx vertx;
  private final Compute compute;
  private final String computeDeployment;
  private final JobQueue jobs;
  private final JobHandlers jobHandlers;

  private App(
      Settings settings,
      Optional<EmbeddedDatabase> embedded,
      DatabaseCoordinates database,
      Readiness readiness,
      Vertx vertx,
      Compute compute,
      String computeDeployment,
      JobQueue jobs,
      JobHandlers jobHandlers) {
    this.settings = settings;
    this.embedded = embedded;
    this.database = database;
    this.readiness = readiness;
    this.vertx = vertx;
    this.compute = compute;
    this.computeDeployment = computeDeployment;
    this.jobs = jobs;
    this.jobHandlers = jobHandlers;
  }

  /** Starts the database when embedded and migrates it; the first half of {@link #start}. */
  public static Database openDatabase(Settings settings) {
    Optional<EmbeddedDatabase> embedded =
        settings.databaseUrl().isPresent()
            ? Optional.empty()
            : Optional.of(
                EmbeddedDatabase.start(
                    settings.dataDir().resolve("pg"), settings.embeddedPgPort()));
    DatabaseCoordinates coordinates =
        settings
            .databaseUrl()
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
    Settings effective = settings.port() == 0 ? settings.withPort(freePort()) : settings;
    Contract contract = Contract.load();
    byte[] secret =
        effective
            .cursorSecret()
            .map(s -> s.getBytes(StandardCharsets.UTF_8))
            .orElseGet(() -> SharedSecrets.cursorKey(db.coordinates()));
    CursorCodec cursors = new CursorCodec(secret);
    Readiness readiness = new Readiness();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(effective.eventLoops()));
    JobQueue jobs = new JobQueue(effective.compute());
    JobHandlers jobHandlers =
        new JobHandlers()
            .register(Maintenance.KIND, new Maintenance())
            .register(ReportJob.KIND, new ReportJob(jobs))
            .register(
                ImportJob.KIND, new ImportJob(contract, effective.compute().importChunkLines()))
            .register(
                WebhookDelivery.KIND,
                new WebhookDelivery(SharedSecrets.webhookKey(db.coordinates())));
    jobs.recurring(Maintenance.KIND, Maintenance.EVERY);
    Compute compute = new Compute(effective, db.coordinates(), jobs, jobHandlers);
    String computeDeployment;
    try {
      vertx
          .deployVerticle(
              () ->
                  new HttpVerticle(effective, db.coordinates(), contract, cursors, readiness, jobs),
              new DeploymentOptions().setInstances(effective.eventLoops()))
          .await(30, TimeUnit.SECONDS);
      // background work runs once per process, not per event loop
      computeDeployment = vertx.deployVerticle(compute).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      db.embedded().ifPresent(EmbeddedDatabase::close);
      throw new IllegalStateException(
          "HTTP server did not start on port " + effective.port() + ": " + e.getMessage(), e);
    }
    readiness.markMigrated();
    log.info(
        "hotpath serving on http://{}:{} with {} event loops and {} database connections",
        effective.host(),
        effective.port(),
        effective.eventLoops(),
        effective.poolSize());
    return new App(
        effective,
        db.embedded(),
        db.coordinates(),
        readiness,
        vertx,
        compute,
        computeDeployment,
        jobs,
        jobHandlers);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return settings.port();
  }

  public Settings settings() {
    return settings;
  }

  public DatabaseCoordinates database() {
    return database;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Compute compute() {
    return compute;
  }

  public JobQueue jobs() {
    return jobs;
  }

  /** The job kinds this process runs; more can be registered while it runs. */
  public JobHandlers jobHandlers() {
    return jobHandlers;
  }

  /**
   * Drains: readiness turns 503, background workers finish their batch and stop, servers stop
   * accepting and finish in-flight requests (up to the grace period), pools close, then the
   * embedded database stops.
   */
  @Override
  public void close() {
    readiness.markDraining();
    try {
      vertx
          .undeploy(computeDeployment)
          .await(settings.shutdownGrace().toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("background workers did not stop cleanly: {}", e.toString());
    }
    try {
      vertx.close().await(settings.shutdownGrace().toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("event loops did not stop cleanly: {}", e.toString());
    }
    embedded.ifPresent(EmbeddedDatabase::close);
    log.info("hotpath stopped");
  }
}
