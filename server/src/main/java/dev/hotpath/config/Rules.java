package dev.hotpath.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules a settings record's compact constructor checks, named after the variables they bound:
 * every broken rule is collected, then {@link #enforce} throws one {@link InvalidSettingsException}
 * naming them all. The same constructor serves values read from the environment and values given by
 * the settings builder, so no path skips a rule.
 */
final class Rules {
  private final List<String> broken = new ArrayList<>();

  /** Records {@code message} unless {@code holds}. */
  Rules require(boolean holds, String message) {
    if (!holds) {
      broken.add(message);
    }
    return this;
  }

  /** {@code HOTPATH_<lower>=<a> must not exceed HOTPATH_<upper>=<b>}. */
  Rules notAbove(String lower, long a, String upper, long b) {
    return require(
        a <= b,
        EnvReader.var(lower) + "=" + a + " must not exceed " + EnvReader.var(upper) + "=" + b);
  }

  /** {@code HOTPATH_<name>=<value> is out of range [min, max]} unless within. */
  Rules range(String name, long value, long min, long max) {
    return require(
        value >= min && value <= max,
        EnvReader.var(name) + "=" + value + " is out of range [" + min + ", " + max + "]");
  }

  /** {@code HOTPATH_<name>=<value> must be at least <min>} unless it is. */
  Rules atLeast(String name, long value, long min) {
    return require(value >= min, EnvReader.var(name) + "=" + value + " must be at least " + min);
  }

  /** A share from 0 to 1. */
  Rules fraction(String name, double value) {
    return require(
        value >= 0 && value <= 1, EnvReader.var(name) + "=" + value + " must be between 0 and 1");
  }

  /** A duration above zero. */
  Rules positive(String name, Duration value) {
    return require(
        !value.isNegative() && !value.isZero(),
        EnvReader.var(name) + "=" + value.toMillis() + " ms must be positive");
  }

  /** A duration of zero or more. */
  Rules notNegative(String name, Duration value) {
    return require(
        !value.isNegative(),
        EnvReader.var(name) + "=" + value.toMillis() + " ms must not be negative");
  }

  void enforce() {
    if (!broken.isEmpty()) {
      throw new InvalidSettingsException(String.join("; ", broken));
    }
  }
}
