package dev.hotpath.http;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;

/**
 * Headers every response carries so that browsers treat API bodies as data, never as a page:
 * pre-encoded once. The documentation page replaces the API's CSP with {@link #DOCS_CSP}.
 */
public final class SecurityHeaders {
  static final AsciiString NOSNIFF_NAME = AsciiString.cached("X-Content-Type-Options");
  static final AsciiString NOSNIFF = AsciiString.cached("nosniff");
  static final AsciiString REFERRER_NAME = AsciiString.cached("Referrer-Policy");
  static final AsciiString NO_REFERRER = AsciiString.cached("no-referrer");
  public static final AsciiString CSP_NAME = AsciiString.cached("Content-Security-Policy");

  /** The API serves JSON only: nothing may load, run or frame. */
  static final AsciiString API_CSP =
      AsciiString.cached("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");

  /**
   * Swagger UI: its script and styles from this server (no inline script), the contract fetched
   * from here; its React components set inline styles, so those are allowed.
   */
  public static final AsciiString DOCS_CSP =
      AsciiString.cached(
          "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
              + " img-src 'self' data:; connect-src 'self'; font-src 'self';"
              + " frame-ancestors 'none'; base-uri 'none'; form-action 'none'");

  static final AsciiString FRAME_NAME = AsciiString.cached("X-Frame-Options");
  static final AsciiString DENY = AsciiString.cached("DENY");
  static final AsciiString CORP_NAME = AsciiString.cached("Cross-Origin-Resource-Policy");
  static final AsciiString SAME_SITE = AsciiString.cached("same-site");
  static final AsciiString HSTS_NAME = AsciiString.cached("Strict-Transport-Security");
  static final AsciiString HSTS = AsciiString.cached("max-age=31536000; includeSubDomains");

  private SecurityHeaders() {}

  /** Adds the headers; {@code tls} adds Strict-Transport-Security. */
  public static void add(MultiMap headers, boolean tls) {
    headers
        .add(NOSNIFF_NAME, NOSNIFF)
        .add(REFERRER_NAME, NO_REFERRER)
        .add(CSP_NAME, API_CSP)
        .add(FRAME_NAME, DENY)
        .add(CORP_NAME, SAME_SITE);
    if (tls) {
      headers.add(HSTS_NAME, HSTS);
    }
  }
}
