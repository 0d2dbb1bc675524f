package dev.hotpath.load;

import java.util.Locale;

/** The route classes that SLOs are set for in {@code ops/slo.yaml}. */
public enum RequestClass {
  READS,
  WRITES,
  LISTS,
  SEARCH;

  /** The name used in {@code ops/slo.yaml}, flags and reports, e.g. {@code reads}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @throws IllegalArgumentException naming the unknown class and the known ones
   */
  public static RequestClass fromKey(String key) {
    for (RequestClass c : values()) {
      if (c.key().equals(key)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown request class '" + key + "' (known: reads, writes, lists, search)");
  }
}
