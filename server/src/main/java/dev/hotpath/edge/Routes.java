package dev.hotpath.edge;

import dev.hotpath.edge.admission.Gatekeeper;
import dev.hotpath.edge.admission.RoutePolicy;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.edge.auth.Scope;
import dev.hotpath.http.Contract;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.Format;
import dev.hotpath.http.MediaTypes;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.observe.Observability;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Declares routes that exist in the contract: each route is looked up in api/openapi.yaml when it
 * is defined (start-up fails for a route the contract lacks, or one that declares no {@code
 * security}). Its first handler names the route, its SLO class and its query budget for the
 * request's observations; then admission (the concurrency limit, by the operation's {@code
 * x-criticality}) decides whether the request is served at all; the next, when authentication is on
 * and the operation is not public, authenticates the request and checks the scopes the contract
 * lists; then the rate limits charge the operation's {@code x-rate-cost} — all before any body is
 * read.
 */
public final class Routes {
  private static final AsciiString ACCEPT = AsciiString.cached("Accept");

  private final Router router;
  private final Contract contract;
  private final boolean observed;
  private final Optional<Authenticator> auth;

  /** Admission and rate limits; null on a listener that has neither (the operations listener). */
  private final Gatekeeper.@Nullable Gates gates;

  /** The clock request deadlines run on, asked per request (a test may replace it). */
  private final Supplier<LongSupplier> clock;

  public Routes(
      Router router,
      Contract contract,
      boolean observed,
      Optional<Authenticator> auth,
      Gatekeeper.Gates gates) {
    this(router, contract, observed, auth, gates, gates::clock);
  }

  private Routes(
      Router router,
      Contract contract,
      boolean observed,
      Optional<Authenticator> auth,
      Gatekeeper.@Nullable Gates gates,
      Supplier<LongSupplier> clock) {
    this.router = router;
    this.contract = contract;
    this.observed = observed;
    this.auth = auth;
    this.gates = gates;
    this.clock = clock;
  }

  /**
   * Routes with every step but admission and rate limits: for the operations listener ({@code
   * HOTPATH_OPS_PORT}), whose probes, scrapes and admin calls must be answered while the API is
   * saturated. Authentication and scopes are the contract's, as on the API port.
   *
   * @param gatekeeper the process's, whose clock request deadlines run on (nothing else of it is
   *     used)
   */
  public static Routes ungated(
      Router router,
      Contract contract,
      boolean observed,
      Optional<Authenticator> auth,
      Gatekeeper gatekeeper) {
    return new Routes(router, contract, observed, auth, null, gatekeeper.admission()::clock);
  }

  public Router router() {
    return router;
  }

  /** Whether routes are authenticated (HOTPATH_AUTH=on). */
  public boolean authenticated() {
    return auth.isPresent();
  }

  public Route get(String path) {
    return route(HttpMethod.GET, path);
  }

  public Route post(String path) {
    return route(HttpMethod.POST, path);
  }

  public Route patch(String path) {
    return route(HttpMethod.PATCH, path);
  }

  public Route put(String path) {
    return route(HttpMethod.PUT, path);
  }

  public Route route(HttpMethod method, String path) {
    Route route = router.route(method, path);
    if (method == HttpMethod.GET) {
      // HEAD is GET without the body (RFC 9110, section 9.3.2): the same steps, the same headers,
      // and Vert.x writes no body for it; balancers and caches probe with it
      route.method(HttpMethod.HEAD);
    }
    return steps(route, method, path);
  }

  /**
   * Installs on {@code route} the steps that the route {@code method path} of the contract runs
   * before its handlers, and returns it: {@link #route} installs them on the router's route, {@link
   * LeanDispatch} on a route of its own that matches every request it is given (it matched the path
   * itself), so both run one implementation of each step.
   */
  Route steps(Route route, HttpMethod method, String path) {
    var info = contract.routeInfo(method.name(), path);
    Optional<List<String>> scopes = contract.scopes(method.name(), path);
    RoutePolicy policy = RoutePolicy.of(contract, method.name(), path);
    String routeClass = info.routeClass();
    List<String> produced = contract.negotiatedMediaTypes(method.name(), path);
    // one router step for all three: the request's deadline, its route named for the
    // observations, and a 406 for an Accept that weighs every format of the route 0
    route.handler(
        (PlatformHandler)
            ctx -> {
              Deadline.begin(ctx, routeClass, clock.get());
              if (observed) {
                Observability.tag(info);
              }
              ProblemException refusal = Format.refusal(ctx.request().getHeader(ACCEPT), produced);
              if (refusal != null) {
                ctx.fail(refusal);
              } else {
                ctx.next();
              }
            });
    if (gates != null) {
      gates.admit(route, policy);
    }
    if (scopes.isPresent() && auth.isPresent()) {
      route.handler(auth.get().require(Scope.mask(scopes.get())));
    }
    if (gates != null) {
      gates.limit(route, policy);
    }
    Contract.Owner owner = contract.owner(method.name(), path);
    if (owner.kind() == Contract.Owner.Kind.PARAM && auth.isPresent()) {
      route.handler(ownerGuard(owner.name()));
    }
    List<String> mediaTypes = contract.requestMediaTypes(method.name(), path);
    if (!mediaTypes.isEmpty()) {
      route.handler(mediaTypeGuard(mediaTypes));
    }
    return route;
  }

  /**
   * The one check of every route whose path names the customer who owns it ({@code x-owner: {param:
   * id}}): a principal that may not act for that customer gets the same 404 as for a customer that
   * does not exist, before any handler or query runs.
   */
  private static PlatformHandler ownerGuard(String param) {
    return ctx -> {
      Principal principal = Principal.of(ctx);
      long id = Params.parsePositiveLong(ctx.pathParam(param));
      if (id > 0 && !principal.mayAccess(id)) {
        ctx.fail(ProblemException.notFound("Customer " + id));
      } else {
        ctx.next();
      }
    };
  }

  /**
   * Refuses a body whose {@code Content-Type} is not one the contract lists for the operation (415,
   * naming what is accepted), before the body is read. The router's own matching would take {@code
   * *}{@code /*} or a type with broken parameters; this takes only the listed types, with at most a
   * {@code charset=utf-8} parameter (JSON is UTF-8, RFC 8259). A body with a {@code
   * Content-Encoding} (gzip, anything but identity) is refused the same way: nothing here decodes
   * it, and read as plain bytes it would be misread.
   */
  private static PlatformHandler mediaTypeGuard(List<String> accepted) {
    String detail =
        "Send the body as "
            + String.join(" or ", accepted)
            + " (UTF-8; a charset parameter, if any, must be utf-8)";
    ProblemException refusal = new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE, detail);
    ProblemException coded =
        new ProblemException(
            ProblemType.UNSUPPORTED_MEDIA_TYPE,
            "Send the body uncompressed: this server takes no Content-Encoding on a request");
    return ctx -> {
      String coding = ctx.request().getHeader("Content-Encoding");
      if (coding != null && !coding.isBlank() && !coding.trim().equalsIgnoreCase("identity")) {
        // a coded body read as if it were plain would be misread, or worse, read as something else
        // (RFC 9110, section 8.4: 415, with Accept-Encoding naming what is taken)
        ctx.response().putHeader("Accept-Encoding", "identity");
        ctx.fail(coded);
      } else if (MediaTypes.matches(ctx.request().getHeader("Content-Type"), accepted)) {
        ctx.next();
      } else {
        ctx.fail(refusal);
      }
    };
  }
}
