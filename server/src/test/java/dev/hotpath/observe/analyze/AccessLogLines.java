package dev.hotpath.observe.analyze;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes access-log lines in the shape the server writes them (observe.AccessLog, no logger field),
 * for the tests; AnalyzeEndToEndTest reads the lines a real server wrote.
 */
final class AccessLogLines {
  private final List<String> lines = new ArrayList<>();

  /** One access line; {@code idemKey}, {@code contentType} and {@code problem} may be null. */
  AccessLogLines access(
      String ts,
      String method,
      String route,
      String path,
      int status,
      double ms,
      String userAgent,
      String idemKey,
      String contentType,
      String problem) {
    // the shape and field order observe.AccessLog writes: no level, no logger
    lines.add(
        String.format(
            Locale.ROOT,
            "{\"ts\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"client\":\"10.0.0.7\","
                + "\"user_agent\":\"%s\",\"content_type\":%s,\"idem_key\":%s,\"route\":\"%s\","
                + "\"status\":%d,\"duration_ms\":%s,\"bytes\":120,\"request_id\":\"r-%d\","
                + "\"trace_id\":\"t-%d\",\"cache\":\"%s\",\"db_queries\":1,\"limited\":false,"
                + "\"shed\":false%s}",
            ts,
            method,
            path,
            userAgent,
            quoted(contentType),
            quoted(idemKey),
            route,
            status,
            ms / 1.0,
            lines.size(),
            lines.size(),
            method.equals("GET") ? "hit" : "-",
            problem == null ? "" : ",\"problem\":\"" + problem + "\""));
    return this;
  }

  AccessLogLines get(String ts, String route, String path, int status, double ms) {
    return access(ts, "GET", route, path, status, ms, "shop-frontend/2.1", null, null, null);
  }

  AccessLogLines raw(String line) {
    lines.add(line);
    return this;
  }

  List<String> lines() {
    return lines;
  }

  String text() {
    return String.join("\n", lines) + "\n";
  }

  private static String quoted(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  /**
   * A log of 2 minutes and a bit: 10 business requests, one of each kind of noise (two scanners,
   * two bots), and lines to skip. The expectations of the tests are written next to each line.
   */
  static AccessLogLines sample() {
    String json = "application/json";
    return new AccessLogLines()
        // business: 10 requests
        .get("2026-11-22T10:00:01.000Z", "/v1/orders/:id", "/v1/orders/1", 200, 4.2) // <10
        .get("2026-11-22T10:00:02.000Z", "/v1/orders/:id", "/v1/orders/2", 200, 12) // <50
        .get(
            "2026-11-22T10:00:03.000Z",
            "/v1/orders/:id",
            "/v1/orders/3",
            404,
            2) // <10, 4xx business
        .get(
            "2026-11-22T10:00:30.000+00:00",
            "/v1/customers/:id",
            "/v1/customers/9",
            200,
            70) // <100
        .get(
            "2026-11-22T10:00:31.000Z",
            "/v1/products",
            "/v1/products?category=garden",
            200,
            300) // <1000
        .access(
            "2026-11-22T10:00:40Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            201,
            40,
            "shop/1",
            "k1",
            json,
            null) // <50
        .access(
            "2026-11-22T10:00:41Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            422,
            30,
            "shop/1",
            "k2",
            json,
            "out-of-stock") // <50
        .access(
            "2026-11-22T10:00:42Z",
            "POST",
            "/v1/customers",
            "/v1/customers",
            400,
            3,
            "shop/1",
            "k3",
            json,
            "validation-error") // <10, business 400
        .access(
            "2026-11-22T10:02:05Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            500,
            1500,
            "shop/1",
            "k4",
            json,
            null) // >=1000, 5xx
        .get("2026-11-22T10:02:06Z", "/v1/orders/:id", "/v1/orders/4", 200, 150) // <250
        // noise: malformed (2: a malformed-json and a bare 400 without problem type)
        .access(
            "2026-11-22T10:00:50Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            400,
            1,
            "shop/1",
            "k5",
            json,
            "malformed-json")
        .access(
            "2026-11-22T10:00:51Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            400,
            1,
            "shop/1",
            null,
            "text/plain; charset=utf-8",
            null)
        // noise: scanners (2)
        .get("2026-11-22T10:00:52Z", "-", "/wp-admin/setup-config.php", 404, 1)
        .get("2026-11-22T10:00:53Z", "-", "/.env", 404, 1)
        // noise: bots (2: a crawler agent and no agent at all)
        .access(
            "2026-11-22T10:00:54Z",
            "GET",
            "/v1/orders/:id",
            "/v1/orders/999999",
            404,
            2,
            "Mozilla/5.0 (compatible; AhrefsBot/7.0)",
            null,
            null,
            null)
        .access("2026-11-22T10:00:55Z", "GET", "-", "/", 404, 1, "", null, null, null)
        // noise: retries of k1 (2), whatever their status
        .access(
            "2026-11-22T10:01:00Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            201,
            5,
            "shop/1",
            "k1",
            json,
            null)
        .access(
            "2026-11-22T10:01:01Z",
            "POST",
            "/v1/orders",
            "/v1/orders",
            409,
            5,
            "shop/1",
            "k1",
            json,
            null)
        // skipped: not JSON (3), other logger (1), broken JSON (1)
        .raw("10:00:00.000 INFO  dev.hotpath.App - hotpath serving on http://0.0.0.0:8080")
        .raw("java.lang.IllegalStateException: boom")
        .raw("")
        .raw("{\"ts\":\"2026-11-22T10:00:00Z\",\"logger\":\"dev.hotpath.App\",\"message\":\"up\"}")
        .raw("{\"ts\":\"2026-11-22T10:00:00Z\",\"logger\":\"access\",\"status\":");
  }
}
