package dev.hotpath.edge.auth;

import dev.hotpath.http.ProblemException;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling, for scoping per-client state such as idempotency keys: the subject of the
 * verified token. Only when authentication is off (no token subject) is it the optional {@code
 * X-Client-Id} header, else {@value #ANONYMOUS}.
 */
public final class ClientIdentity {
  public static final String HEADER = "X-Client-Id";
  public static final String ANONYMOUS = "anonymous";
  static final int MAX_LENGTH = 128;

  private ClientIdentity() {}

  /**
   * The client identity of this request.
   *
   * @throws ProblemException 400 when the header is empty, too long or not printable ASCII
   */
  public static String of(RoutingContext ctx) {
    var principal = Principal.of(ctx);
    if (principal != Principal.UNRESTRICTED) {
      return principal.subject();
    }
    String id = ctx.request().getHeader(HEADER);
    if (id == null) {
      return ANONYMOUS;
    }
    if (!printable(id, MAX_LENGTH)) {
      throw ProblemException.invalid(
          HEADER, "must be 1 to " + MAX_LENGTH + " printable ASCII characters");
    }
    return id;
  }

  /** 1 to {@code max} characters from {@code !} to {@code ~} and space. */
  public static boolean printable(String s, int max) {
    if (s.isEmpty() || s.length() > max) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }
}
