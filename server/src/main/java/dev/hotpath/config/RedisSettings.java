package dev.hotpath.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Redis as the shared second cache level and the shared rate limits: off unless {@code
 * HOTPATH_REDIS_URL} names a server (then no Redis class is used at all).
 *
 * @param url {@code redis://[:password@]host:port[/database]} (or {@code rediss://} for TLS)
 * @param timeout bound of one Redis command; a slower answer counts as Redis failing, and the
 *     request goes on without Redis
 * @param probe how often a Redis held down is asked whether it is back ({@code PING})
 * @param lease how long the one instance that loads a missing entry from the database holds the
 *     right to fill it; others wait for the fill meanwhile
 * @param leaseWait how long an instance that found the lease taken waits for the fill before it
 *     loads from the database itself (without filling)
 * @param ttl how long an entry lives in Redis after the last fill of its resource; a safety net,
 *     since writes delete what they change
 */
public record RedisSettings(
    Optional<URI> url,
    Duration timeout,
    Duration probe,
    Duration lease,
    Duration leaseWait,
    Duration ttl) {
  public RedisSettings {
    new Rules()
        .positive("REDIS_TIMEOUT_MS", timeout)
        .positive("REDIS_PROBE_MS", probe)
        .positive("REDIS_LEASE_MS", lease)
        .notNegative("REDIS_LEASE_WAIT_MS", leaseWait)
        .notAbove("REDIS_LEASE_WAIT_MS", leaseWait.toMillis(), "REDIS_LEASE_MS", lease.toMillis())
        .positive("REDIS_TTL_MS", ttl)
        .enforce();
  }

  /** Whether Redis is used. */
  public boolean enabled() {
    return url.isPresent();
  }

  /** These settings with Redis at {@code url}. */
  public RedisSettings withUrl(URI url) {
    return new RedisSettings(Optional.of(url), timeout, probe, lease, leaseWait, ttl);
  }

  /**
   * HOTPATH_REDIS_URL, HOTPATH_REDIS_TIMEOUT_MS, HOTPATH_REDIS_PROBE_MS, HOTPATH_REDIS_LEASE_MS,
   * HOTPATH_REDIS_LEASE_WAIT_MS and HOTPATH_REDIS_TTL_MS.
   */
  static RedisSettings from(EnvReader r) {
    return new RedisSettings(
        redisUrl(r),
        r.millis("REDIS_TIMEOUT_MS", 100, 1, 60_000),
        r.millis("REDIS_PROBE_MS", 500, 10, 60_000),
        r.millis("REDIS_LEASE_MS", 2_000, 10, 600_000),
        r.millis("REDIS_LEASE_WAIT_MS", 300, 0, 600_000),
        r.millis("REDIS_TTL_MS", 300_000, 1_000, 86_400_000));
  }

  private static Optional<URI> redisUrl(EnvReader r) {
    Optional<String> value = r.optionalString("REDIS_URL");
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(value.get());
      if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())
          || uri.getHost() == null) {
        r.fail(EnvReader.var("REDIS_URL") + " must look like redis://host:6379");
        return Optional.empty();
      }
      return Optional.of(uri);
    } catch (Exception e) {
      r.fail(EnvReader.var("REDIS_URL") + " is not a valid URL");
      return Optional.empty();
    }
  }
}
