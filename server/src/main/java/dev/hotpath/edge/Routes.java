package dev.hotpath.edge;

import dev.hotpath.observe.Observability;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;

/**
 * Declares routes that exist in the contract: each route is looked up in api/openapi.yaml when it
 * is defined (start-up fails for a route the contract lacks), and its first handler names the
 * route, its SLO class and its query budget for the request's observations.
 */
public final class Routes {
  private final Router router;
  private final Contract contract;
  private final boolean observed;

  public Routes(Router router, Contract contract, boolean observed) {
    this.router = router;
    this.contract = contract;
    this.observed = observed;
  }

  public Router router() {
    return router;
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
    var info = contract.routeInfo(method.name(), path);
    Route route = router.route(method, path);
    if (observed) {
      route.handler(Observability.tag(info));
    }
    return route;
  }
}
