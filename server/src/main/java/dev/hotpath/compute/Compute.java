package dev.hotpath.compute;

import dev.hotpath.config.Settings;
import dev.hotpath.store.DatabaseCoordinates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The compute flow of one process: the outbox consumers (read models and side effects), on a pool
 * of their own so background work never takes connections from requests. Started once per process
 * after the HTTP verticles, stopped before them.
 */
public final class Compute {
  private final Pool pool;
  private final List<OutboxConsumer> consumers;

  private Compute(Pool pool, List<OutboxConsumer> consumers) {
    this.pool = pool;
    this.consumers = consumers;
  }

  public static Compute start(Vertx vertx, Settings settings, DatabaseCoordinates database) {
    Settings.Compute c = settings.compute();
    Pool pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(c.poolSize()).setName("hotpath-compute"))
            .connectingTo(database.connectOptions(settings.pipeliningLimit()))
            .using(vertx)
            .build();
    List<OutboxConsumer> consumers = new ArrayList<>();
    for (Projection projection : Rebuild.projections()) {
      consumers.add(new OutboxConsumer(vertx, pool, projection, c.outboxBatch(), c.outboxPoll()));
    }
    consumers.forEach(OutboxConsumer::start);
    return new Compute(pool, List.copyOf(consumers));
  }

  public List<OutboxConsumer> consumers() {
    return consumers;
  }

  public Pool pool() {
    return pool;
  }

  /** Lets every consumer finish its batch, then closes the pool. */
  public Future<Void> stop() {
    List<Future<Void>> stopping = new ArrayList<>();
    consumers.forEach(consumer -> stopping.add(consumer.stop()));
    return Future.join(stopping).transform(done -> pool.close());
  }
}
