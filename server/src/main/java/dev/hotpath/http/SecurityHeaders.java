package dev.hotpath.http;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * Headers every response carries so that browsers treat API bodies as data, never as a page:
 * pre-encoded once. The documentation page replaces the API's CSP with {@link #DOCS_CSP}.
 */
public final class SecurityHeaders {
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

  /** A header's name (as HTTP/1.1 and HTTP/2 send it: {@link Headers.Name}) and value. */
  private record Header(Headers.Name name, AsciiString value) {
    Header(String name, String value) {
      this(Headers.Name.of(name), AsciiString.cached(value));
    }

    Header(AsciiString name, AsciiString value) {
      this(Headers.Name.of(name.toString()), value);
    }
  }

  /** What every response carries, in the order it is sent. */
  private static final List<Header> ALWAYS =
      List.of(
          new Header("X-Content-Type-Options", "nosniff"),
          new Header("Referrer-Policy", "no-referrer"),
          new Header(CSP_NAME, API_CSP),
          new Header("X-Frame-Options", "DENY"),
          new Header("Cross-Origin-Resource-Policy", "same-site"));

  /** What a response over TLS carries too. */
  private static final Header HSTS =
      new Header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");

  private SecurityHeaders() {}

  /** Adds the headers; {@code tls} adds Strict-Transport-Security. */
  public static void add(MultiMap headers, boolean tls) {
    add(headers, tls, false);
  }

  /** As {@link #add(MultiMap, boolean)}, named as HTTP/2 names them when {@code http2}. */
  public static void add(MultiMap headers, boolean tls, boolean http2) {
    for (Header h : ALWAYS) {
      headers.add(h.name().on(http2), h.value());
    }
    if (tls) {
      headers.add(HSTS.name().on(http2), HSTS.value());
    }
  }
}
