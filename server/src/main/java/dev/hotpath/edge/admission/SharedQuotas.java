package dev.hotpath.edge.admission;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.hotpath.store.Redis;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.cas.LettuceBasedProxyManager;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The per-client and per-address buckets kept in Redis (Bucket4j's Lettuce backend: the bucket's
 * state is read and replaced by compare-and-swap), so that a quota holds across every instance. A
 * bucket lives in Redis for the time it takes to refill, then expires. The process-wide (global)
 * limit stays local: it protects this process. Results are handed back on the caller's context.
 *
 * <p>A burst of one client does not turn into a race of compare-and-swaps inside the process: each
 * bucket has one proxy here, with Bucket4j's batching optimization, so while one charge of a bucket
 * is in flight the charges that arrive meanwhile wait and then go together, as one read and one
 * compare-and-swap of a command that applies them in order. The instances still race each other,
 * but that is at most one attempt in flight per bucket and instance. Nothing is admitted that a
 * one-by-one charge would have refused: the batch is applied to the bucket's state as read, and
 * written back only if that state is still current. Proxies are kept for at most {@code
 * trackedKeys} buckets of each kind, each for {@link #PROXY_IDLE} after its last use.
 */
final class SharedQuotas {
  private static final String CLIENT_PREFIX = "hp:rate:c:";
  private static final String ADDRESS_PREFIX = "hp:rate:ip:";

  /**
   * How long a bucket's proxy is kept after its last use: batching matters only while charges of
   * one bucket overlap, and a proxy costs memory (a new one starts with an empty queue).
   */
  private static final Duration PROXY_IDLE = Duration.ofSeconds(10);

  private final Redis redis;
  private final BucketConfiguration clientConfig;
  private final BucketConfiguration addressConfig;
  private final Duration window;
  private final long trackedKeys;
  private @Nullable Proxies proxies;

  /** The bucket proxies of one connection: a new connection starts with none. */
  private record Proxies(
      RedisAsyncCommands<String, byte[]> commands,
      AsyncProxyManager<String> manager,
      Cache<String, AsyncBucketProxy> byKey) {}

  SharedQuotas(
      Redis redis, long clientQuota, long addressQuota, Duration window, long trackedKeys) {
    this.redis = redis;
    this.window = window;
    this.trackedKeys = trackedKeys;
    this.clientConfig = config(Math.max(1, clientQuota), window);
    this.addressConfig = config(Math.max(1, addressQuota), window);
  }

  private static BucketConfiguration config(long quota, Duration window) {
    return BucketConfiguration.builder()
        .addLimit(limit -> limit.capacity(quota).refillGreedy(quota, window))
        .build();
  }

  /** Whether Redis is in use now; when not, the local buckets decide alone. */
  boolean up() {
    return redis.up();
  }

  /** The proxies of the current connection (new ones after Redis was reconnected), or null. */
  private synchronized @Nullable Proxies proxies() {
    RedisAsyncCommands<String, byte[]> current = redis.commands();
    if (current == null) {
      return null;
    }
    if (proxies == null || proxies.commands() != current) {
      proxies =
          new Proxies(
              current,
              LettuceBasedProxyManager.builderFor(current)
                  .withExpirationStrategy(
                      ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(window))
                  .build()
                  .asAsync(),
              Caffeine.newBuilder()
                  .maximumSize(2 * trackedKeys) // clients' and addresses' buckets
                  .expireAfterAccess(PROXY_IDLE)
                  .executor(Runnable::run) // maintenance on the caller: see ResponseCache
                  .build());
    }
    return proxies;
  }

  private @Nullable AsyncBucketProxy bucket(String key, BucketConfiguration config) {
    Proxies p = proxies();
    return p == null
        ? null
        : p.byKey()
            .get(
                key,
                k ->
                    p.manager()
                        .builder()
                        .withOptimization(Optimizations.batching())
                        .build(k, config));
  }

  /** The client's bucket. */
  @Nullable AsyncBucketProxy client(String client) {
    return bucket(CLIENT_PREFIX + client, clientConfig);
  }

  /** The address's bucket. */
  @Nullable AsyncBucketProxy address(String address) {
    return bucket(ADDRESS_PREFIX + address, addressConfig);
  }

  /**
   * Takes {@code cost} from {@code bucket}, or nothing when it is null (that policy does not
   * apply); the probe comes back on {@code context}, and a failure marks Redis down.
   */
  Future<@Nullable ConsumptionProbe> take(
      @Nullable AsyncBucketProxy bucket, int cost, Context context) {
    if (bucket == null) {
      return Future.succeededFuture(null);
    }
    CompletableFuture<ConsumptionProbe> probe;
    try {
      // a charge queued behind one in flight (batching) would wait for that one's timeout, then
      // its own: it waits one timeout in all, as an unbatched charge did (a copy, so the batch's
      // own future, which it may still complete, is left alone)
      probe =
          bucket
              .tryConsumeAndReturnRemaining(cost)
              .copy()
              .orTimeout(redis.settings().timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      redis.failed(e);
      return Future.failedFuture(e);
    }
    return Future.fromCompletionStage(probe, context).onFailure(redis::failed);
  }

  /** Gives {@code cost} back to {@code bucket} (a refused sibling, or a 304); fire and forget. */
  void giveBack(@Nullable AsyncBucketProxy bucket, int cost) {
    if (bucket != null) {
      try {
        bucket.addTokens(cost).whenComplete((v, e) -> {});
      } catch (RuntimeException e) {
        redis.failed(e);
      }
    }
  }

  static Context context() {
    Context c = Vertx.currentContext();
    if (c == null) {
      throw new IllegalStateException("shared quotas are charged on a Vert.x context");
    }
    return c;
  }
}
