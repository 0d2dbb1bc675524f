package dev.hotpath.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The HTTP server: where it listens, how many event loops serve it, what it accepts and how it
 * stops.
 *
 * @param host interface the HTTP server binds to ({@code HOTPATH_HOST})
 * @param port HTTP port; 0 picks a free one (tests)
 * @param eventLoops HTTP verticle instances, one per event loop
 * @param bodyLimit largest accepted request body in bytes (413 above)
 * @param gzipMinBytes smallest response body sent gzip-coded to a client that accepts it
 * @param cursorSecret key of the cursor MAC; empty means a key kept in the database, so that all
 *     instances on one database share it
 * @param shutdownGrace how long SIGTERM waits for in-flight requests
 * @param shutdownDelay how long SIGTERM keeps serving normally after readiness turns 503, so that
 *     balancers see it and stop sending before connections are closed
 */
public record ServerSettings(
    String host,
    int port,
    int eventLoops,
    long bodyLimit,
    int gzipMinBytes,
    Optional<String> cursorSecret,
    Duration shutdownGrace,
    Duration shutdownDelay) {
  public ServerSettings {
    new Rules()
        .require(!host.isBlank(), EnvReader.var("HOST") + " must not be blank")
        .range("PORT", port, 0, 65535)
        .atLeast("EVENT_LOOPS", eventLoops, 1)
        .atLeast("BODY_LIMIT", bodyLimit, 1)
        .atLeast("GZIP_MIN_BYTES", gzipMinBytes, 0)
        .require(
            cursorSecret.isEmpty() || cursorSecret.get().length() >= 16,
            EnvReader.var("CURSOR_SECRET") + " must be at least 16 characters")
        .notNegative("SHUTDOWN_GRACE_MS", shutdownGrace)
        .notNegative("SHUTDOWN_DELAY_MS", shutdownDelay)
        .enforce();
  }

  /**
   * HOTPATH_HOST, _PORT, _EVENT_LOOPS, _BODY_LIMIT, _GZIP_MIN_BYTES, _CURSOR_SECRET, _SHUTDOWN_*.
   */
  static ServerSettings from(EnvReader r) {
    return new ServerSettings(
        r.string("HOST", "0.0.0.0"),
        r.integer("PORT", 8080, 0, 65535),
        r.integer("EVENT_LOOPS", Runtime.getRuntime().availableProcessors(), 1, 256),
        r.integer("BODY_LIMIT", 1024 * 1024, 1024, 64 * 1024 * 1024),
        r.integer("GZIP_MIN_BYTES", 1024, 0, 64 * 1024 * 1024),
        r.optionalString("CURSOR_SECRET"),
        r.millis("SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
        r.millis("SHUTDOWN_DELAY_MS", 5_000, 0, 600_000));
  }

  ServerSettings withPort(int newPort) {
    return new ServerSettings(
        host,
        newPort,
        eventLoops,
        bodyLimit,
        gzipMinBytes,
        cursorSecret,
        shutdownGrace,
        shutdownDelay);
  }
}
