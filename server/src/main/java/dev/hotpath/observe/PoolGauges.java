package dev.hotpath.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * USE metrics of the database pools (all event loops' pools together): connections in use, requests
 * waiting for one, and how long they wait. Fed by Vert.x's pool metrics SPI.
 */
final class PoolGauges implements VertxMetricsFactory {
  private final AtomicInteger inUse = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger size = new AtomicInteger();
  private final Timer wait;

  PoolGauges(MeterRegistry registry) {
    Meters.gauge(
        registry,
        "hotpath_db_pool_in_use",
        "Database connections executing a request",
        inUse,
        AtomicInteger::get);
    Meters.gauge(
        registry,
        "hotpath_db_pool_waiting",
        "Requests waiting for a database connection",
        waiting,
        AtomicInteger::get);
    Meters.gauge(
        registry,
        "hotpath_db_pool_max",
        "Database connections allowed in total",
        size,
        AtomicInteger::get);
    wait =
        Timer.builder("hotpath_db_pool_wait")
            .description("Time spent waiting for a database connection")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new VertxMetrics() {
      @Override
      public PoolMetrics<?, ?> createPoolMetrics(
          String poolType, String poolName, int maxPoolSize) {
        if (!"sql".equals(poolType)) {
          return null;
        }
        size.addAndGet(Math.max(0, maxPoolSize));
        return new Sql();
      }
    };
  }

  private final class Sql implements PoolMetrics<Long, Boolean> {
    @Override
    public Long enqueue() {
      waiting.incrementAndGet();
      return System.nanoTime();
    }

    @Override
    public void dequeue(Long enqueued) {
      waiting.decrementAndGet();
      wait.record(System.nanoTime() - enqueued, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Override
    public Boolean begin() {
      inUse.incrementAndGet();
      return Boolean.TRUE;
    }

    @Override
    public void end(Boolean started) {
      inUse.decrementAndGet();
    }

    @Override
    public void close() {}
  }
}
