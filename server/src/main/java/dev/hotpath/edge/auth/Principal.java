package dev.hotpath.edge.auth;

import io.vertx.ext.web.RoutingContext;

/**
 * Who a request acts for, from a verified token: its subject, the customer it is (when {@code sub}
 * is {@code customer:<id>}), its scopes and when it expires. Immutable; one per verified token,
 * shared by every request that presents the token while it is cached.
 *
 * @param customerId the customer this principal is, or 0 when it is not a customer
 */
public record Principal(String subject, long customerId, int scopes, long expiresAtMillis) {
  static final String KEY = "hotpath.principal";

  /** Acts for everyone: requests to public routes, and every request when authentication is off. */
  public static final Principal UNRESTRICTED = new Principal("-", 0, ~0, Long.MAX_VALUE);

  /** The principal the authentication handler found for this request; unrestricted when none. */
  public static Principal of(RoutingContext ctx) {
    Principal p = ctx.get(KEY);
    return p == null ? UNRESTRICTED : p;
  }

  /** Whether every scope of {@code mask} is granted. */
  public boolean has(int mask) {
    return (scopes & mask) == mask;
  }

  /**
   * Whether this principal may see or change what belongs to customer {@code ownerId}: a service
   * may, a customer only its own. Callers answer "no" with a 404, as if the resource did not exist.
   */
  public boolean mayAccess(long ownerId) {
    return service() || (customerId != 0 && customerId == ownerId);
  }

  /** Whether this principal is a service (the {@code service} scope), not a customer. */
  public boolean service() {
    return (scopes & Scope.SERVICE.bit()) != 0;
  }

  /** Whether this principal may read and manage what anyone created (jobs): an admin. */
  public boolean admin() {
    return (scopes & Scope.ADMIN.bit()) != 0;
  }

  @Override
  public String toString() {
    return "Principal[" + subject + ", " + Scope.names(scopes) + "]";
  }
}
