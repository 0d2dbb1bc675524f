package dev.hotpath.compute;

import dev.hotpath.config.ComputeSettings;
import dev.hotpath.config.Settings;
import dev.hotpath.store.CoalescedFlushes;
import dev.hotpath.store.DatabaseCoordinates;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The compute flow of one process, deployed once (not per event loop) after the HTTP verticles: the
 * outbox consumers (read models and side effects) and the job workers, on a pool of their own so
 * background work never takes connections from requests. Everything it runs is confined to its
 * event loop; CPU-heavy job steps go to worker threads. Undeployed before the HTTP verticles.
 */
public final class Compute extends VerticleBase {
  private final Settings settings;
  private final DatabaseCoordinates database;
  private final JobQueue queue;
  private final JobHandlers handlers;
  private final String worker;
  private Pool pool;
  private final List<OutboxConsumer> consumers = new ArrayList<>();
  private JobWorkers workers;
  private final ProjectionLag lag;

  public Compute(
      Settings settings, DatabaseCoordinates database, JobQueue queue, JobHandlers handlers) {
    this.settings = settings;
    this.database = database;
    this.queue = queue;
    this.handlers = handlers;
    this.worker =
        ManagementFactory.getRuntimeMXBean().getName()
            + "/"
            + UUID.randomUUID().toString().substring(0, 8);
    this.lag =
        new ProjectionLag(
            Rebuild.projections().stream().map(Projection::name).toList(),
            settings.compute().readyMaxLag());
  }

  /** How far the consumers are behind the log: a readiness check and a gauge. */
  public ProjectionLag lag() {
    return lag;
  }

  @Override
  public Future<?> start() {
    ComputeSettings c = settings.compute();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(c.poolSize()).setName("hotpath-compute"))
            .connectingTo(connectOptions(database, settings.database().pipeliningLimit()))
            // statements executed together (a batch's BEGIN and lock, a projection's updates)
            // go out in one socket write
            .withConnectHandler(
                conn -> {
                  CoalescedFlushes.install(conn);
                  conn.close();
                })
            .using(vertx)
            .build();
    for (Projection projection : Rebuild.projections()) {
      consumers.add(new OutboxConsumer(vertx, pool, projection, c.outboxBatch(), c.outboxPoll()));
    }
    consumers.forEach(OutboxConsumer::start);
    lag.start(vertx, pool);
    workers = new JobWorkers(vertx, pool, queue, handlers, worker, c);
    workers.start();
    // one pending run of each recurring job across all instances (deduplicated by kind)
    List<Future<?>> scheduled = new ArrayList<>();
    for (String kind : handlers.kinds()) {
      if (queue.isRecurring(kind)) {
        scheduled.add(queue.enqueue(pool, queue.recurringSpec(kind)));
      }
    }
    return Future.all(scheduled);
  }

  /**
   * The consumers' and jobs' connections plan their prepared statements once ({@code
   * plan_cache_mode=force_generic_plan}), as the request connections do. A custom plan of a
   * consumer's next batch ({@code (txid, id) > ($1, $2)}) is estimated from the log's statistics,
   * and a log whose events share few transactions (a seed, an import: 10M seeded orders wrote 11M
   * events in one) makes that estimate one row: the planner then sorted every event after the
   * position to take the first batch (6.2 s a batch on 10M orders, the catch-up at about 1,300
   * events/s), where the generic plan merges the partitions' (txid, id) indexes and stops after the
   * batch (6 ms). {@code ConsumerPlanTest} holds the plan.
   */
  static PgConnectOptions connectOptions(DatabaseCoordinates database, int pipeliningLimit) {
    return database
        .connectOptions(pipeliningLimit)
        .addProperty("plan_cache_mode", "force_generic_plan")
        .addProperty("max_parallel_workers_per_gather", PARALLEL_WORKERS);
  }

  /**
   * No parallel workers for the consumers' and jobs' statements. A consumer reads a bounded batch,
   * which a worker's start-up would only slow down; with the log's statistics of a partition whose
   * events share few transactions (a seed, an import), the generic plan of a batch's range was a
   * parallel scan of that partition's whole {@code (txid, id)} index instead of the three bounded
   * ranges ({@code ConsumerPlanTest}). And work off the request path should not fan out over every
   * core of the database's machine while requests wait for them: a report runs on one backend.
   */
  static final String PARALLEL_WORKERS = "0";

  public List<OutboxConsumer> consumers() {
    return List.copyOf(consumers);
  }

  /** The context the compute verticle runs on (its pool's). */
  public io.vertx.core.Context context() {
    return context;
  }

  /** The compute pool (for job handlers and tests). */
  public Pool pool() {
    return pool;
  }

  /** The name this process's workers claim jobs under. */
  public String worker() {
    return worker;
  }

  /** Lets every consumer finish its batch and every running job end, then closes the pool. */
  @Override
  public Future<?> stop() {
    lag.stop();
    List<Future<Void>> stopping = new ArrayList<>();
    consumers.forEach(consumer -> stopping.add(consumer.stop()));
    if (workers != null) {
      stopping.add(workers.stop());
    }
    return Future.join(stopping)
        .timeout(
            settings.server().shutdownGrace().toMillis(),
            java.util.concurrent.TimeUnit.MILLISECONDS)
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close());
  }
}
