package dev.hotpath.http;

import io.netty.util.AsciiString;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Conditional requests (RFC 9110 section 13): whether a GET may be answered 304, and what an {@code
 * If-Match} of an update names. Parsers never throw: a malformed field matches nothing.
 */
public final class Conditional {
  private Conditional() {}

  /**
   * Whether a GET of {@code rep} is answered 304 Not Modified: {@code If-None-Match} lists one of
   * its tags (weak comparison) or is {@code *}; or, only when there is no {@code If-None-Match},
   * {@code If-Modified-Since} is a valid date not in the future and the representation has not
   * changed since.
   */
  public static boolean notModified(HttpServerRequest request, Representation rep) {
    String noneMatch = request.getHeader(Headers.IF_NONE_MATCH);
    if (noneMatch != null) {
      return listsAny(noneMatch, rep.etag(), rep.gzipEtag());
    }
    String since = request.getHeader(Headers.IF_MODIFIED_SINCE);
    if (since == null || rep.lastModified() == Representation.NO_DATE) {
      return false;
    }
    long date = HttpDates.parse(since);
    return date != HttpDates.INVALID
        && date <= System.currentTimeMillis() / 1000
        && rep.lastModified() <= date;
  }

  /**
   * Whether an {@code If-None-Match} field value is {@code *} or lists {@code a} or {@code b}
   * (quotes included in both), comparing weakly: {@code W/"x"} matches {@code "x"}.
   */
  public static boolean listsAny(String field, AsciiString a, AsciiString b) {
    long tag = nextTag(field, 0);
    while (tag >= 0) {
      int open = open(tag);
      int len = close(tag) + 1 - open;
      if (sameTag(field, open, len, a) || sameTag(field, open, len, b)) {
        return true;
      }
      tag = nextTag(field, close(tag) + 1);
    }
    return tag == ANY_TAG;
  }

  /** {@link #nextTag}: the list is {@code *} here. */
  private static final long ANY_TAG = -2;

  /**
   * The next entity tag of a list field (as {@code If-None-Match} and {@code If-Match} carry) at or
   * after {@code from}, packed as its opening quote, its closing quote and whether it is weak (read
   * them with {@link #open}, {@link #close} and {@link #weak}); {@link #ANY_TAG} for {@code *}, and
   * -1 at the end of the field or where it stops being a list of tags. Allocates nothing.
   */
  private static long nextTag(String field, int from) {
    int n = field.length();
    int i = from;
    while (i < n && (field.charAt(i) == ' ' || field.charAt(i) == '\t' || field.charAt(i) == ',')) {
      i++;
    }
    if (i >= n) {
      return -1;
    }
    if (field.charAt(i) == '*') {
      return ANY_TAG;
    }
    long weak = 0;
    if (field.charAt(i) == 'W' && i + 1 < n && field.charAt(i + 1) == '/') {
      weak = 1;
      i += 2;
    }
    if (i >= n || field.charAt(i) != '"') {
      return -1;
    }
    int close = field.indexOf('"', i + 1);
    return close < 0 ? -1 : ((long) i << 32) | ((long) close << 1) | weak;
  }

  private static int open(long tag) {
    return (int) (tag >>> 32);
  }

  private static int close(long tag) {
    return (int) ((tag & 0xFFFF_FFFFL) >>> 1);
  }

  private static boolean weak(long tag) {
    return (tag & 1) != 0;
  }

  private static boolean sameTag(String field, int from, int len, AsciiString tag) {
    if (tag.length() != len) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      if (field.charAt(from + k) != (char) tag.byteAt(k)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The {@code If-Match} of {@code request} for the resource {@code prefix}{@code id}; empty when
   * the request has none.
   */
  public static Optional<IfMatch> ifMatch(HttpServerRequest request, String prefix, long id) {
    String field = request.getHeader(Headers.IF_MATCH);
    return field == null ? Optional.empty() : Optional.of(IfMatch.parse(field, prefix, id));
  }

  /**
   * What an {@code If-Match} field asks of an update to a versioned resource whose tags start with
   * {@code prefix}, its id, {@code v} and its version (as {@code "c42v3"} and {@code "c42v3.1f"}).
   *
   * @param any {@code *}: any current version
   * @param versions the versions named by strong tags of this resource; empty when none is (weak
   *     tags and tags of other resources never match)
   */
  public record IfMatch(boolean any, List<Long> versions) {
    public IfMatch {
      versions = List.copyOf(versions);
    }

    /** Parses a field value for the resource {@code prefix}{@code id}. */
    public static IfMatch parse(String field, String prefix, long id) {
      List<Long> versions = new ArrayList<>(2);
      String head = "\"" + prefix + id + "v";
      long tag = nextTag(field, 0);
      while (tag >= 0) {
        int open = open(tag);
        if (!weak(tag) && field.startsWith(head, open)) {
          long version = version(field, open + head.length(), close(tag));
          if (version > 0) {
            versions.add(version);
          }
        }
        tag = nextTag(field, close(tag) + 1);
      }
      if (tag == ANY_TAG) {
        return new IfMatch(true, List.of());
      }
      return new IfMatch(false, versions);
    }

    /** Digits up to a '.' or the closing quote at {@code close}; -1 when anything else follows. */
    private static long version(String s, int from, int close) {
      long v = 0;
      int i = from;
      while (i < close && Character.isDigit(s.charAt(i)) && i - from < 10) {
        v = v * 10 + (s.charAt(i) - '0');
        i++;
      }
      if (i == from || (i < close && s.charAt(i) != '.')) {
        return -1;
      }
      return v;
    }
  }
}
