package dev.hotpath.http;

/**
 * What an {@code Accept-Encoding} field (RFC 9110 section 12.5.3) says about the two codings this
 * server can send: gzip and identity. Weights are q-values in thousandths (0 to 1000); a coding
 * that the field does not name has weight {@link #UNLISTED}.
 *
 * <p>The parser is lenient in what it skips and strict in what it believes: a member whose weight
 * is not a valid qvalue is ignored as a whole, names are case-insensitive, {@code x-gzip} counts as
 * gzip, and a coding named twice keeps its highest weight. It never throws.
 *
 * @param gzip weight of gzip (or x-gzip)
 * @param identity weight of identity
 * @param any weight of {@code *}: every coding not named
 */
public record AcceptEncoding(int gzip, int identity, int any) {
  public static final int UNLISTED = -1;
  private static final AcceptEncoding EMPTY = new AcceptEncoding(UNLISTED, UNLISTED, UNLISTED);

  /** Parses a field value; an empty value names nothing. */
  public static AcceptEncoding parse(String field) {
    int gzip = UNLISTED;
    int identity = UNLISTED;
    int any = UNLISTED;
    int n = field.length();
    int i = 0;
    while (i < n) {
      int end = field.indexOf(',', i);
      if (end < 0) {
        end = n;
      }
      int semicolon = field.indexOf(';', i);
      int nameEnd = semicolon >= 0 && semicolon < end ? semicolon : end;
      int from = skipSpace(field, i, nameEnd);
      int to = trimSpace(field, from, nameEnd);
      if (to > from) {
        int q = nameEnd < end ? weight(field, nameEnd, end) : 1000;
        if (q >= 0) {
          if (is(field, from, to, "gzip") || is(field, from, to, "x-gzip")) {
            gzip = Math.max(gzip, q);
          } else if (is(field, from, to, "identity")) {
            identity = Math.max(identity, q);
          } else if (is(field, from, to, "*")) {
            any = Math.max(any, q);
          }
        }
      }
      i = end + 1;
    }
    if (gzip == UNLISTED && identity == UNLISTED && any == UNLISTED) {
      return EMPTY;
    }
    return new AcceptEncoding(gzip, identity, any);
  }

  /** Weight of gzip after {@code *} is applied: 0 when neither names it. */
  public int effectiveGzip() {
    return gzip != UNLISTED ? gzip : Math.max(any, 0);
  }

  /**
   * Whether the client may receive an uncoded body: unless {@code identity;q=0}, or {@code *;q=0}
   * without an entry for identity (RFC 9110 section 12.5.3).
   */
  public boolean identityAcceptable() {
    return identity != UNLISTED ? identity > 0 : any != 0;
  }

  /**
   * Whether gzip is acceptable and at least as preferred as identity. An unlisted identity is the
   * fallback, below any coding the client listed.
   */
  public boolean prefersGzip() {
    int g = effectiveGzip();
    return g > 0 && (identity == UNLISTED || g >= identity);
  }

  /**
   * The weight of the parameters from {@code from} (a ';') to {@code to}: the q parameter's value
   * in thousandths, 1000 without one, or -1 when a q parameter is malformed.
   */
  private static int weight(String s, int from, int to) {
    int q = 1000;
    int i = from;
    while (i < to) {
      // i is at a ';'
      int next = s.indexOf(';', i + 1);
      if (next < 0 || next > to) {
        next = to;
      }
      int a = skipSpace(s, i + 1, next);
      int b = trimSpace(s, a, next);
      if (b - a >= 2 && (s.charAt(a) == 'q' || s.charAt(a) == 'Q') && s.charAt(a + 1) == '=') {
        q = qvalue(s, a + 2, b);
        if (q < 0) {
          return -1;
        }
      }
      i = next;
    }
    return q;
  }

  /** {@code qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )}, or -1. */
  static int qvalue(String s, int from, int to) {
    int len = to - from;
    if (len < 1 || len > 5) {
      return -1;
    }
    char first = s.charAt(from);
    if (first != '0' && first != '1') {
      return -1;
    }
    int value = (first - '0') * 1000;
    if (len == 1) {
      return value;
    }
    if (s.charAt(from + 1) != '.') {
      return -1;
    }
    int scale = 100;
    for (int i = from + 2; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value += (c - '0') * scale;
      scale /= 10;
    }
    return value > 1000 ? -1 : value;
  }

  private static boolean is(String s, int from, int to, String name) {
    return to - from == name.length() && s.regionMatches(true, from, name, 0, name.length());
  }

  private static int skipSpace(String s, int from, int to) {
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    return from;
  }

  private static int trimSpace(String s, int from, int to) {
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return to;
  }
}
