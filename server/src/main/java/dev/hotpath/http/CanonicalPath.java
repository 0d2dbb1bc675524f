package dev.hotpath.http;

/**
 * Checks a request's raw path before routing. The router normalizes paths ({@code 1/../2} becomes
 * {@code 2}, {@code 2//summary} becomes {@code 2/summary}, {@code %32} becomes {@code 2}), so a
 * guard that reads the path would see one resource while the client named another. Every path the
 * API serves is canonical; anything else is refused here, before any route, guard or handler sees
 * it: a malformed percent-encoding is a 400, any other non-canonical form a 404 (the resource has
 * no such name). One pass over the characters, no allocation when the path is canonical.
 */
public final class CanonicalPath {
  private CanonicalPath() {}

  /** What is wrong with a path, or {@code null} when it is canonical. */
  public static ProblemException check(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      return new ProblemException(ProblemType.NOT_FOUND, "The path must start with /");
    }
    int n = path.length();
    if (n == 1) {
      return null;
    }
    if (path.charAt(n - 1) == '/') {
      return notCanonical(path, "it ends with /");
    }
    int segmentStart = 1;
    for (int i = 1; i <= n; i++) {
      char c = i < n ? path.charAt(i) : '/';
      if (c == '/') {
        int length = i - segmentStart;
        if (length == 0) {
          return notCanonical(path, "it has an empty segment (//)");
        }
        if (isDots(path, segmentStart, length)) {
          return notCanonical(path, "it has a . or .. segment");
        }
        segmentStart = i + 1;
      } else if (c == '%') {
        if (i + 2 >= n || hex(path.charAt(i + 1)) < 0 || hex(path.charAt(i + 2)) < 0) {
          return new ProblemException(
              ProblemType.BAD_REQUEST,
              "The path has a malformed percent-encoding at character "
                  + (i + 1)
                  + " (% must be followed by two hexadecimal digits)");
        }
        int decoded = hex(path.charAt(i + 1)) << 4 | hex(path.charAt(i + 2));
        if (isUnreserved(decoded) || decoded == '/') {
          return notCanonical(path, "it percent-encodes a character that needs no encoding");
        }
        i += 2;
      } else if (c < 0x21 || c == 0x7f) {
        return new ProblemException(
            ProblemType.BAD_REQUEST, "The path holds a control character or space");
      } else if (c > 0x7f) {
        // a byte past ASCII sent as it is (the request line is read as ISO-8859-1)
        return new ProblemException(
            ProblemType.BAD_REQUEST,
            "The path holds a character outside ASCII: percent-encode its UTF-8 bytes (RFC 3986)");
      }
    }
    return null;
  }

  /**
   * What is wrong with a raw query string ({@code null} when nothing is): a malformed
   * percent-encoding, which no parameter could be decoded from, a byte past ASCII sent as it is, or
   * percent-encoded bytes that are not UTF-8 as RFC 3629 has it (a stray byte such as {@code %FF},
   * an overlong {@code %C0%AF}, an encoded surrogate): the decoder turned each into U+FFFD, so
   * {@code category=%FF} and {@code category=%FE} were two URLs of one answer, and a value other
   * than the one sent was used.
   */
  public static ProblemException checkQuery(String query) {
    if (query == null) {
      return null;
    }
    for (int i = 0, n = query.length(); i < n; i++) {
      if (query.charAt(i) > 0x7e) {
        // a byte past ASCII sent as it is (the request line is read as ISO-8859-1), as in a path
        return new ProblemException(
            ProblemType.BAD_REQUEST,
            "The query holds a character outside ASCII: percent-encode its UTF-8 bytes (RFC 3986)");
      }
    }
    boolean beyondAscii = false;
    for (int i = query.indexOf('%'); i >= 0; i = query.indexOf('%', i + 1)) {
      if (i + 2 >= query.length() || hex(query.charAt(i + 1)) < 0 || hex(query.charAt(i + 2)) < 0) {
        return new ProblemException(
            ProblemType.BAD_REQUEST,
            "The query has a malformed percent-encoding at character "
                + (i + 1)
                + " (% must be followed by two hexadecimal digits)");
      }
      beyondAscii |= hex(query.charAt(i + 1)) >= 8;
    }
    return beyondAscii ? checkUtf8(query) : null;
  }

  /** Whether the percent-encoded bytes of {@code query} (each run of them) are UTF-8. */
  private static ProblemException checkUtf8(String query) {
    java.nio.charset.CharsetDecoder strict =
        java.nio.charset.StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    byte[] run = new byte[query.length() / 3];
    int n = query.length();
    for (int i = 0; i < n; ) {
      if (query.charAt(i) != '%') {
        i++;
        continue;
      }
      int start = i;
      int length = 0;
      while (i < n && query.charAt(i) == '%') {
        run[length++] = (byte) (hex(query.charAt(i + 1)) << 4 | hex(query.charAt(i + 2)));
        i += 3;
      }
      try {
        strict.reset().decode(java.nio.ByteBuffer.wrap(run, 0, length));
      } catch (java.nio.charset.CharacterCodingException e) {
        return new ProblemException(
            ProblemType.BAD_REQUEST,
            "The query's percent-encoded bytes from character "
                + (start + 1)
                + " are not UTF-8 (RFC 3986 and 3629: a stray or missing continuation byte, an"
                + " overlong form, an encoded surrogate or a code point past U+10FFFF)");
      }
    }
    return null;
  }

  private static ProblemException notCanonical(String path, String why) {
    return new ProblemException(
        ProblemType.NOT_FOUND,
        "No resource at this path: it is not in canonical form (" + why + ")");
  }

  private static boolean isDots(String path, int start, int length) {
    return (length == 1 && path.charAt(start) == '.')
        || (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.');
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
