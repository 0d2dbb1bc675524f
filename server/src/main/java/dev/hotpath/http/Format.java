package dev.hotpath.http;

import io.netty.util.AsciiString;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

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
    String accept = ctx.request().getHeader(ACCEPT);
    if (chosen != null && accept != null && accept.indexOf('=') >= 0) {
      // the router takes a weight of 0 for the lowest, not for "not acceptable" (RFC 9110 12.4.2)
      format = weighed(accept);
    }
    ctx.put(KEY, format);
    return format;
  }

  /**
   * The format {@code accept} weighs highest (JSON on a tie), by the weight of the most specific
   * range that matches each. One that weighs both 0 never gets here: {@link #refusal} answered it
   * with a 406 before the route's handler ran.
   */
  static Format weighed(String accept) {
    return weight(accept, PROTOBUF.mediaType) > weight(accept, JSON.mediaType) ? PROTOBUF : JSON;
  }

  /**
   * The 406 for a request whose {@code Accept} gives each of {@code produced} a weight of 0, or
   * null when it takes one of them. The router treats a weight of 0 as the lowest, not as "not
   * acceptable" (RFC 9110 12.4.2), so a route that has one format would send it anyway. Only an
   * {@code Accept} with a parameter can weigh 0, so one without is not parsed.
   */
  public static ProblemException refusal(String accept, List<String> produced) {
    if (accept == null || accept.indexOf('=') < 0 || produced.isEmpty()) {
      return null;
    }
    for (String type : produced) {
      if (weight(accept, type) > 0) {
        return null;
      }
    }
    return new ProblemException(
        ProblemType.NOT_ACCEPTABLE,
        "Accept gives every format of this resource a weight of 0; it is available as "
            + String.join(" and ", produced));
  }

  /**
   * The weight {@code accept} gives {@code mediaType}: that of its most specific matching range
   * (the type itself, then {@code type/*}, then {@code *}{@code /*}); 0 when none matches. A weight
   * that is not a number counts as 1, as if it were absent.
   */
  static double weight(String accept, String mediaType) {
    int slash = mediaType.indexOf('/');
    double weight = 0;
    int best = -1;
    for (String range : accept.split(",")) {
      String[] parts = range.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      int specificity;
      if (type.equals(mediaType)) {
        specificity = 2;
      } else if (type.length() == slash + 2
          && type.endsWith("/*")
          && type.regionMatches(0, mediaType, 0, slash + 1)) {
        specificity = 1;
      } else if (type.equals("*/*")) {
        specificity = 0;
      } else {
        continue;
      }
      if (specificity > best) {
        best = specificity;
        weight = quality(parts);
      }
    }
    return weight;
  }

  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim();
      if (parameter.length() > 2
          && (parameter.charAt(0) == 'q' || parameter.charAt(0) == 'Q')
          && parameter.charAt(1) == '=') {
        try {
          double q = Double.parseDouble(parameter.substring(2).trim());
          return q >= 0 && q <= 1 ? q : 1;
        } catch (NumberFormatException e) {
          return 1;
        }
      }
    }
    return 1;
  }

  /** Whether {@link #negotiate} ran for this request. */
  static boolean negotiated(RoutingContext ctx) {
    return ctx.get(KEY) != null;
  }
}
