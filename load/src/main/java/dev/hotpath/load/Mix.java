package dev.hotpath.load;

import java.util.EnumMap;
import java.util.Map;

/**
 * Shares of the traffic per request class, in percent, summing to 100. The default is 60% reads,
 * 30% writes and 10% lists; no search route exists in the API yet, so search must stay at 0.
 */
public record Mix(Map<RequestClass, Double> percent) {
  /** Mixes known by name, for {@code --mix NAME}. */
  public static final Map<String, String> NAMED =
      Map.of(
          "default", "reads=60,writes=30,lists=10",
          "read-heavy", "reads=90,writes=5,lists=5",
          "write-heavy", "reads=30,writes=60,lists=10",
          "browse", "reads=40,writes=10,lists=50");

  public static final Mix DEFAULT = parse("reads=60,writes=30,lists=10");

  public Mix {
    percent = Map.copyOf(percent);
    double sum = percent.values().stream().mapToDouble(Double::doubleValue).sum();
    if (Math.abs(sum - 100) > 1e-6) {
      throw new IllegalArgumentException(
          "traffic mix must sum to 100%, was " + sum + ": " + percent);
    }
    percent.forEach(
        (c, p) -> {
          if (p < 0) {
            throw new IllegalArgumentException("share of " + c.key() + " must be >= 0, was " + p);
          }
        });
    if (percent.getOrDefault(RequestClass.SEARCH, 0.0) > 0) {
      throw new IllegalArgumentException(
          "search share must be 0: the API has no search route yet (lists cover the catalogue)");
    }
  }

  /**
   * Parses {@code reads=60,writes=30,lists=10} (classes left out get 0%) or one of the names of
   * {@link #NAMED}.
   */
  public static Mix parse(String text) {
    if (NAMED.containsKey(text.strip())) {
      return parse(NAMED.get(text.strip()));
    }
    Map<RequestClass, Double> shares = new EnumMap<>(RequestClass.class);
    for (String part : text.split(",")) {
      String[] kv = part.trim().split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException(
            "traffic mix part '"
                + part
                + "' is not CLASS=PERCENT (e.g. reads=60) nor a named mix "
                + new java.util.TreeSet<>(NAMED.keySet()));
      }
      try {
        shares.put(RequestClass.fromKey(kv[0].trim()), Double.parseDouble(kv[1].trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("share of " + kv[0] + " is not a number: " + kv[1], e);
      }
    }
    return new Mix(shares);
  }

  public double of(RequestClass c) {
    return percent.getOrDefault(c, 0.0);
  }

  /** {@code reads 60%, writes 30%, lists 10%}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (RequestClass c : RequestClass.values()) {
      if (of(c) > 0) {
        b.append(b.isEmpty() ? "" : ", ")
            .append(c.key())
            .append(' ')
            .append(Format.num0(of(c)))
            .append('%');
      }
    }
    return b.toString();
  }
}
