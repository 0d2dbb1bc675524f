package dev.hotpath.load;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads the Prometheus text exposition format into one number per metric name, over all label sets:
 * the largest value for names ending in {@code _max}, the sum otherwise (pool gauges of several
 * pools add up; so do the counts and sums of a timer).
 */
public final class PrometheusText {
  private PrometheusText() {}

  public static Map<String, Double> parse(String text) {
    Map<String, Double> values = new HashMap<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int nameEnd = 0;
      while (nameEnd < line.length()
          && line.charAt(nameEnd) != '{'
          && line.charAt(nameEnd) != ' ') {
        nameEnd++;
      }
      String name = line.substring(0, nameEnd);
      int valueStart = nameEnd;
      if (nameEnd < line.length() && line.charAt(nameEnd) == '{') {
        valueStart = labelsEnd(line, nameEnd);
        if (valueStart < 0) {
          continue;
        }
      }
      String[] rest = line.substring(valueStart).strip().split("\\s+");
      if (name.isEmpty() || rest.length == 0 || rest[0].isEmpty()) {
        continue;
      }
      double value;
      try {
        value = Double.parseDouble(rest[0].replace("Inf", "Infinity"));
      } catch (NumberFormatException e) {
        continue;
      }
      if (Double.isNaN(value)) {
        continue;
      }
      if (name.endsWith("_max")) {
        values.merge(name, value, Math::max);
      } else {
        values.merge(name, value, Double::sum);
      }
    }
    return values;
  }

  /** Index just past the closing brace of the label set opened at {@code open}, or -1. */
  private static int labelsEnd(String line, int open) {
    boolean quoted = false;
    for (int i = open + 1; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (quoted && ch == '\\') {
        i++;
      } else if (ch == '"') {
        quoted = !quoted;
      } else if (!quoted && ch == '}') {
        return i + 1;
      }
    }
    return -1;
  }
}
