package dev.hotpath.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;

/**
 * Checks that a request names one authority, before routing. A request target in absolute form
 * ({@code GET http://a.example/v1/orders/1}) names its authority itself, which replaces {@code
 * Host} (RFC 9112, 3.2.2); when the two disagree, a proxy in front (which routes or checks by Host)
 * and this server (which serves the path whatever the authority) read the request as meant for
 * different sites. Such a request is a 400, as is an absolute target whose scheme is not http or
 * https or whose authority carries user information (RFC 9110, 4.2.4). Over HTTP/2 a {@code :path}
 * in absolute form is held to {@code :authority} the same way (Netty already resets a stream whose
 * {@code host} field differs from its {@code :authority}). An origin-form target ({@code /v1/...}),
 * the common case, costs one character comparison.
 */
public final class RequestTarget {
  private RequestTarget() {}

  /** What is wrong with the request's target, or {@code null} when it names one authority. */
  public static ProblemException check(HttpServerRequest request) {
    String uri = request.uri();
    if (uri == null || uri.isEmpty() || uri.charAt(0) == '/') {
      return null;
    }
    int colon = uri.indexOf("://");
    String scheme = colon < 0 ? "" : uri.substring(0, colon);
    if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
      return new ProblemException(
          ProblemType.BAD_REQUEST,
          "The request target must be a path (/v1/...) or an http or https URI (RFC 9112, 3.2)");
    }
    int start = colon + 3;
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    String authority = uri.substring(start, end);
    if (authority.indexOf('@') >= 0) {
      return new ProblemException(
          ProblemType.BAD_REQUEST,
          "The request target's authority holds user information, which http URIs do not carry"
              + " (RFC 9110, 4.2.4)");
    }
    boolean http2 = request.version() == HttpVersion.HTTP_2;
    String host;
    if (http2) {
      HostAndPort named = request.authority();
      host =
          named == null
              ? null
              : named.port() < 0 ? named.host() : named.host() + ":" + named.port();
    } else {
      host = request.headers().get(io.vertx.core.http.HttpHeaders.HOST);
    }
    if (host == null || !same(authority, host)) {
      String field = http2 ? ":authority" : "Host";
      return new ProblemException(
          ProblemType.BAD_REQUEST,
          "The request target names "
              + quoted(authority)
              + (host == null ? " and no " + field : " and " + field + " " + quoted(host))
              + ": a request names one authority (RFC 9112, 3.2.2)");
    }
    return null;
  }

  /** The same host (letters in any case) and port, as written. */
  private static boolean same(String authority, String host) {
    HostAndPort a = HostAndPort.parseAuthority(authority, -1);
    HostAndPort b = HostAndPort.parseAuthority(host, -1);
    return a != null && b != null && a.host().equalsIgnoreCase(b.host()) && a.port() == b.port();
  }

  /** Up to 100 characters of a value the client sent, printable ASCII only. */
  private static String quoted(String value) {
    StringBuilder b = new StringBuilder(Math.min(value.length(), 100) + 2).append('"');
    for (int i = 0; i < value.length() && i < 100; i++) {
      char c = value.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.append('"').toString();
  }
}
