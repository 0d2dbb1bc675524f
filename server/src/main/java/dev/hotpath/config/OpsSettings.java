package dev.hotpath.config;

/**
 * The operations listener: health, metrics and the admin routes on a port of their own, so that a
 * probe or a scrape is answered while clients hold every connection the API port allows (issue
 * #18). Off unless {@code HOTPATH_OPS_PORT} names a port: one port is what {@code ./hotpath serve
 * --demo} and a first deployment need, and a second listener is something an operator opens in the
 * network (probes, scrapers, NetworkPolicy) on purpose, not something that appears unasked.
 *
 * @param port the port ({@code HOTPATH_OPS_PORT}); 0: no operations listener (the API port serves
 *     the same routes, as it always does)
 * @param maxConnections connections the operations listener keeps open at once ({@code
 *     HOTPATH_OPS_MAX_CONNECTIONS}), counted apart from {@code HOTPATH_MAX_CONNECTIONS}; further
 *     ones are closed on the acceptor thread, as the API port's are
 */
public record OpsSettings(int port, int maxConnections) {
  public OpsSettings {
    new Rules()
        .range("OPS_PORT", port, 0, 65_535)
        .range("OPS_MAX_CONNECTIONS", maxConnections, 1, 1_024)
        .enforce();
  }

  /** Whether the operations listener runs. */
  public boolean enabled() {
    return port > 0;
  }

  /** HOTPATH_OPS_PORT (0: off), HOTPATH_OPS_MAX_CONNECTIONS (32). */
  static OpsSettings from(EnvReader r) {
    return new OpsSettings(
        r.integer("OPS_PORT", 0, 0, 65_535), r.integer("OPS_MAX_CONNECTIONS", 32, 1, 1_024));
  }

  /** The same settings on another port (tests pick a free one). */
  public OpsSettings withPort(int value) {
    return new OpsSettings(value, maxConnections);
  }
}
