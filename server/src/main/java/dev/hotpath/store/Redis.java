package dev.hotpath.store;

import dev.hotpath.config.RedisSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection to Redis ({@code HOTPATH_REDIS_URL}) that the shared cache level and the shared
 * rate limits use, and whether Redis is usable now. Commands are asynchronous (Lettuce on its own
 * Netty threads) and bounded by {@link RedisSettings#timeout()}; their results are handed back on
 * the caller's Vert.x context, so an event loop never waits for Redis.
 *
 * <p><b>Up and down.</b> Any failed or late command marks Redis down: callers then skip it ({@link
 * #up()} is false) and go on without it, so a slow or dead Redis costs each request at most one
 * timeout, once. While down, a {@code PING} every {@link RedisSettings#probe()} (and a new
 * connection when there is none, as when Redis was down at start) finds out when it is back. Each
 * change is logged once and counted: {@code hotpath_redis_up} (1 or 0), {@code
 * hotpath_redis_errors_total} and {@code hotpath_redis_transitions_total}. Thread-safe.
 */
public final class Redis implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Redis.class);

  /** Keys are text, values bytes: encoded bodies, and Bucket4j's bucket states. */
  public static final RedisCodec<String, byte[]> CODEC =
      RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private final Vertx vertx;
  private final RedisSettings settings;
  private final ClientResources resources;
  private final RedisClient client;
  private final RedisURI uri;
  private final AtomicBoolean up = new AtomicBoolean();
  private final AtomicBoolean connecting = new AtomicBoolean();
  private final Counter errors;
  private final Counter transitions;
  private final long probeTimer;
  private volatile @Nullable StatefulRedisConnection<String, byte[]> connection;
  private volatile boolean closed;

  private Redis(Vertx vertx, RedisSettings settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.settings = settings;
    this.uri = RedisURI.create(settings.url().orElseThrow());
    this.resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            // reconnect soon after Redis is back; a dead Redis costs one attempt per half second
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS))
            .build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            // fail at once while disconnected, rather than queue commands until a reconnect
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(settings.timeout()))
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(settings.timeout().multipliedBy(10))
                    .keepAlive(true)
                    .build())
            .build());
    this.errors =
        Counter.builder("hotpath_redis_errors")
            .description("Redis commands that failed or timed out (the request went on without)")
            .register(registry);
    this.transitions =
        Counter.builder("hotpath_redis_transitions")
            .description("Times Redis was found down, or back up")
            .register(registry);
    Gauge.builder("hotpath_redis_up", up, u -> u.get() ? 1 : 0)
        .description("1 while Redis answers, 0 while requests go on without it")
        .register(registry);
    this.probeTimer = vertx.setPeriodic(settings.probe().toMillis(), id -> probe());
  }

  /**
   * The connection of {@code settings}, or empty when no Redis is named. Does not wait for Redis:
   * it is up once the first connection succeeds, which is tried at once.
   */
  public static Optional<Redis> open(Vertx vertx, RedisSettings settings, MeterRegistry registry) {
    if (!settings.enabled()) {
      return Optional.empty();
    }
    Redis redis = new Redis(vertx, settings, registry);
    redis.probe();
    return Optional.of(redis);
  }

  /** Connects and waits (at most {@code timeout}) until Redis answers; false if it did not. */
  public boolean awaitUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!up.get() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return up.get();
  }

  /** Whether Redis is in use: false from a failed command until a probe is answered. */
  public boolean up() {
    return up.get();
  }

  public RedisSettings settings() {
    return settings;
  }

  /**
   * The asynchronous commands, or null when there is no connection (check {@link #up()} first).
   * Callers send through {@link #call}, or report each failure to {@link #failed}.
   */
  public @Nullable RedisAsyncCommands<String, byte[]> commands() {
    StatefulRedisConnection<String, byte[]> c = connection;
    return c == null ? null : c.async();
  }

  /**
   * Sends one command and hands its result back on the calling context (an event loop), counting
   * its failure as Redis down. Fails at once when Redis is down.
   */
  public <T> Future<T> call(Function<RedisAsyncCommands<String, byte[]>, CompletionStage<T>> op) {
    RedisAsyncCommands<String, byte[]> commands = commands();
    if (commands == null || !up.get()) {
      return Future.failedFuture(Down.INSTANCE);
    }
    CompletionStage<T> stage;
    try {
      stage = op.apply(commands);
    } catch (RuntimeException e) {
      failed(e);
      return Future.failedFuture(e);
    }
    Context context = vertx.getOrCreateContext();
    return Future.fromCompletionStage(stage, context).onFailure(this::failed);
  }

  /**
   * Records that Redis answered the probe. Only the probe brings Redis back: a late answer to a
   * command sent before Redis was found down does not, so a slow Redis does not flap.
   */
  private void answered() {
    if (!closed && up.compareAndSet(false, true)) {
      transitions.increment();
      log.info("redis {} is up: shared cache level and shared rate limits in use", where());
    }
  }

  /** Records a failed or late command: Redis is skipped until a probe finds it answering again. */
  public void failed(Throwable cause) {
    if (cause instanceof Down) {
      return;
    }
    errors.increment();
    if (up.compareAndSet(true, false)) {
      transitions.increment();
      log.warn(
          "redis {} is down ({}): serving from the local cache and the database, limits are local"
              + " until it answers again",
          where(),
          cause.toString());
    }
  }

  private String where() {
    return uri.getHost() + ":" + uri.getPort();
  }

  /** Pings a Redis held down, or connects when there is no connection yet. */
  private void probe() {
    if (closed || up.get()) {
      return;
    }
    StatefulRedisConnection<String, byte[]> c = connection;
    if (c == null) {
      if (connecting.compareAndSet(false, true)) {
        client
            .connectAsync(CODEC, uri)
            .whenComplete(
                (conn, e) -> {
                  connecting.set(false);
                  if (e != null) {
                    log.debug("redis connect failed: {}", e.toString());
                    return;
                  }
                  if (closed) {
                    conn.closeAsync();
                    return;
                  }
                  connection = conn;
                  answered();
                });
      }
      return;
    }
    c.async()
        .ping()
        .whenComplete(
            (pong, e) -> {
              if (e == null) {
                answered();
              }
            });
  }

  @Override
  public void close() {
    closed = true;
    up.set(false);
    vertx.cancelTimer(probeTimer);
    StatefulRedisConnection<String, byte[]> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }

  /** The failure of a command not sent because Redis is down; cheap (no stack trace). */
  public static final class Down extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final Down INSTANCE = new Down();

    private Down() {
      super("redis is down", null, false, false);
    }
  }
}
