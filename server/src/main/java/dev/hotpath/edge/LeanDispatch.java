package dev.hotpath.edge;

import io.netty.util.AsciiString;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import io.vertx.ext.web.impl.RoutingContextInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The request handler in front of the router: the hottest reads, a GET of a path with one numeric
 * id and no query, are matched here by hand and handed to a router of their own, whose one route
 * matches every request and runs the same steps ({@link Routes#steps}) and the same handler as the
 * route of the full router; every other request goes to the full router. What it saves is the full
 * router's work per request: each parameterised route's regular expression (a {@code Matcher} and a
 * copy of its named groups per try), the request's parameter map the path parameter is added to
 * (with a query decoder), and the parse of {@code Accept} for the route's produced types.
 *
 * <p>Only requests whose answer cannot differ are taken: the method is GET (a HEAD goes to the
 * router), the query, if any, has nothing to percent-decode (a limit, a cursor, a fieldset: the
 * handler reads it as on the router), the id is 1 to 19 ASCII digits (a leading zero too: the
 * handler answers it as the router's route does), and {@code Accept} is absent, {@code *}{@code
 * /*}, {@code application/json} or {@code application/x-protobuf}, for which the router's
 * negotiation chooses JSON or protobuf without a weight, as the lean route does. One per event
 * loop, like the router.
 */
public final class LeanDispatch implements Handler<HttpServerRequest> {
  private static final AsciiString ACCEPT = AsciiString.cached("Accept");
  private static final int MAX_DIGITS = 19;
  private static final String PROTOBUF = "application/x-protobuf";

  private final Routes routes;
  private final Vertx vertx;
  private final Consumer<Route> front;
  private final Consumer<Router> failures;
  private final List<Lean> leans = new ArrayList<>();
  private Router fallback;

  /**
   * @param front adds to a route the handlers the full router runs for every request before its
   *     routes (the edge guard's front, read-your-writes), as platform handlers
   * @param failures installs on a router the full router's failure and error handlers
   */
  public LeanDispatch(
      Routes routes, Vertx vertx, Consumer<Route> front, Consumer<Router> failures) {
    this.routes = routes;
    this.vertx = vertx;
    this.front = front;
    this.failures = failures;
  }

  /** One hot GET: the template's prefix and suffix around its one parameter, and its router. */
  private record Lean(String prefix, String suffix, String param, Router router) {
    /** Whether {@code path} is this template's with an id of digits. */
    boolean matches(String path) {
      int end = path.length() - suffix.length();
      int digits = end - prefix.length();
      if (digits < 1 || digits > MAX_DIGITS || !path.startsWith(prefix) || !path.endsWith(suffix)) {
        return false;
      }
      for (int i = prefix.length(); i < end; i++) {
        char c = path.charAt(i);
        if (c < '0' || c > '9') {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Serves {@code GET template} (one path parameter, {@code :name}, e.g. {@code /v1/orders/:id})
   * here as well: the same steps as {@link Routes#get} installs, then {@code handler}. The full
   * router must declare the same route, producing JSON and protobuf, with the same handler; it
   * answers what is not taken here.
   */
  public void get(String template, Handler<RoutingContext> handler) {
    int colon = template.indexOf(':');
    int slash = template.indexOf('/', colon);
    int end = slash < 0 ? template.length() : slash;
    if (colon < 0 || template.indexOf(':', end) >= 0) {
      throw new IllegalArgumentException(
          "a lean route has exactly one path parameter, not " + template);
    }
    String param = template.substring(colon + 1, end);
    String prefix = template.substring(0, colon);
    String suffix = template.substring(end);
    Router router = Router.router(vertx);
    // one route for the whole request, the front's handlers first: the router's iteration visits
    // and matches one route per request instead of one for the front and one for the steps
    Route route = router.route();
    front.accept(route);
    // the path parameter the router's route would have matched; the steps read it (ownership)
    route.handler(
        (PlatformHandler)
            ctx -> {
              String path = ctx.request().path();
              ctx.pathParams()
                  .put(param, path.substring(prefix.length(), path.length() - suffix.length()));
              if (PROTOBUF.equals(ctx.request().getHeader(ACCEPT))) {
                // what the router's negotiation sets for the route's produced protobuf
                ((RoutingContextInternal) ctx).setAcceptableContentType(PROTOBUF);
              }
              ctx.next();
            });
    routes.steps(route, HttpMethod.GET, template).handler(handler);
    failures.accept(router);
    leans.add(new Lean(prefix, suffix, param, router));
  }

  /** The router every request not taken here goes to. */
  public LeanDispatch otherwise(Router router) {
    this.fallback = router;
    return this;
  }

  @Override
  public void handle(HttpServerRequest request) {
    if (request.method() == HttpMethod.GET && plainQuery(request.query()) && plainAccept(request)) {
      String path = request.path();
      for (int i = 0, n = leans.size(); i < n; i++) {
        Lean lean = leans.get(i);
        if (lean.matches(path)) {
          lean.router().handle(request);
          return;
        }
      }
    }
    fallback.handle(request);
  }

  /**
   * Whether {@code Accept} is one for which the router's negotiation picks JSON, or protobuf, with
   * no weight to read: none, {@code *}{@code /*}, {@code application/json}, {@code
   * application/x-protobuf} (every lean route produces both).
   */
  private static boolean plainAccept(HttpServerRequest request) {
    String accept = request.getHeader(ACCEPT);
    return accept == null
        || accept.equals("*/*")
        || accept.equals("application/json")
        || accept.equals(PROTOBUF);
  }

  /**
   * Whether the query is absent or made only of unreserved characters, {@code =}, {@code &} and
   * {@code ,} (a limit, a cursor, a fieldset): nothing in it is percent-decoded, so the handler
   * reads the same parameters as on the router; any other query goes to the router.
   */
  private static boolean plainQuery(String query) {
    if (query == null) {
      return true;
    }
    for (int i = 0, n = query.length(); i < n; i++) {
      char c = query.charAt(i);
      if (!((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '='
          || c == '&'
          || c == ','
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~')) {
        return false;
      }
    }
    return true;
  }
}
