package dev.hotpath.observe;

import java.util.Optional;

/** A parsed W3C {@code traceparent} header (version 00). */
record Traceparent(String traceId, String parentId, boolean sampled) {

  /**
   * Parses {@code 00-<32 hex>-<16 hex>-<2 hex>}; empty for anything else, including all-zero ids.
   */
  static Optional<Traceparent> parse(String header) {
    if (header == null || header.length() != 55) {
      return Optional.empty();
    }
    if (header.charAt(2) != '-' || header.charAt(35) != '-' || header.charAt(52) != '-') {
      return Optional.empty();
    }
    String version = header.substring(0, 2);
    String traceId = header.substring(3, 35);
    String parentId = header.substring(36, 52);
    String flags = header.substring(53, 55);
    if (!isHex(version)
        || version.equals("ff")
        || !isHex(traceId)
        || !isHex(parentId)
        || !isHex(flags)) {
      return Optional.empty();
    }
    if (traceId.chars().allMatch(c -> c == '0') || parentId.chars().allMatch(c -> c == '0')) {
      return Optional.empty();
    }
    boolean sampled = (Integer.parseInt(flags, 16) & 1) == 1;
    return Optional.of(new Traceparent(traceId, parentId, sampled));
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
