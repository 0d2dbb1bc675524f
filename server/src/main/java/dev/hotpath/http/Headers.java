package dev.hotpath.http;

import io.netty.util.AsciiString;

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

  private Headers() {}
}
