package dev.hotpath.observe;

/**
 * What the contract says about one route: its template as the router writes it, its class (for
 * SLOs: reads, writes, lists, search, ops) and how many database queries one request may make.
 */
public record RouteInfo(String method, String template, String routeClass, int queryBudget) {
  public static final RouteInfo UNMATCHED = new RouteInfo("-", "-", "other", Integer.MAX_VALUE);
}
