package dev.hotpath.config;

import java.time.Duration;

/**
 * Bounds of the in-process response cache.
 *
 * @param maxBytes weight bound: encoded bytes of the bodies held (plus an estimate of their gzip
 *     form and per-entry overhead); the least valuable entries are evicted above it
 * @param ttl how long an entry lives after it was loaded; a safety net only, since every write
 *     evicts what it changes, so it bounds how long a change made behind the API's back (SQL by
 *     hand, another program) can stay invisible
 * @param negativeTtl how long a "no such resource" answer is kept; 0 keeps none (concurrent misses
 *     for a missing id still share one query)
 */
public record CacheSettings(long maxBytes, Duration ttl, Duration negativeTtl) {
  public CacheSettings {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative, was " + maxBytes);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, was " + ttl);
    }
    if (negativeTtl.isNegative() || negativeTtl.compareTo(ttl) > 0) {
      throw new IllegalArgumentException(
          "negativeTtl must be from 0 to ttl (" + ttl + "), was " + negativeTtl);
    }
  }
}
