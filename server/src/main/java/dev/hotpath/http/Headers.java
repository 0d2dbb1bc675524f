package dev.hotpath.http;

import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.Locale;

/** Header names and fixed values of the HTTP caching layer, pre-encoded once. */
public final class Headers {
  static final AsciiString ETAG = AsciiString.cached("ETag");
  static final AsciiString LAST_MODIFIED = AsciiString.cached("Last-Modified");
  static final AsciiString CACHE_CONTROL = AsciiString.cached("Cache-Control");
  static final AsciiString VARY = AsciiString.cached("Vary");
  static final AsciiString ACCEPT_ENCODING = AsciiString.cached("Accept-Encoding");
  static final AsciiString CONTENT_ENCODING = AsciiString.cached("Content-Encoding");
  static final AsciiString GZIP = AsciiString.cached("gzip");
  static final AsciiString IF_NONE_MATCH = AsciiString.cached("If-None-Match");
  static final AsciiString IF_MODIFIED_SINCE = AsciiString.cached("If-Modified-Since");
  static final AsciiString IF_MATCH = AsciiString.cached("If-Match");

  /**
   * A response header's name as each protocol sends it: as written over HTTP/1.1, lowercase over
   * HTTP/2 (RFC 9113 section 8.2.1). Vert.x's HTTP/2 response lowercases a name that is not, into a
   * new string for every response, which HPACK then hashes and compares character by character
   * against its table; the lowercase constant is used as it is, its hash kept, and found in the
   * table by identity: 2.5-2.8 us of CPU instead of 3.7-4.4 for the fields of an h2c page
   * (Http2HeaderNamesBench, in the tests).
   */
  public record Name(AsciiString http1, AsciiString http2) {
    public static Name of(String name) {
      return new Name(AsciiString.cached(name), AsciiString.cached(name.toLowerCase(Locale.ROOT)));
    }

    /** The name for the protocol of {@code request}'s response. */
    public AsciiString on(HttpServerRequest request) {
      return on(request.version() == HttpVersion.HTTP_2);
    }

    /** The name over HTTP/2 when {@code http2}, else over HTTP/1.1. */
    public AsciiString on(boolean http2) {
      return http2 ? this.http2 : http1;
    }
  }

  static final Name ETAG_NAME = Name.of("ETag");
  static final Name LAST_MODIFIED_NAME = Name.of("Last-Modified");
  static final Name CACHE_CONTROL_NAME = Name.of("Cache-Control");
  static final Name VARY_NAME = Name.of("Vary");
  static final Name CONTENT_ENCODING_NAME = Name.of("Content-Encoding");

  private Headers() {}
}
