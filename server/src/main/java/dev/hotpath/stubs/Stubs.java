package dev.hotpath.stubs;

import dev.hotpath.outside.Service;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.URI;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Local stand-ins for the three outside services, each an HTTP server of its own on loopback (its
 * own port, so its own connections, as a separate host would have), on a Vert.x instance of their
 * own with one event loop. Their APIs:
 *
 * <ul>
 *   <li>payments: {@code POST /v1/authorizations} with {@code Idempotency-Key} and {@code
 *       {"amount_minor", "currency", "reference"}}: 201 {@code {"id", "status": "authorized"}} or
 *       402 {@code {"status": "declined", "reason"}}; the same key replays the first answer (422
 *       with another amount); {@code POST /v1/authorizations/{id}/void}: 200;
 *   <li>reviews: {@code GET /v1/products/{id}/reviews?limit=}: {@code {"product_id", "count",
 *       "average_rating", "reviews": [{"id", "rating", "title", "body", "author"}]}};
 *   <li>recommendations: {@code GET /v1/products/{id}/related?limit=}: {@code {"product_id",
 *       "related": [{"product_id", "score"}]}}.
 * </ul>
 *
 * Answers are the same for the same product every time. See {@link StubServer} for the knobs.
 */
public final class Stubs implements AutoCloseable {
  private final Vertx vertx;
  private final String host;
  private final Map<Service, StubServer> servers = new EnumMap<>(Service.class);
  private final Map<Service, Integer> ports = new EnumMap<>(Service.class);

  private Stubs(Vertx vertx, String host) {
    this.vertx = vertx;
    this.host = host;
  }

  /**
   * Starts the three stand-ins on {@code host}: payments on {@code basePort}, reviews on the next
   * port, recommendations on the one after (free ports when {@code basePort} is 0), each with its
   * knobs from {@code faults} (healthy when absent).
   */
  public static Stubs start(String host, int basePort, Map<Service, Faults> faults) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    Stubs stubs = new Stubs(vertx, host);
    try {
      int i = 0;
      for (Service service : Service.values()) {
        StubServer server = new StubServer(service, faults.getOrDefault(service, Faults.HEALTHY));
        int port = basePort == 0 ? 0 : basePort + i;
        stubs.ports.put(service, server.start(vertx, host, port).await(10, TimeUnit.SECONDS));
        stubs.servers.put(service, server);
        i++;
      }
    } catch (Exception e) {
      vertx.close();
      throw new IllegalStateException(
          "stand-ins did not start on " + host + ":" + basePort + ": " + e.getMessage(), e);
    }
    return stubs;
  }

  /** The base URL of a stand-in (the value of HOTPATH_PAYMENTS_URL and so on). */
  public URI url(Service service) {
    return URI.create("http://" + host + ":" + ports.get(service));
  }

  public StubServer server(Service service) {
    return servers.get(service);
  }

  /** Knobs of every stand-in back to those they started with, counters to zero. */
  public void reset() {
    servers.values().forEach(StubServer::reset);
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException | RuntimeException e) {
      // closing is best effort: the process is usually about to end
      org.slf4j.LoggerFactory.getLogger(Stubs.class)
          .warn("stand-ins did not stop cleanly: {}", e.toString());
    }
  }
}
