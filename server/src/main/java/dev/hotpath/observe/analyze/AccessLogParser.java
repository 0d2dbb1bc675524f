package dev.hotpath.observe.analyze;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Turns one log line into an {@link AccessRecord}, or says why it is not one: not JSON, or JSON
 * that is not an access line. The server's access log ({@code observe.AccessLog}) writes lines with
 * no logger field; an access line is a JSON object with a numeric {@code status} and {@code
 * duration_ms} whose logger, if the line names one ({@code logger}, {@code logger_name} or {@code
 * log.logger}, as logging encoders write it), is {@code access}. Thread-safe.
 */
public final class AccessLogParser {
  /** Why a line was not an access record. */
  public enum Skip {
    NOT_JSON,
    NOT_ACCESS
  }

  /** Either a record or the reason there is none. */
  public record Parsed(Optional<AccessRecord> record, Optional<Skip> skip) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  public Parsed parse(String line) {
    String trimmed = line.strip();
    if (!trimmed.startsWith("{")) {
      return skipped(Skip.NOT_JSON);
    }
    JsonNode n;
    try {
      n = JSON.readTree(trimmed);
    } catch (JsonProcessingException e) {
      return skipped(Skip.NOT_JSON);
    }
    if (n == null || !n.isObject()) {
      return skipped(Skip.NOT_JSON);
    }
    String logger = logger(n);
    boolean accessLogger = logger.isEmpty() || logger.equals("access");
    if (!accessLogger || !n.path("status").isNumber() || !n.path("duration_ms").isNumber()) {
      return skipped(Skip.NOT_ACCESS);
    }
    return new Parsed(
        Optional.of(
            new AccessRecord(
                instant(text(n, "ts")),
                text(n, "method").orElse("-"),
                text(n, "route").orElse("-"),
                text(n, "path").orElse("-"),
                n.path("status").asInt(0),
                n.path("duration_ms").asDouble(0),
                n.path("bytes").asLong(0),
                text(n, "user_agent").orElse(""),
                text(n, "cache").orElse("-"),
                n.path("db_queries").asInt(0),
                n.path("limited").asBoolean(false),
                n.path("shed").asBoolean(false),
                text(n, "idem_key"),
                text(n, "content_type"),
                text(n, "problem").or(() -> text(n, "problem_type")).map(AccessLogParser::slug),
                Math.max(1, n.path("sample").asLong(1)))),
        Optional.empty());
  }

  private static Parsed skipped(Skip why) {
    return new Parsed(Optional.empty(), Optional.of(why));
  }

  private static String logger(JsonNode n) {
    for (String field : new String[] {"logger", "logger_name"}) {
      if (n.hasNonNull(field)) {
        return n.get(field).asText();
      }
    }
    JsonNode log = n.path("log").path("logger");
    return log.isTextual() ? log.asText() : n.path("log.logger").asText("");
  }

  private static Optional<String> text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }

  /** {@code https://hotpath.dev/problems/malformed-json} and {@code malformed-json} alike. */
  private static String slug(String problem) {
    return problem.substring(problem.lastIndexOf('/') + 1);
  }

  private static Optional<Instant> instant(Optional<String> ts) {
    if (ts.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(ts.get()).toInstant());
    } catch (DateTimeParseException e) {
      try {
        return Optional.of(Instant.parse(ts.get()));
      } catch (DateTimeParseException again) {
        return Optional.empty();
      }
    }
  }
}
