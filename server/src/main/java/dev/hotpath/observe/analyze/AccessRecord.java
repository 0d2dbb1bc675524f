package dev.hotpath.observe.analyze;

import java.time.Instant;
import java.util.Optional;

/**
 * One line of the access log, as far as the analysis needs it. {@code problem} is the problem type
 * slug (e.g. {@code malformed-json}) when the log carries one; {@code sample} is how many requests
 * the line stands for (1 unless the server sampled the route, see {@code "sample"} in the log).
 */
public record AccessRecord(
    Optional<Instant> ts,
    String method,
    String route,
    String path,
    int status,
    double durationMs,
    long bytes,
    String userAgent,
    String cache,
    int dbQueries,
    boolean limited,
    boolean shed,
    Optional<String> idemKey,
    Optional<String> contentType,
    Optional<String> problem,
    long sample) {

  /** {@code GET /v1/orders/:id}, or {@code GET (unmatched)} when no route matched. */
  public String routeKey() {
    return method + " " + (route.isEmpty() || route.equals("-") ? "(unmatched)" : route);
  }

  /** {@code 2xx} .. {@code 5xx}; {@code other} outside 100..599. */
  public String statusClass() {
    return status >= 100 && status < 600 ? (status / 100) + "xx" : "other";
  }

  /** The media type of the request body without parameters, lower case; {@code none} if absent. */
  public String payloadType() {
    return contentType
        .map(t -> t.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT))
        .filter(t -> !t.isEmpty())
        .orElse("none");
  }
}
