package dev.hotpath.load;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations as people type them: {@code 500ms}, {@code 20s}, {@code 10m}, {@code 1h}. */
public final class Durations {
  private static final Pattern TEXT = Pattern.compile("(\\d+)(ms|s|m|h)");

  private Durations() {}

  /**
   * @throws IllegalArgumentException naming the text when it is not a number and a unit
   */
  public static Duration parse(String text) {
    Matcher m = TEXT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (a whole number and ms, s, m or h, e.g. 20s)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }
}
