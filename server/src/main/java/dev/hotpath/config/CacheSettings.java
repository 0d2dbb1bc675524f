package dev.hotpath.config;

import java.time.Duration;

/**
 * Bounds of the in-process response cache.
 *
 * @param maxBytes weight bound: encoded bytes of the bodies held (plus an estimate of their gzip
 *     form and per-entry overhead); the least valuable entries are evicted above it; 0 keeps
 *     nothing: each miss is then its own load, not shared with concurrent misses of its key
 * @param ttl how long an entry lives after it was loaded; a safety net only, since every write
 *     evicts what it changes, so it bounds how long a change made behind the API's back (SQL by
 *     hand, another program) can stay invisible
 * @param negativeTtl how long a "no such resource" answer is kept; 0 keeps none (concurrent misses
 *     for a missing id still share one query, unless maxBytes is 0)
 */
public record CacheSettings(long maxBytes, Duration ttl, Duration negativeTtl) {
  public CacheSettings {
    new Rules()
        .atLeast("CACHE_MAX_MB", maxBytes, 0)
        .positive("CACHE_TTL_MS", ttl)
        .notNegative("CACHE_NEGATIVE_TTL_MS", negativeTtl)
        .notAbove("CACHE_NEGATIVE_TTL_MS", negativeTtl.toMillis(), "CACHE_TTL_MS", ttl.toMillis())
        .enforce();
  }

  /**
   * HOTPATH_CACHE_MAX_MB (default: an eighth of the heap, never less than 16 MiB; 26 MiB at the
   * launcher's -Xmx224m, whose usable heap is 214 MiB beside one survivor space; an entry weighs
   * about 0.4 KiB (customer) to 2 KiB (order with lines), so the default holds some 13,000 to
   * 66,000 representations; see README, "Sizing the response cache"), HOTPATH_CACHE_TTL_MS and
   * HOTPATH_CACHE_NEGATIVE_TTL_MS.
   */
  static CacheSettings from(EnvReader r) {
    long heapMb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
    int defaultMegabytes = (int) Math.max(16, Math.min(Integer.MAX_VALUE, heapMb / 8));
    return new CacheSettings(
        r.integer("CACHE_MAX_MB", defaultMegabytes, 0, 1 << 20) * 1024L * 1024L,
        r.millis("CACHE_TTL_MS", 60_000, 1_000, 86_400_000),
        r.millis("CACHE_NEGATIVE_TTL_MS", 2_000, 0, 600_000));
  }
}
