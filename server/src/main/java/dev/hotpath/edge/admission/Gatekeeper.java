package dev.hotpath.edge.admission;

import dev.hotpath.config.AdmissionSettings;
import dev.hotpath.config.BackpressureSettings;
import dev.hotpath.store.Redis;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Route;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What stands between a request and the work it asks for: the process's {@link Admission}
 * (concurrency limit, load shedding) and its {@link RateLimiter} (quotas per client, address and
 * process). One per process; each event loop installs their handlers on its routes through its own
 * {@link Gates}.
 */
public final class Gatekeeper {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Gatekeeper.class);
  private final AdmissionSettings settings;
  private final Admission admission;
  private final RateLimiter rateLimiter;

  /**
   * @param authenticated whether requests carry verified tokens (their subject is the client)
   * @param redis where the per-client and per-address buckets are shared by every instance, when
   *     given (see {@link RateLimiter})
   */
  public Gatekeeper(
      AdmissionSettings settings,
      boolean authenticated,
      MeterRegistry registry,
      Optional<Redis> redis) {
    this.settings = settings;
    this.admission = new Admission(settings, registry);
    this.rateLimiter = new RateLimiter(settings, authenticated, registry, redis);
    log.info(
        "rate limits {}: per client {}, per address {}, global {} units per {} s; admission {}: {},"
            + " queue {} per event loop ({} ms at most)",
        settings.rateLimits() ? "on" : "off",
        settings.perClient(),
        settings.perAddress(),
        settings.global(),
        settings.rateWindow().toSeconds(),
        settings.admission() ? "on" : "off",
        settings.fixedLimit().isPresent()
            ? "fixed limit " + settings.fixedLimit().getAsInt()
            : "adaptive limit (Gradient2) "
                + settings.minLimit()
                + ".."
                + settings.maxLimit()
                + " from "
                + settings.startLimit(),
        settings.queue(),
        settings.queueWait().toMillis());
  }

  public Admission admission() {
    return admission;
  }

  public RateLimiter rateLimiter() {
    return rateLimiter;
  }

  /**
   * Replaces the clock that request deadlines and admission queue waits run on ({@link
   * System#nanoTime} by default), so that a test moves time itself instead of waiting for it. Call
   * before the first request.
   */
  public void useClock(LongSupplier nanoTime) {
    admission.useClock(nanoTime);
  }

  /**
   * The gates of one event loop; call on that loop.
   *
   * @param server the options of the loop's server (its HTTP/2 settings and reset bound)
   */
  public Gates gates(Vertx vertx, BackpressureSettings backpressure, HttpServerOptions server) {
    var pressure = new Backpressure(admission, vertx, backpressure, server);
    return new Gates(admission.gate(vertx, pressure), pressure, new Refusal(server.isSsl()));
  }

  /** Installs admission and rate limits on the routes of one event loop. */
  public final class Gates {
    private final AdmissionGate gate;
    private final Backpressure backpressure;
    private final Refusal refusal;

    private Gates(AdmissionGate gate, Backpressure backpressure, Refusal refusal) {
      this.gate = gate;
      this.backpressure = backpressure;
      this.refusal = refusal;
    }

    /**
     * Refusals and pauses below Vert.x for a new connection of this loop (call from the server's
     * connection handler). An HTTP/1.x connection gets a {@link Valve}, which refuses API requests
     * with pre-encoded bytes while admission is full and is what {@link Backpressure} pauses; an
     * HTTP/2 connection, while back-pressure is on, gets a {@link StreamValve}, which stops reading
     * it while any of its streams is held for a slot. Nothing when admission is off.
     *
     * <p>Vert.x has no public API for a connection's Netty channel: the one internal type this
     * package uses, {@code ConnectionBase}, is confined to this method.
     *
     * @param refused run after a request was refused by the valve and its connection kept
     * @return the valve of an HTTP/1.x connection
     */
    public Optional<Valve> valve(io.vertx.core.http.HttpConnection connection, Runnable refused) {
      if (!admission.enabled()
          || !(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
        return Optional.empty();
      }
      var channel = base.channelHandlerContext();
      if (backpressure.holdsRequests()) {
        var streams = StreamValve.install(channel.handler(), channel.pipeline());
        if (streams.isPresent()) {
          backpressure.opened(connection, streams.get());
          return Optional.empty();
        }
      }
      return Valve.install(channel.pipeline(), gate, refusal, refused);
    }

    /** This loop's back-pressure on its connections. */
    public Backpressure backpressure() {
      return backpressure;
    }

    /** See {@link AdmissionGate#refuseEarly}. */
    public boolean refuseEarly(io.vertx.core.http.HttpServerRequest request, boolean tls) {
      return gate.refuseEarly(request, tls);
    }

    /** This loop's admission gate (requests answered below Vert.x are admitted there too). */
    public AdmissionGate gate() {
      return gate;
    }

    /**
     * The rate limiter that charges the route of {@code policy}, when its route is limited (as
     * {@link #limit} installs it); empty when it is not.
     */
    public Optional<RateLimiter> limiter(RoutePolicy policy) {
      return settings.rateLimits() && rateLimiter.active() && policy.limited()
          ? Optional.of(rateLimiter)
          : Optional.empty();
    }

    /** The clock deadlines and queue waits run on; see {@link Gatekeeper#useClock}. */
    public LongSupplier clock() {
      return admission.clock();
    }

    /** Admission: the route's first handler after its naming, before authentication. */
    public void admit(Route route, RoutePolicy policy) {
      gate.handler(policy).ifPresent(route::handler);
    }

    /** Rate limits: after authentication (the client is the token's subject), before any body. */
    public void limit(Route route, RoutePolicy policy) {
      if (settings.rateLimits() && rateLimiter.active() && policy.limited()) {
        route.handler(rateLimiter.install(route, policy.cost()));
      }
    }
  }
}
