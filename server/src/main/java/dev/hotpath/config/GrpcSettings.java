package dev.hotpath.config;

import java.time.Duration;

/**
 * The gRPC server (api/proto's services), on its own port; off unless {@code HOTPATH_GRPC_PORT}
 * names one.
 *
 * <p>Keepalive and connection age are set for balancers. gRPC keeps one HTTP/2 connection per
 * client and multiplexes every call on it, so a balancer that spreads connections (L4, or an L7 one
 * that pins a stream's connection) never moves an old client to a new instance: {@code
 * maxConnectionAge} makes the server send GOAWAY after that age (clients reconnect, and are
 * balanced again), with {@code maxConnectionAgeGrace} for calls in flight to finish. Balancers and
 * NATs silently drop flows they think idle; the server's keepalive pings ({@code keepAlive}, a
 * connection dropped when a ping is not answered within {@code keepAliveTimeout}) find dead peers
 * and keep live idle connections known to the middleboxes.
 *
 * @param port the port ({@code HOTPATH_GRPC_PORT}); 0: no gRPC server
 * @param keepAlive time without reads before the server pings the client
 * @param keepAliveTimeout how long the server waits for a ping's answer before it closes
 * @param maxConnectionAge age after which a connection is sent GOAWAY
 * @param maxConnectionAgeGrace time calls in flight get after that GOAWAY
 * @param maxCallsPerConnection calls one connection may have open at once (HTTP/2's {@code
 *     SETTINGS_MAX_CONCURRENT_STREAMS}): the bound on a client's calls the server holds while
 *     admission has no slot for them, as the HTTP server's streams are bounded for REST over h2
 */
public record GrpcSettings(
    int port,
    Duration keepAlive,
    Duration keepAliveTimeout,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace,
    int maxCallsPerConnection) {
  public GrpcSettings {
    new Rules()
        .require(
            port >= 0 && port <= 65_535,
            EnvReader.var("GRPC_PORT") + "=" + port + " must be a port (0: off)")
        .require(
            keepAliveTimeout.compareTo(keepAlive) < 0,
            EnvReader.var("GRPC_KEEPALIVE_TIMEOUT_S")
                + " must be shorter than "
                + EnvReader.var("GRPC_KEEPALIVE_S"))
        .require(
            maxCallsPerConnection >= 1,
            EnvReader.var("GRPC_MAX_CALLS_PER_CONNECTION")
                + "="
                + maxCallsPerConnection
                + " must be at least 1")
        .enforce();
  }

  /** Whether the gRPC server runs. */
  public boolean enabled() {
    return port > 0;
  }

  /**
   * HOTPATH_GRPC_PORT, HOTPATH_GRPC_KEEPALIVE_S, HOTPATH_GRPC_KEEPALIVE_TIMEOUT_S,
   * HOTPATH_GRPC_MAX_CONNECTION_AGE_S, HOTPATH_GRPC_MAX_CONNECTION_AGE_GRACE_S,
   * HOTPATH_GRPC_MAX_CALLS_PER_CONNECTION.
   */
  static GrpcSettings from(EnvReader r) {
    return new GrpcSettings(
        r.integer("GRPC_PORT", 0, 0, 65_535),
        r.seconds("GRPC_KEEPALIVE_S", 60, 10, 7_200),
        r.seconds("GRPC_KEEPALIVE_TIMEOUT_S", 20, 1, 600),
        r.seconds("GRPC_MAX_CONNECTION_AGE_S", 300, 10, 86_400),
        r.seconds("GRPC_MAX_CONNECTION_AGE_GRACE_S", 30, 0, 3_600),
        r.integer("GRPC_MAX_CALLS_PER_CONNECTION", 100, 1, 100_000));
  }

  /** The same settings on another port (tests pick a free one). */
  public GrpcSettings withPort(int value) {
    return new GrpcSettings(
        value,
        keepAlive,
        keepAliveTimeout,
        maxConnectionAge,
        maxConnectionAgeGrace,
        maxCallsPerConnection);
  }
}
