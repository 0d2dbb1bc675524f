package dev.hotpath.http;

import java.util.List;

/** Strict matching of a request's {@code Content-Type} against the media types a route accepts. */
public final class MediaTypes {
  private MediaTypes() {}

  /**
   * Whether {@code header} is exactly one of {@code accepted} (case-insensitive), optionally
   * followed by one {@code charset} parameter whose value is {@code utf-8}. Wildcards, other
   * parameters, empty parameters and other charsets do not match.
   */
  public static boolean matches(String header, List<String> accepted) {
    if (header == null) {
      return false;
    }
    int semicolon = header.indexOf(';');
    String type = (semicolon < 0 ? header : header.substring(0, semicolon)).strip();
    boolean listed = false;
    for (String candidate : accepted) {
      if (candidate.equalsIgnoreCase(type)) {
        listed = true;
        break;
      }
    }
    if (!listed) {
      return false;
    }
    if (semicolon < 0) {
      return true;
    }
    String parameter = header.substring(semicolon + 1).strip();
    int equals = parameter.indexOf('=');
    if (equals < 0 || !parameter.substring(0, equals).strip().equalsIgnoreCase("charset")) {
      return false;
    }
    String value = parameter.substring(equals + 1).strip();
    if (value.length() >= 2 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"') {
      value = value.substring(1, value.length() - 1);
    }
    return value.equalsIgnoreCase("utf-8");
  }
}
