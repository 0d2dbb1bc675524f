package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Contracts;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The hostile-input suite: 10,000 malformed or hostile requests generated from api/openapi.yaml —
 * every operation, its path, query and header parameters, its body — with wrong types, huge
 * numbers, odd unicode, SQL and JSON injection, path traversal, forged cursors and bad tokens. Sent
 * concurrently over keep-alive connections from several client addresses. No answer may be a 5xx,
 * every answer must conform to the contract, and no row may change. Deterministic: request {@code
 * i} is generated from seed {@code SEED + i}.
 */
class HostileInputTest {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(HostileInputTest.class);

  private static final long SEED = 20240607L;
  private static final int REQUESTS = 10_000;
  private static final int IN_FLIGHT = 48;

  private static final TestServer server = TestServer.get();
  private final Fixtures fx = new Fixtures(server);
  private final Tokens tokens = Tokens.get();

  /** Strings an attacker tries first. */
  private static final List<String> HOSTILE =
      List.of(
          "",
          " ",
          "0",
          "-1",
          "1.5",
          "1e309",
          "-0",
          "NaN",
          "Infinity",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775809",
          "9".repeat(400),
          "0x10",
          "1; DROP TABLE orders;--",
          "' OR '1'='1",
          "1 OR 1=1",
          "1) UNION SELECT passwd FROM pg_shadow--",
          "'; SELECT pg_sleep(10);--",
          "$1",
          "{\"$ne\":null}",
          "\",\"admin\":true,\"x\":\"",
          "}{",
          "../../../../etc/passwd",
          "..%2f..%2fetc%2fpasswd",
          "%2e%2e%2f",
          "..\\..\\windows\\win.ini",
          "/v1/orders/1",
          "%s%s%s%n",
          "${jndi:ldap://127.0.0.1/x}",
          "<script>alert(1)</script>",
          "a\r\nSet-Cookie: x=y",
          "\u0000",
          "\uFEFF1",
          "\u202E1",
          "١٢٣",
          "１２３",
          "𝟙𝟚𝟛",
          "e\u0301",
          "Ω≈ç√",
          "\uD83D\uDE00",
          "x".repeat(5000),
          "AAAAAAAAAAAAAAAAAAAAAA",
          "null",
          "true",
          "[]",
          "{}");

  private record Operation(
      String method, String template, List<JsonNode> parameters, String bodySchema) {}

  private static List<Operation> operations() {
    JsonNode doc = Contracts.instance().document();
    List<Operation> ops = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields();
    while (paths.hasNext()) {
      var path = paths.next();
      List<JsonNode> shared = new ArrayList<>();
      path.getValue().path("parameters").forEach(p -> shared.add(resolve(doc, p)));
      Iterator<Map.Entry<String, JsonNode>> methods = path.getValue().fields();
      while (methods.hasNext()) {
        var m = methods.next();
        if (m.getKey().equals("parameters")
            || path.getKey().equals("/admin/jfr")
            || path.getKey().equals("/health/ready")) {
          // a JFR recording lasts seconds by design (its parameters are tested elsewhere); the
          // readiness check takes no input, and its declared 503 reports an instance that this
          // very flood may keep busy beyond the check's 2 s
          continue;
        }
        List<JsonNode> params = new ArrayList<>(shared);
        m.getValue().path("parameters").forEach(p -> params.add(resolve(doc, p)));
        JsonNode content = m.getValue().path("requestBody").path("content");
        String schema = null;
        if (!content.isMissingNode()) {
          String ref = content.elements().next().path("schema").path("$ref").asText();
          // text bodies (NDJSON, CSV imports) have no JSON template; they are sent without one
          schema = ref.isEmpty() ? null : ref.substring(ref.lastIndexOf('/') + 1);
        }
        ops.add(new Operation(m.getKey().toUpperCase(), path.getKey(), params, schema));
      }
    }
    return ops;
  }

  private static JsonNode resolve(JsonNode doc, JsonNode node) {
    return node.has("$ref") ? doc.at(node.get("$ref").asText().substring(1)) : node;
  }

  /** A valid body of each schema, which the generator then always breaks. */
  private static final Map<String, String> TEMPLATES =
      Map.of(
          "CustomerCreate",
          "{\"email\":\"h@x.io\",\"name\":\"H\"}",
          "BatchGetRequest",
          "{\"ids\":[1,2,3]}",
          "CustomerPatch",
          "{\"name\":\"H\",\"status\":\"active\"}",
          "OrderCreate",
          "{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1}]}",
          "LogLevel",
          "{\"logger\":\"dev.hotpath\",\"level\":\"INFO\"}",
          "ReportRequest",
          "{\"from\":\"2025-01-01\",\"to\":\"2025-01-31\"}",
          "GraphqlRequest",
          "{\"query\":\"query($first: Int!) { products(first: $first) { data { id } } }\","
              + "\"variables\":{\"first\":1}}");

  @Test
  void tenThousandHostileRequestsGetNo5xxConformToTheContractAndChangeNothing() throws Exception {
    String realCursor =
        server.api().get("/v1/customers?limit=2").json().get("next_cursor").asText();
    List<Operation> ops = operations();
    assertThat(ops).hasSizeGreaterThan(10);
    List<Api> clients = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      clients.add(server.api().from("127.0.1." + (10 + i)));
    }
    List<String> badTokens =
        List.of(
            tokens.builder().unsigned(),
            tokens.builder().hs256WithPublicKey(),
            tokens.builder().badSignature(),
            tokens.builder().expiredAgo(Duration.ofHours(1)).es256(),
            tokens.builder().audience("x").rs256(),
            "eyJhbGciOiJub25lIn0.e30.",
            "x".repeat(9000),
            "Bearer Bearer",
            "\u00e9t\u00e9");
    List<String> goodTokens =
        List.of(tokens.service(), tokens.customer(1), tokens.customer(2), tokens.admin());

    String before = fx.rowCounts();
    double shedBefore = shed();
    Semaphore window = new Semaphore(IN_FLIGHT);
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> all = new ArrayList<>(REQUESTS);
    long start = System.nanoTime();
    for (int i = 0; i < REQUESTS; i++) {
      Random random = new Random(SEED + i);
      Operation op = ops.get(random.nextInt(ops.size()));
      Api client = clients.get(i % clients.size());
      HttpRequest request;
      try {
        request = generate(random, op, client, realCursor, badTokens, goodTokens);
      } catch (IllegalArgumentException refusedByTheClient) {
        continue; // java.net.http would not send it (e.g. a header value it forbids)
      }
      window.acquire();
      int index = i;
      all.add(
          client
              .sendAsync(request)
              .orTimeout(60, TimeUnit.SECONDS)
              .whenComplete(
                  (r, failure) -> {
                    window.release();
                    if (failure != null) {
                      failures.add(
                          index + " " + request.method() + " " + request.uri() + ": " + failure);
                    } else {
                      statuses
                          .computeIfAbsent(r.status(), s -> new AtomicInteger())
                          .incrementAndGet();
                      if (r.status() >= 500) {
                        failures.add(
                            index + " " + request.method() + " " + request.uri() + " -> " + r);
                      }
                    }
                  }));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]))
        .handle((v, e) -> null)
        .get(120, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - start) / 1_000_000;
    LOG.info("hostile suite: " + all.size() + " requests in " + ms + " ms, statuses " + statuses);
    assertThat(failures)
        .as("5xx answers, contract violations or failed exchanges (%s)", serverState())
        .isEmpty();
    // 48 requests in flight are far below the shared server's limit (at least 2,000, half
    // of it for the least critical routes): none of them may be shed
    assertThat(shed() - shedBefore).as("requests shed (%s)", serverState()).isZero();
    assertThat(all.size()).isGreaterThanOrEqualTo(REQUESTS * 9 / 10);
    assertThat(statuses.keySet()).allSatisfy(s -> assertThat(s).isLessThan(500));
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  /** Requests the shared server's admission has refused so far, every class and reason. */
  private static double shed() {
    return server.app().observability().registry().get("hotpath_admission_shed").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  /** What a 503 would depend on: the shared server's admission and database state now. */
  private static String serverState() {
    var admission = server.app().gatekeeper().admission();
    return "admission limit "
        + admission.limit()
        + ", in flight "
        + admission.inFlight()
        + ", queued "
        + admission.queued()
        + ", shed "
        + shed()
        + "; database available "
        + server.app().observability().registry().get("hotpath_db_available").gauge().value();
  }

  private HttpRequest generate(
      Random random,
      Operation op,
      Api client,
      String realCursor,
      List<String> badTokens,
      List<String> goodTokens) {
    String path = op.template();
    StringBuilder query = new StringBuilder();
    HttpRequest.Builder b;
    List<String[]> headers = new ArrayList<>();
    for (JsonNode p : op.parameters()) {
      String name = p.get("name").asText();
      String in = p.get("in").asText();
      boolean use = in.equals("path") || random.nextInt(3) == 0;
      if (!use) {
        continue;
      }
      String value = value(random, name, realCursor);
      switch (in) {
        case "path" -> path = path.replace("{" + name + "}", encode(value, random));
        case "query" ->
            query
                .append(query.isEmpty() ? "?" : "&")
                .append(name)
                .append('=')
                .append(encode(value, random));
        case "header" -> headers.add(new String[] {name, headerSafe(value)});
        default -> {}
      }
    }
    if (random.nextInt(4) == 0) {
      query
          .append(query.isEmpty() ? "?" : "&")
          .append(encode(pick(random, HOSTILE), random))
          .append('=')
          .append(encode(pick(random, HOSTILE), random));
    }
    b = client.request(path + query);
    int auth = random.nextInt(10);
    if (auth == 0) {
      b = client.anonymous().request(path + query);
    } else if (auth == 1) {
      b = client.as(headerSafe(pick(random, badTokens))).request(path + query);
    } else if (auth <= 3) {
      b = client.as(pick(random, goodTokens)).request(path + query);
    }
    for (String[] h : headers) {
      b.header(h[0], h[1]);
    }
    String[] extra = {"Accept", "Accept-Encoding", "X-Request-Id", "traceparent", "If-None-Match"};
    if (random.nextInt(3) == 0) {
      b.header(pick(random, List.of(extra)), headerSafe(pick(random, HOSTILE)));
    }
    if (random.nextInt(200) == 0) {
      b.header("X-Huge", "h".repeat(20_000));
    }
    if (op.method().equals("PATCH") && random.nextBoolean()) {
      b.header("If-Match", random.nextBoolean() ? "*" : headerSafe(pick(random, HOSTILE)));
    }
    if (op.bodySchema() == null) {
      return b.method(op.method(), HttpRequest.BodyPublishers.noBody()).build();
    }
    byte[] body = brokenBody(random, TEMPLATES.get(op.bodySchema()));
    String type =
        random.nextInt(12) == 0
            ? pick(
                random,
                List.of(
                    "text/plain",
                    "application/xml",
                    "application/json; charset=latin1",
                    "multipart/form-data"))
            : "application/json";
    return b.header("Content-Type", type)
        .method(op.method(), HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private static String value(Random random, String name, String realCursor) {
    if (name.equals("cursor")) {
      return switch (random.nextInt(4)) {
        case 0 -> forge(random, realCursor);
        case 1 -> realCursor;
        case 2 -> randomBase64(random);
        default -> pick(random, HOSTILE);
      };
    }
    if (name.equals("fields") && random.nextBoolean()) {
      return pick(random, List.of("id,id,id", "items.", "..", ",", "id,__proto__", "items.x,y"))
          + pick(random, HOSTILE);
    }
    return pick(random, HOSTILE);
  }

  /** A real cursor with bytes changed, cut or extended. */
  private static String forge(Random random, String cursor) {
    char[] chars = cursor.toCharArray();
    int at = random.nextInt(chars.length);
    chars[at] = "ABCxyz019-_".charAt(random.nextInt(11));
    String forged = new String(chars);
    return switch (random.nextInt(3)) {
      case 0 -> forged;
      case 1 -> forged.substring(0, random.nextInt(forged.length()));
      default -> forged + randomBase64(random);
    };
  }

  private static String randomBase64(Random random) {
    byte[] bytes = new byte[1 + random.nextInt(64)];
    random.nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * The template broken so that it cannot be valid: every body the suite sends is one the server
   * must refuse.
   */
  private static byte[] brokenBody(Random random, String template) {
    String h = pick(random, HOSTILE);
    String json = template;
    switch (random.nextInt(10)) {
      case 0 -> json = afterBrace(template, "{\"" + escape(h) + "_x\":\"" + escape(h) + "\",");
      case 1 -> json = wrongType(random, template);
      case 2 -> json = template.substring(0, random.nextInt(template.length()));
      case 3 -> json = "[".repeat(40 + random.nextInt(100)) + template + "]".repeat(40);
      case 4 -> json = afterBrace(template, "{\"ids\":[" + "7,".repeat(1500) + "7],");
      case 5 ->
          json =
              afterBrace(
                  template,
                  template.substring(1, template.indexOf(',') + 1).isEmpty()
                      ? "{\"a\":1,\"a\":2,"
                      : "{" + template.substring(1, template.indexOf(',') + 1));
      case 6 -> {
        byte[] bytes = afterBrace(template, "{\"z\":\"__\",").getBytes(StandardCharsets.UTF_8);
        int at = new String(bytes, StandardCharsets.UTF_8).indexOf("__");
        bytes[at] = (byte) 0xC3;
        bytes[at + 1] = (byte) 0x28; // an invalid UTF-8 sequence
        return bytes;
      }
      case 7 ->
          json =
              pick(random, List.of("", "null", "[]", "\"str\"", "0", "{}", "{\"a\":}", "\u0000"));
      case 8 -> json = afterBrace(template, "{\"" + escape(h) + "\":" + "{\"$where\":\"1==1\"},");
      default ->
          json =
              template.substring(0, template.length() - 1) + ",\"extra\":" + number(random) + "}";
    }
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** The template with {@code insert} placed right after its opening brace. */
  private static String afterBrace(String template, String insert) {
    return insert + template.substring(1);
  }

  /** Replaces the first value with one of another type than the schema's. */
  private static String wrongType(Random random, String template) {
    int colon = template.indexOf(':');
    int end = colon + 1;
    int depth = 0;
    boolean inString = false;
    for (; end < template.length(); end++) {
      char c = template.charAt(end);
      if (c == '"') {
        inString = !inString;
      } else if (!inString && (c == '[' || c == '{')) {
        depth++;
      } else if (!inString && (c == ']' || c == '}')) {
        if (depth == 0) {
          break;
        }
        depth--;
      } else if (!inString && c == ',' && depth == 0) {
        break;
      }
    }
    boolean wasString = template.charAt(colon + 1) == '"';
    String replacement =
        wasString
            ? pick(random, List.of(number(random), "{\"$ne\":1}", "[\"a\"]", "true", "-1e999"))
            : pick(
                random,
                List.of(
                    "\"" + escape(pick(random, HOSTILE)) + "\"",
                    "{}",
                    "[[[1]]]",
                    "1.5",
                    "-1",
                    "0",
                    "1e309",
                    "9".repeat(30),
                    "\"1 OR 1=1\""));
    return template.substring(0, colon + 1) + replacement + template.substring(end);
  }

  private static String number(Random random) {
    return pick(
        random, List.of("1e309", "-0", "123456789012345678901234567890", "0.0000001", "1E+2"));
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Percent-encodes, or now and then sends traversal sequences as they are. */
  private static String encode(String value, Random random) {
    if (value.matches("[./A-Za-z0-9%-]+") && random.nextBoolean()) {
      return value;
    }
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** What java.net.http lets through in a header value: visible ASCII and spaces. */
  private static String headerSafe(String value) {
    StringBuilder sb = new StringBuilder();
    for (char c : value.toCharArray()) {
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString().trim().isEmpty() ? "?" : sb.toString().trim();
  }

  private static <T> T pick(Random random, List<T> list) {
    return list.get(random.nextInt(list.size()));
  }
}
