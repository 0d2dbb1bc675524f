package dev.hotpath.config;

import java.time.Duration;

/**
 * Bounds on what one client may send and hold, so that hostile input costs the server little.
 *
 * @param maxUrlBytes longest request line (HTTP/1) or URI (HTTP/2); 414 above
 * @param maxHeaderBytes largest header block; 431 above
 * @param maxHeaderCount most header fields; 431 above
 * @param jsonMaxDepth deepest nesting of a JSON body; 400 above
 * @param jsonMaxArray most elements in one JSON array of a body; 400 above
 * @param requestTimeout time from a request's headers to its response: 408 when the client has not
 *     sent its body by then, 503 when the server has not answered
 * @param headerTimeout time a connection has, once open, to send a complete request head; a client
 *     trickling bytes is cut off
 * @param idleTimeout time an idle connection is kept, and the time a keep-alive connection has
 *     after a response to send the next request head
 * @param maxConnections most connections open at once; further ones are closed at once
 * @param databaseGrace how long past its deadline (its route budget) a request's database work may
 *     still run before the request is answered 503 {@code database-timeout}; 0 holds it to the
 *     budget
 */
public record LimitSettings(
    int maxUrlBytes,
    int maxHeaderBytes,
    int maxHeaderCount,
    int jsonMaxDepth,
    int jsonMaxArray,
    Duration requestTimeout,
    Duration headerTimeout,
    Duration idleTimeout,
    int maxConnections,
    Duration databaseGrace) {
  public LimitSettings {
    new Rules()
        .atLeast("MAX_URL_BYTES", maxUrlBytes, 1)
        .atLeast("MAX_HEADER_BYTES", maxHeaderBytes, 1)
        .atLeast("MAX_HEADER_COUNT", maxHeaderCount, 1)
        .atLeast("JSON_MAX_DEPTH", jsonMaxDepth, 1)
        .atLeast("JSON_MAX_ARRAY", jsonMaxArray, 1)
        .positive("REQUEST_TIMEOUT_MS", requestTimeout)
        .positive("HEADER_TIMEOUT_MS", headerTimeout)
        .positive("IDLE_TIMEOUT_MS", idleTimeout)
        .atLeast("MAX_CONNECTIONS", maxConnections, 1)
        .notNegative("DB_DEADLINE_GRACE_MS", databaseGrace)
        .enforce();
  }

  /** HOTPATH_MAX_URL_BYTES, _MAX_HEADER_*, _JSON_MAX_*, the timeouts and _MAX_CONNECTIONS. */
  static LimitSettings from(EnvReader r) {
    return new LimitSettings(
        r.integer("MAX_URL_BYTES", 8192, 256, 65_536),
        r.integer("MAX_HEADER_BYTES", 16_384, 1024, 1 << 20),
        r.integer("MAX_HEADER_COUNT", 100, 8, 1000),
        r.integer("JSON_MAX_DEPTH", 32, 4, 256),
        r.integer("JSON_MAX_ARRAY", 1000, 1000, 1_000_000),
        r.millis("REQUEST_TIMEOUT_MS", 10_000, 100, 600_000),
        r.millis("HEADER_TIMEOUT_MS", 10_000, 100, 600_000),
        r.millis("IDLE_TIMEOUT_MS", 60_000, 1_000, 3_600_000),
        r.integer("MAX_CONNECTIONS", 10_000, 1, 1_000_000),
        r.millis("DB_DEADLINE_GRACE_MS", 0, 0, 600_000));
  }

  /** These limits with {@code connections} as {@link #maxConnections}. */
  LimitSettings withMaxConnections(int connections) {
    return new LimitSettings(
        maxUrlBytes,
        maxHeaderBytes,
        maxHeaderCount,
        jsonMaxDepth,
        jsonMaxArray,
        requestTimeout,
        headerTimeout,
        idleTimeout,
        connections,
        databaseGrace);
  }
}
