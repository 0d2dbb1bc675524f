package dev.hotpath.http;

import io.netty.util.AsciiString;

/**
 * The {@code Cache-Control} of each kind of data, pre-encoded.
 *
 * <ul>
 *   <li>{@link #PRIVATE}: customers and orders are one person's data and change under other
 *       clients' writes (a PATCH, a new order), so no shared cache may keep them and a browser must
 *       revalidate before reuse. Revalidation is cheap: a hot {@code If-None-Match} is answered 304
 *       from the in-process cache without touching the database.
 *   <li>{@link #CATALOGUE}: products are the same for everyone, so a CDN may keep them. Browsers
 *       reuse them for 30 s, shared caches for 60 s, and either may serve a stale copy for 30 s
 *       more while it revalidates in the background. Stock shown may therefore lag by up to 90 s at
 *       the edge; placing an order always checks stock in the database. When the server answers
 *       with an error (the database down: 503), they may serve their copy for 5 minutes more
 *       ({@code stale-if-error}, RFC 5861).
 * </ul>
 */
public enum CachePolicy {
  PRIVATE("private, no-cache"),
  CATALOGUE("public, max-age=30, s-maxage=60, stale-while-revalidate=30, stale-if-error=300");

  private final AsciiString header;

  CachePolicy(String value) {
    this.header = AsciiString.cached(value);
  }

  /** The {@code Cache-Control} value. */
  public AsciiString header() {
    return header;
  }
}
