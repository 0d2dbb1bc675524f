package dev.hotpath.edge.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;

/**
 * Limits failed authentications per client address: a token bucket per address (a burst of {@code
 * perMinute}, refilled evenly over a minute). An address whose bucket is empty is refused before
 * any signature is checked, so bad tokens cannot buy CPU time. Memory is bounded: at most {@code
 * addresses} buckets, each dropped a minute after its last use (by then it would be full again).
 * Thread-safe.
 */
public final class FailedAuthLimiter {
  private static final Duration WINDOW = Duration.ofMinutes(1);

  private final int perMinute;
  private final Cache<String, Bucket> buckets;

  public FailedAuthLimiter(int perMinute, int addresses) {
    this.perMinute = perMinute;
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(addresses)
            .expireAfterAccess(WINDOW)
            .executor(Runnable::run) // maintenance on the caller: see ResponseCache
            .build();
  }

  /** Whether {@code address} has used up its failures. */
  public boolean blocked(String address) {
    Bucket bucket = buckets.getIfPresent(address);
    return bucket != null && bucket.getAvailableTokens() < 1;
  }

  /** Counts one failure; false when the address had none left. */
  public boolean fail(String address) {
    return buckets.get(address, a -> newBucket()).tryConsume(1);
  }

  /** Whole seconds until {@code address} may try again (at least 1). */
  public long retryAfterSeconds(String address) {
    Bucket bucket = buckets.getIfPresent(address);
    if (bucket == null) {
      return 1;
    }
    long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /** Addresses tracked now (estimate). */
  public long tracked() {
    return buckets.estimatedSize();
  }

  private Bucket newBucket() {
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, WINDOW).build())
        .build();
  }
}
