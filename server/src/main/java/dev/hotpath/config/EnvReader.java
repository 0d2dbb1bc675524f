package dev.hotpath.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads {@code HOTPATH_*} variables from a map (the process environment, or a test's). A value that
 * does not parse, or lies outside the variable's documented bounds, is recorded with the variable's
 * name and replaced by its default, so that reading goes on and a bad start names every offending
 * variable at once ({@link #throwIfAny}).
 */
final class EnvReader {
  /** What every variable's name starts with. */
  static final String PREFIX = "HOTPATH_";

  private final Map<String, String> env;
  private final List<String> errors = new ArrayList<>();

  EnvReader(Map<String, String> env) {
    this.env = env;
  }

  /** The full name of a variable: {@code HOTPATH_} and {@code name}. */
  static String var(String name) {
    return PREFIX + name;
  }

  /** Records a bad setting; start-up fails with every recorded message. */
  void fail(String message) {
    errors.add(message);
  }

  /**
   * A section built by {@code factory}; when its constructor refuses the values read, the reasons
   * are recorded and the result is null (never seen: {@link #throwIfAny} throws first).
   */
  <T> T section(Supplier<T> factory) {
    try {
      return factory.get();
    } catch (InvalidSettingsException e) {
      errors.add(e.getMessage());
      return null;
    }
  }

  /** Throws one exception naming every recorded error, if any. */
  void throwIfAny() {
    if (!errors.isEmpty()) {
      throw new InvalidSettingsException(String.join("; ", errors));
    }
  }

  boolean isSet(String name) {
    return env.containsKey(var(name));
  }

  Optional<String> optionalString(String name) {
    String value = env.get(var(name));
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  String string(String name, String fallback) {
    return optionalString(name).orElse(fallback);
  }

  int integer(String name, int fallback, int min, int max) {
    Optional<String> value = optionalString(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.get());
      if (parsed < min || parsed > max) {
        errors.add(var(name) + "=" + value.get() + " is out of range [" + min + ", " + max + "]");
        return fallback;
      }
      return parsed;
    } catch (NumberFormatException e) {
      errors.add(var(name) + "=" + value.get() + " is not a whole number");
      return fallback;
    }
  }

  Duration millis(String name, int fallback, int min, int max) {
    return Duration.ofMillis(integer(name, fallback, min, max));
  }

  Duration seconds(String name, int fallback, int min, int max) {
    return Duration.ofSeconds(integer(name, fallback, min, max));
  }

  boolean bool(String name, boolean fallback) {
    Optional<String> value = optionalString(name);
    if (value.isEmpty()) {
      return fallback;
    }
    return switch (value.get().toLowerCase(Locale.ROOT)) {
      case "true", "on", "1", "yes" -> true;
      case "false", "off", "0", "no" -> false;
      default -> {
        errors.add(var(name) + "=" + value.get() + " must be on or off");
        yield fallback;
      }
    };
  }

  double fraction(String name, double fallback) {
    Optional<String> value = optionalString(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      double parsed = Double.parseDouble(value.get());
      if (!(parsed >= 0 && parsed <= 1)) {
        errors.add(var(name) + "=" + value.get() + " must be between 0 and 1");
        return fallback;
      }
      return parsed;
    } catch (NumberFormatException e) {
      errors.add(var(name) + "=" + value.get() + " is not a number");
      return fallback;
    }
  }

  /** A PostgreSQL URL ({@code postgresql://user:password@host:5432/database}). */
  Optional<URI> postgresUrl(String name) {
    Optional<String> value = optionalString(name);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(value.get());
      String scheme = uri.getScheme();
      if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
        errors.add(var(name) + " must look like postgresql://user:password@host:5432/database");
        return Optional.empty();
      }
      if (uri.getHost() == null) {
        errors.add(var(name) + " has no host");
        return Optional.empty();
      }
      return Optional.of(uri);
    } catch (Exception e) {
      errors.add(var(name) + " is not a valid URL");
      return Optional.empty();
    }
  }

  /** An http(s) URL with a host. */
  Optional<URI> httpUrl(String name) {
    Optional<String> value = optionalString(name);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      URI uri = new URI(value.get());
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        errors.add(var(name) + "=" + value.get() + " must be an http(s) URL with a host");
        return Optional.empty();
      }
      return Optional.of(uri);
    } catch (Exception e) {
      errors.add(var(name) + "=" + value.get() + " is not a valid URL");
      return Optional.empty();
    }
  }
}
