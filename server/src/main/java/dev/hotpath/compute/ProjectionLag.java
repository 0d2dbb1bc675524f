package dev.hotpath.compute;

import dev.hotpath.http.Readiness;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far the outbox consumers (read models, side effects) are behind the event log: for each, the
 * age of the oldest committed event it has not applied (0 when it has applied them all), sampled
 * every {@link #EVERY} by one indexed query per sample. A process is ready for traffic only while
 * every consumer's lag is within the bound ({@code HOTPATH_READY_MAX_LAG_MS}): a server that has
 * just started on a log it has not yet projected (a seed, a restore, a backlog) would otherwise
 * answer summaries and popularity from stale read models. The lag is the gauge {@code
 * hotpath_projection_lag_seconds{consumer}}. Once caught up the process stays ready ({@link #ok}).
 * Until the first sample the check fails (unknown is not caught up); a failed sample keeps the
 * previous one. Thread-safe.
 */
public final class ProjectionLag implements Readiness.Check {
  static final Duration EVERY = Duration.ofMillis(500);

  /** Per consumer: milliseconds since the oldest event it has not applied was written. */
  static final String LAG =
      "SELECT c.consumer, COALESCE((SELECT (extract(epoch FROM now() - o.created_at) * 1000)::bigint"
          + " FROM outbox o WHERE (o.txid, o.id) > (c.last_txid, c.last_id)"
          + " ORDER BY o.txid, o.id LIMIT 1), 0) FROM consumer_offsets c WHERE c.consumer = ANY($1)";

  private static final long UNKNOWN = -1;

  private final List<String> consumers;
  private final Duration bound;
  private final Map<String, AtomicLong> lagMillis = new ConcurrentHashMap<>();
  private volatile long timer = -1;
  private volatile boolean caughtUp;
  private volatile Vertx vertx;

  /**
   * @param consumers names of the consumers whose lag counts
   * @param bound the largest lag at which the process is still ready; zero turns the check off
   */
  ProjectionLag(List<String> consumers, Duration bound) {
    this.consumers = List.copyOf(consumers);
    this.bound = bound;
    for (String name : consumers) {
      lagMillis.put(name, new AtomicLong(UNKNOWN));
    }
  }

  /** Samples now and then every {@link #EVERY}, on {@code vertx}'s current context. */
  void start(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    sample(pool);
    timer = vertx.setPeriodic(EVERY.toMillis(), id -> sample(pool));
  }

  void stop() {
    if (timer >= 0 && vertx != null) {
      vertx.cancelTimer(timer);
    }
  }

  private void sample(Pool pool) {
    pool.preparedQuery(LAG)
        .execute(Tuple.of(consumers.toArray(new String[0])))
        .onSuccess(
            rows -> {
              for (Row row : rows) {
                AtomicLong lag = lagMillis.get(row.getString(0));
                if (lag != null) {
                  lag.set(Math.max(0, row.getLong(1)));
                }
              }
              ok(); // latches once caught up, whether or not anyone asked
            });
  }

  /** Registers {@code hotpath_projection_lag_seconds{consumer}} (NaN before the first sample). */
  public void bind(MeterRegistry registry) {
    lagMillis.forEach(
        (name, lag) ->
            Gauge.builder(
                    "hotpath_projection_lag_seconds",
                    lag,
                    l -> l.get() == UNKNOWN ? Double.NaN : l.get() / 1000.0)
                .description(
                    "Age of the oldest event an outbox consumer (read model, side effect) has not"
                        + " applied yet; 0 when it has applied every committed event")
                .tag("consumer", name)
                .register(registry));
  }

  @Override
  public String name() {
    return "projections";
  }

  /**
   * Whether this process has caught up once since it started. A start-up gate, not a steady-state
   * check: read models are shared by every instance, so a lag later on (a long transaction holding
   * the horizon, a slow consumer) would take every instance out of the balancer at once and turn a
   * stale summary into an outage. The lag stays a metric, and alerts watch it.
   */
  @Override
  public boolean ok() {
    if (caughtUp || bound.isZero()) {
      return true;
    }
    for (AtomicLong lag : lagMillis.values()) {
      long l = lag.get();
      if (l == UNKNOWN || l > bound.toMillis()) {
        return false;
      }
    }
    caughtUp = true;
    return true;
  }

  @Override
  public String state() {
    return ok() ? "caught-up" : "behind";
  }
}
