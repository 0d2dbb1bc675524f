package dev.hotpath.http;

import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads path and query parameters of one request, collecting every problem instead of stopping at
 * the first; {@link #check()} then throws one 400 listing them all. Query parameters the route does
 * not declare are rejected, as the contract declares none of them.
 */
public final class Params {
  public static final int DEFAULT_LIMIT = 20;
  public static final int MAX_LIMIT = 100;

  private final RoutingContext ctx;
  private final MultiMap query;
  private final List<FieldError> errors = new ArrayList<>(0);

  /** The parameters of a request without a query: read only, shared. */
  private static final MultiMap NO_QUERY = MultiMap.caseInsensitiveMultiMap();

  private Params(RoutingContext ctx, Set<String> allowed) {
    this.ctx = ctx;
    // most reads carry no query: the router's parameter map (two maps and a decoder) is not built
    this.query = ctx.request().query() == null ? NO_QUERY : ctx.queryParams();
    if (!query.isEmpty()) {
      for (String name : query.names()) {
        if (!allowed.contains(name)) {
          errors.add(new FieldError(shorten(name), "unknown query parameter"));
        } else if (query.getAll(name).size() > 1) {
          errors.add(new FieldError(name, "must be given at most once"));
        }
      }
    }
  }

  /** Starts reading a request whose route accepts the query parameters {@code allowed}. */
  public static Params of(RoutingContext ctx, Set<String> allowed) {
    return new Params(ctx, allowed);
  }

  /**
   * Reads the path's {@code id} of a route that takes nothing else: no query parameter at all.
   *
   * @throws ProblemException as {@link #pathId} and {@link #check} do
   */
  public static long onlyPathId(RoutingContext ctx) {
    Params params = of(ctx, Set.of());
    long id = params.pathId("id");
    params.check();
    return id;
  }

  /**
   * A positive 64-bit id from the path, in canonical decimal: an id with a leading zero names no
   * resource (404), so {@code 02} and {@code 2} are never two names of one thing.
   */
  public long pathId(String name) {
    String raw = ctx.pathParam(name);
    long id = parsePositiveLong(raw);
    if (id > 0 && raw.charAt(0) == '0') {
      throw new ProblemException(
          ProblemType.NOT_FOUND,
          "No resource at this path: ids are written in decimal without leading zeros");
    }
    if (id <= 0) {
      errors.add(new FieldError(name, "must be a positive integer"));
    }
    return id;
  }

  /** Parses a positive long without throwing; returns -1 when {@code raw} is not one. */
  public static long parsePositiveLong(String raw) {
    if (raw == null || raw.isEmpty() || raw.length() > 19) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
      if (value < 0) {
        return -1;
      }
    }
    return value == 0 ? -1 : value;
  }

  /**
   * A positive integer from a query parameter, in canonical decimal only (no sign, space or leading
   * zero); -1 when {@code raw} is not one. {@code limit=01} and {@code limit=1} would be two URLs
   * of one page (two entries in any cache keyed by URL, a CDN's for the public catalogue): one is
   * refused, as an id with a leading zero in a path names nothing.
   */
  public static long parseCanonical(String raw) {
    long value = parsePositiveLong(raw);
    return value > 0 && raw.charAt(0) == '0' ? -1 : value;
  }

  public int limit() {
    return intInRange("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
  }

  /** An optional positive integer parameter within {@code [min, max]} ({@code min} at least 1). */
  public int intInRange(String name, int fallback, int min, int max) {
    String raw = query.get(name);
    if (raw == null) {
      return fallback;
    }
    long value = parseCanonical(raw);
    if (value < min || value > max) {
      errors.add(new FieldError(name, rangeMessage(min, max)));
      return fallback;
    }
    return (int) value;
  }

  /** What a query parameter's integer out of {@code [min, max]} or not canonical is told. */
  public static String rangeMessage(int min, int max) {
    return "must be an integer from "
        + min
        + " to "
        + max
        + ", in decimal without sign or leading zeros";
  }

  public Optional<String> string(String name) {
    return Optional.ofNullable(query.get(name));
  }

  /** An optional parameter restricted to {@code values}. */
  public Optional<String> oneOf(String name, Set<String> values) {
    String raw = query.get(name);
    if (raw == null) {
      return Optional.empty();
    }
    if (!values.contains(raw)) {
      errors.add(
          new FieldError(
              name, "must be one of " + String.join(", ", values.stream().sorted().toList())));
      return Optional.empty();
    }
    return Optional.of(raw);
  }

  /** An optional free-text filter of bounded length. */
  public Optional<String> text(String name, int maxLength) {
    String raw = query.get(name);
    if (raw == null) {
      return Optional.empty();
    }
    String wrong = textProblem(raw, maxLength);
    if (wrong != null) {
      errors.add(new FieldError(name, wrong));
      return Optional.empty();
    }
    return Optional.of(raw);
  }

  /**
   * What is wrong with a free-text filter, or null when nothing is: the one rule of the REST query
   * parameters and the GraphQL arguments that stand for them.
   */
  public static String textProblem(String raw, int maxLength) {
    if (raw.isEmpty() || raw.length() > maxLength) {
      return "must have 1 to " + maxLength + " characters";
    }
    if (hasControlCharacter(raw)) {
      return "must not contain control characters";
    }
    return null;
  }

  /** Whether {@code s} holds a C0 control character or DEL (PostgreSQL text cannot hold NUL). */
  static boolean hasControlCharacter(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  public Fields.Selection fields(Fields fields) {
    String raw = query.get("fields");
    return raw == null ? fields.all() : fields.parse(raw, errors);
  }

  public void add(FieldError error) {
    errors.add(error);
  }

  /** Throws a 400 listing every problem found so far, if any. */
  public void check() {
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
  }

  private static String shorten(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "…" : s;
  }
}
