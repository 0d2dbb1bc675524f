package dev.hotpath.observe;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request, written by hand into a builder on the event loop: no field map, no
 * boxing, no second encoding pass on the appender thread. The logger {@code access} passes the line
 * through unchanged ({@code %msg%n}).
 */
final class AccessLog {
  private static final Logger log = LoggerFactory.getLogger("access");
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private AccessLog() {}

  static boolean enabled() {
    return log.isInfoEnabled();
  }

  static void write(RequestTrace t, HttpServerResponse response, int status, long nanos) {
    StringBuilder sb = new StringBuilder(384);
    sb.append("{\"ts\":\"").append(Instant.now()).append('"');
    HttpServerRequest request = t.request;
    if (request != null) {
      string(sb, "method", request.method().name());
      string(sb, "path", request.path());
      string(
          sb,
          "client",
          request.remoteAddress() == null ? null : request.remoteAddress().hostAddress());
      string(sb, "user_agent", request.getHeader("User-Agent"));
      string(sb, "content_type", request.getHeader("Content-Type"));
      string(sb, "idem_key", Observability.shortHash(request.getHeader("Idempotency-Key")));
    }
    string(sb, "route", t.route);
    sb.append(",\"status\":").append(status);
    sb.append(",\"duration_ms\":").append(nanos / 1_000_000.0);
    sb.append(",\"bytes\":").append(response.bytesWritten());
    string(sb, "request_id", t.requestId);
    string(sb, "trace_id", t.traceId);
    string(sb, "cache", t.cache == null ? "-" : t.cache);
    sb.append(",\"db_queries\":").append(t.dbQueries);
    sb.append(",\"limited\":").append(t.limited);
    sb.append(",\"shed\":").append(t.shed);
    if (t.problem != null) {
      string(sb, "problem", t.problem);
    }
    sb.append('}');
    log.info(sb.toString());
  }

  private static void string(StringBuilder sb, String name, String value) {
    sb.append(",\"").append(name).append("\":");
    if (value == null) {
      sb.append("null");
      return;
    }
    sb.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append("\\u00").append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
