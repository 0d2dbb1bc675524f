package dev.hotpath.http;

import io.netty.util.AsciiString;
import io.vertx.ext.web.RoutingContext;

/**
 * The wire formats of a representation: JSON, and the protobuf encoding of the same messages
 * (api/proto). Routes that offer both choose by {@code Accept} (JSON when it names neither or both
 * with equal weight), and answer with {@code Vary: Accept}.
 */
public enum Format {
  JSON("application/json", ""),
  PROTOBUF("application/x-protobuf", ".pb");

  private static final String KEY = "hotpath.format";
  static final AsciiString ACCEPT = AsciiString.cached("Accept");

  private final String mediaType;
  private final AsciiString header;
  private final String tagSuffix;

  Format(String mediaType, String tagSuffix) {
    this.mediaType = mediaType;
    this.header = AsciiString.cached(mediaType);
    this.tagSuffix = tagSuffix;
  }

  public String mediaType() {
    return mediaType;
  }

  /** The {@code Content-Type} of a body in this format. */
  public AsciiString contentType() {
    return header;
  }

  /** Appended to a representation's entity tag, so that each format has its own. */
  public String tagSuffix() {
    return tagSuffix;
  }

  /**
   * The format the router chose for this request from the route's produced types and the request's
   * {@code Accept}; remembered, so that the response says it varies by {@code Accept}.
   */
  public static Format negotiate(RoutingContext ctx) {
    String chosen = ctx.getAcceptableContentType();
    Format format = chosen != null && chosen.equalsIgnoreCase(PROTOBUF.mediaType) ? PROTOBUF : JSON;
    ctx.put(KEY, format);
    return format;
  }

  /** Whether {@link #negotiate} ran for this request. */
  static boolean negotiated(RoutingContext ctx) {
    return ctx.get(KEY) != null;
  }
}
