package dev.hotpath.edge.admission;

import dev.hotpath.store.Redis;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.cas.LettuceBasedProxyManager;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The per-client and per-address buckets kept in Redis (Bucket4j's Lettuce backend: the bucket's
 * state is read and replaced by compare-and-swap), so that a quota holds across every instance. A
 * bucket lives in Redis for the time it takes to refill, then expires. The process-wide (global)
 * limit stays local: it protects this process. Results are handed back on the caller's context.
 */
final class SharedQuotas {
  private static final String CLIENT_PREFIX = "hp:rate:c:";
  private static final String ADDRESS_PREFIX = "hp:rate:ip:";

  private final Redis redis;
  private final BucketConfiguration clientConfig;
  private final BucketConfiguration addressConfig;
  private final Duration window;
  private @Nullable RedisAsyncCommands<String, byte[]> commands;
  private @Nullable AsyncProxyManager<String> buckets;

  SharedQuotas(Redis redis, long clientQuota, long addressQuota, Duration window) {
    this.redis = redis;
    this.window = window;
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

  /** The proxy manager of the current connection (a new one after Redis was reconnected). */
  private synchronized @Nullable AsyncProxyManager<String> buckets() {
    RedisAsyncCommands<String, byte[]> current = redis.commands();
    if (current == null) {
      return null;
    }
    if (current != commands) {
      commands = current;
      buckets =
          LettuceBasedProxyManager.builderFor(current)
              .withExpirationStrategy(
                  ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(window))
              .build()
              .asAsync();
    }
    return buckets;
  }

  /** The client's bucket. */
  @Nullable AsyncBucketProxy client(String client) {
    AsyncProxyManager<String> b = buckets();
    return b == null ? null : b.builder().build(CLIENT_PREFIX + client, clientConfig);
  }

  /** The address's bucket. */
  @Nullable AsyncBucketProxy address(String address) {
    AsyncProxyManager<String> b = buckets();
    return b == null ? null : b.builder().build(ADDRESS_PREFIX + address, addressConfig);
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
      probe = bucket.tryConsumeAndReturnRemaining(cost);
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
