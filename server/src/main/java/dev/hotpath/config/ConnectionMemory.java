package dev.hotpath.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HOTPATH_MAX_CONNECTIONS} against the heap: each open connection holds heap (its channel,
 * pipeline, decoder, Vert.x connection and, while a request is in progress, the request's state),
 * and connections beyond what the heap holds turn every collection into a full one. Measured on the
 * demo server (`-Xmx224m`, old generation 128 MiB; tenured use after a full collection, from {@code
 * jcmd PID GC.heap_info}, 2026-12-07): 5,000 idle keep-alive connections that had sent one request
 * each added 37.5 MiB (7.5 KiB each), 3,000 connections each with an order whose body had not come
 * yet 38.6 MiB (13.3 KiB each). So the default allows {@link #HEAP_SHARE} of the heap at {@link
 * #BYTES_PER_CONNECTION} each: 3,584 connections for the launcher's 224 MiB heap; the rest of the
 * heap is the response cache (an eighth), the live data (about 25 MiB) and the young generation.
 */
final class ConnectionMemory {
  private static final Logger log = LoggerFactory.getLogger(ConnectionMemory.class);

  /** Heap one connection may hold, with a request in progress (13.3 KiB measured), rounded up. */
  static final long BYTES_PER_CONNECTION = 16 * 1024;

  /** The share of the heap the connections may hold together. */
  static final int HEAP_SHARE = 4;

  /** The fewest connections the default allows, however small the heap. */
  static final int LEAST = 64;

  private ConnectionMemory() {}

  /** The connections {@code maxHeapBytes} holds: a quarter of it at 16 KiB each. */
  static int bound(long maxHeapBytes) {
    return (int)
        Math.max(
            LEAST, Math.min(Integer.MAX_VALUE, maxHeapBytes / HEAP_SHARE / BYTES_PER_CONNECTION));
  }

  /**
   * {@code limits} fitted to the heap: the default is lowered to {@link #bound} (logged at INFO);
   * an explicit {@code HOTPATH_MAX_CONNECTIONS} above it is kept, with a WARN naming the risk.
   */
  static LimitSettings fit(LimitSettings limits, long maxHeapBytes, boolean explicit) {
    int bound = bound(maxHeapBytes);
    if (limits.maxConnections() <= bound) {
      return limits;
    }
    long mib = maxHeapBytes >> 20;
    if (explicit) {
      log.warn(
          "{}={} is more than the heap holds: at {} KiB each, a quarter of the {} MiB heap holds {}"
              + " connections; past that, collections become full ones (raise the heap or lower"
              + " the bound)",
          EnvReader.var("MAX_CONNECTIONS"),
          limits.maxConnections(),
          BYTES_PER_CONNECTION / 1024,
          mib,
          bound);
      return limits;
    }
    log.info(
        "{} {} (its default {} lowered to a quarter of the {} MiB heap at {} KiB per connection)",
        EnvReader.var("MAX_CONNECTIONS"),
        bound,
        limits.maxConnections(),
        mib,
        BYTES_PER_CONNECTION / 1024);
    return limits.withMaxConnections(bound);
  }
}
