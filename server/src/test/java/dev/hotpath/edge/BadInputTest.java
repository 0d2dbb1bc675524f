package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input of every kind gets a 4xx problem that says what is wrong, and writes nothing. */
class BadInputTest {
  private static final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);
  private static long customer;
  private static long product;

  @BeforeEach
  void fixtures() {
    if (customer == 0) {
      customer = fx.customer();
      product = fx.product(100, 10);
    }
  }

  static Stream<Arguments> badOrders() {
    return Stream.of(
        Arguments.of("not json", "{\"customer_id\":", 400, "malformed-json"),
        Arguments.of(
            "trailing garbage", "{\"customer_id\":1,\"items\":[]} x", 400, "malformed-json"),
        Arguments.of(
            "duplicate keys",
            "{\"customer_id\":1,\"customer_id\":2,\"items\":[]}",
            400,
            "malformed-json"),
        Arguments.of("array body", "[1,2]", 400, "validation-error"),
        Arguments.of(
            "wrong types", "{\"customer_id\":\"1\",\"items\":{}}", 400, "validation-error"),
        Arguments.of("missing fields", "{}", 400, "validation-error"),
        Arguments.of(
            "unknown field",
            "{\"customer_id\":CUST,\"items\":[{\"product_id\":PROD,\"quantity\":1}],\"price\":0}",
            400,
            "validation-error"),
        Arguments.of(
            "negative quantity",
            "{\"customer_id\":CUST,\"items\":[{\"product_id\":PROD,\"quantity\":-1}]}",
            400,
            "validation-error"),
        Arguments.of(
            "zero quantity",
            "{\"customer_id\":CUST,\"items\":[{\"product_id\":PROD,\"quantity\":0}]}",
            400,
            "validation-error"),
        Arguments.of(
            "fractional quantity",
            "{\"customer_id\":CUST,\"items\":[{\"product_id\":PROD,\"quantity\":1.5}]}",
            400,
            "validation-error"),
        Arguments.of(
            "huge number",
            "{\"customer_id\":123456789012345678901234567890,\"items\":[{\"product_id\":PROD,\"quantity\":1}]}",
            400,
            "validation-error"),
        Arguments.of("no items", "{\"customer_id\":CUST,\"items\":[]}", 400, "validation-error"),
        Arguments.of(
            "null item", "{\"customer_id\":CUST,\"items\":[null]}", 400, "validation-error"),
        Arguments.of(
            "deep nesting",
            "{\"customer_id\":CUST,\"items\":" + "[".repeat(200) + "]".repeat(200) + "}",
            400,
            "malformed-json"),
        Arguments.of(
            "bad address",
            "{\"customer_id\":CUST,\"items\":[{\"product_id\":PROD,\"quantity\":1}],\"shipping_address\":{\"line1\":\"\",\"country\":\"usa\"}}",
            400,
            "validation-error"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badOrders")
  void rejectsABadOrderAndWritesNothing(String name, String body, int status, String type) {
    String before = fx.rowCounts();
    Api.Response r =
        api.post(
            "/v1/orders",
            body.replace("CUST", String.valueOf(customer))
                .replace("PROD", String.valueOf(product)));
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(r.json().get("type").asText()).isEqualTo("https://hotpath.dev/problems/" + type);
    assertThat(r.json().get("detail").asText()).isNotBlank();
    assertThat(r.body())
        .doesNotContainIgnoringCase("exception")
        .doesNotContain("com.fasterxml")
        .doesNotContain("at dev.");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  /**
   * Regression: an object's members were not counted, so a body of 60,000 unknown members (0.77 MB)
   * was answered with a problem listing 60,000 errors (3.17 MB, 250-390 ms of server CPU each on
   * the demo server). An object with more members than the limit an array has for items is a 400
   * naming it, before any tree is built; nothing is written.
   */
  @Test
  void anObjectWithMoreMembersThanTheLimitIsA400NamingIt() {
    StringBuilder body = new StringBuilder(oneItemOrder());
    body.setLength(body.length() - 1);
    for (int i = 0; i < 60_000; i++) {
      body.append(",\"k").append(i).append("\":0");
    }
    body.append('}');
    String before = fx.rowCounts();
    Api.Response r = api.post("/v1/orders", body.toString());
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body().length()).as("the problem's size").isLessThan(2_000);
    assertThat(r.json().get("errors").get(0).get("field").asText()).isEqualTo("/");
    assertThat(r.json().get("errors").get(0).get("message").asText())
        .isEqualTo("has more than 1000 members");
    // and one level down
    Api.Response nested =
        api.post("/v1/customers/batch-get", "{\"ids\":[1],\"x\":{" + members(1_001) + "}}");
    assertThat(nested.status()).isEqualTo(400);
    assertThat(nested.json().get("errors").get(0).get("field").asText()).isEqualTo("/x");
    // a thousand lines of sixty unknown members each: 60,000 members in all, refused as such
    // (before: 60,001 errors listed, 3.58 MB); of five each, the first 100 of 5,001 errors listed
    for (int each : new int[] {60, 5}) {
      StringBuilder items = new StringBuilder();
      for (int i = 0; i < 1_000; i++) {
        items.append(i == 0 ? "" : ",").append("{\"product_id\":1,\"quantity\":1");
        for (int j = 0; j < each; j++) {
          items.append(",\"k").append(j).append("\":0");
        }
        items.append('}');
      }
      Api.Response lines =
          api.post("/v1/orders", "{\"customer_id\":" + customer + ",\"items\":[" + items + "]}");
      assertThat(lines.status()).isEqualTo(400);
      assertThat(lines.body().length()).as("the problem's size").isLessThan(20_000);
      assertThat(lines.json().get("errors").size()).isLessThanOrEqualTo(100);
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  private static String members(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append("\"m").append(i).append("\":0");
    }
    return b.toString();
  }

  @Test
  void listsEveryFailingFieldNotOnlyTheFirst() {
    Api.Response r =
        api.post(
            "/v1/orders",
            "{\"customer_id\":-5,\"items\":[{\"product_id\":0,\"quantity\":-1,\"x\":1}],\"extra\":true}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("errors").findValuesAsText("field"))
        .contains(
            "/customer_id", "/items/0/product_id", "/items/0/quantity", "/items/0/x", "/extra");
  }

  @Test
  void rejectsBadQueryParametersAllAtOnce() {
    Api.Response r = api.get("/v1/customers?limit=0&status=zombie&fields=nope&color=red");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("errors").findValuesAsText("field"))
        .containsExactlyInAnyOrder("limit", "status", "fields", "color");
    assertThat(api.get("/v1/customers?limit=101").status()).isEqualTo(400);
    assertThat(api.get("/v1/customers?limit=abc").status()).isEqualTo(400);
    assertThat(api.get("/v1/customers?limit=5&limit=6").status()).isEqualTo(400);
  }

  /**
   * An integer in a query is written one way, canonical decimal: a leading zero, a sign, a space, a
   * fraction, an exponent or another script's digit is a 400 naming the parameter (before, {@code
   * limit=01} was read as 1: one page under two URLs, two entries in a cache keyed by URL, a CDN's
   * for the public catalogue). The route's own spelling is answered.
   */
  @Test
  void aQueryIntegerHasOneSpelling() {
    String orders = "/v1/customers/" + customer + "/orders?limit=";
    for (String spelling :
        List.of("01", "001", "%2B1", "+1", "%201", "1%20", "1.0", "1e0", "0x1", "%EF%BC%91", "")) {
      for (Api.Response r :
          List.of(
              api.get("/v1/products?limit=" + spelling),
              api.get(orders + spelling),
              api.get("/v1/customers?limit=" + spelling))) {
        assertThat(r.status()).as(spelling).isEqualTo(400);
        assertThat(r.header("Content-Type")).contains("application/problem+json");
        assertThat(r.json().get("errors").findValuesAsText("field")).containsExactly("limit");
      }
    }
    assertThat(api.get("/v1/products?limit=1").status()).isEqualTo(200);
    assertThat(api.get(orders + "10").status()).isEqualTo(200);
    assertThat(api.get("/v1/customers?limit=100").status()).isEqualTo(200);
  }

  @Test
  void rejectsForgedAndAlteredCursors() {
    String real = api.get("/v1/customers?limit=2").json().get("next_cursor").asText();
    char last = real.charAt(real.length() - 3);
    String altered =
        real.substring(0, real.length() - 3)
            + (last == 'A' ? 'B' : 'A')
            + real.substring(real.length() - 2);
    for (String cursor :
        new String[] {altered, "AAAA", "not-base64!!", "x".repeat(300), real + "AA"}) {
      Api.Response r =
          api.get(
              "/v1/customers?limit=2&cursor="
                  + java.net.URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      assertThat(r.status()).as(cursor).isEqualTo(400);
      assertThat(r.json().get("type").asText()).endsWith("/invalid-cursor");
    }
    // a cursor is bound to its list: a customers cursor does not page products
    assertThat(api.get("/v1/products?cursor=" + real).status()).isEqualTo(400);
    assertThat(api.get("/v1/customers?status=active&cursor=" + real).status()).isEqualTo(400);
  }

  /** Regression: NUL is valid in JSON and URLs but not in PostgreSQL text; it was a 500. */
  @Test
  void aNulCharacterInATextParameterOrABodyStringIsA400() {
    Api.Response query = api.get("/v1/products?category=%00");
    assertThat(query.status()).isEqualTo(400);
    assertThat(query.json().get("errors").get(0).get("field").asText()).isEqualTo("category");
    String before = fx.rowCounts();
    Api.Response body =
        api.post("/v1/customers", "{\"email\":\"nul@x.io\",\"name\":\"a\\u0000b\"}");
    assertThat(body.status()).isEqualTo(400);
    assertThat(body.json().get("errors").get(0).get("field").asText()).isEqualTo("/name");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  /**
   * Regression: half a UTF-16 surrogate pair ({@code \ud800}) is a valid JSON escape but no
   * character; a PATCH stored it as "?" and answered 200. A whole pair (an emoji) is kept.
   */
  @Test
  void halfASurrogatePairIsA400AndAWholePairIsKept() {
    String before = fx.rowCounts();
    for (String name : List.of("a\\ud800b", "\\udc00", "x\\ud83d")) {
      Api.Response r =
          api.post("/v1/customers", "{\"email\":\"half@x.io\",\"name\":\"" + name + "\"}");
      assertThat(r.status()).as(name).isEqualTo(400);
      assertThat(r.contentType()).isEqualTo("application/problem+json");
      assertThat(r.json().get("errors").get(0).get("field").asText()).isEqualTo("/name");
      assertThat(r.json().get("errors").get(0).get("message").asText()).contains("surrogate");
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
    Api.Response whole =
        api.post("/v1/customers", "{\"email\":\"pair@x.io\",\"name\":\"a\\ud83d\\ude00\"}");
    assertThat(whole.status()).isEqualTo(201);
    assertThat(whole.json().get("name").asText()).isEqualTo("a\uD83D\uDE00");
  }

  /**
   * Regression: the parser decoded bytes that are not UTF-8 as if they were: {@code C0 AF}, the
   * overlong form of "/", made a customer named "a/b". Each such body is a 400 naming the offset of
   * the bad byte, and changes nothing; a name in real UTF-8 is kept.
   */
  @Test
  void bytesThatAreNotUtf8AreA400NamingTheirOffset() {
    String before = fx.rowCounts();
    String head = "{\"email\":\"" + Fixtures.uniqueEmail("utf8") + "\",\"name\":\"a";
    for (byte[] bad :
        List.of(
            new byte[] {(byte) 0xc0, (byte) 0xaf}, // overlong "/"
            new byte[] {(byte) 0xe0, (byte) 0x80, (byte) 0xaf}, // overlong "/" in three bytes
            new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // the surrogate U+D800
            new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
            new byte[] {(byte) 0xff},
            new byte[] {(byte) 0xc3})) { // a lead byte without its continuation
      byte[] body =
          concat(
              head.getBytes(StandardCharsets.UTF_8), bad, "b\"}".getBytes(StandardCharsets.UTF_8));
      Api.Response r =
          api.send(
              api.request("/v1/customers")
                  .header("Content-Type", "application/json")
                  .header("Idempotency-Key", java.util.UUID.randomUUID().toString())
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build());
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.contentType()).isEqualTo("application/problem+json");
      assertThat(r.json().get("detail").asText())
          .contains("not valid UTF-8 at byte " + head.getBytes(StandardCharsets.UTF_8).length);
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
    Api.Response real =
        api.post(
            "/v1/customers",
            "{\"email\":\""
                + Fixtures.uniqueEmail("utf8ok")
                + "\",\"name\":\"a\u00e9\u4e2d\ud83d\ude00b\"}");
    assertThat(real.status()).as(real.body()).isEqualTo(201);
    assertThat(real.json().get("name").asText()).isEqualTo("a\u00e9\u4e2d\ud83d\ude00b");
  }

  private static byte[] concat(byte[]... parts) {
    var out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /**
   * Regression: a body sent with {@code Content-Encoding: gzip} was read as if it were plain (a
   * plain body so labelled made an order). It is a 415 naming the coding taken; identity is fine.
   */
  @Test
  void aCodedRequestBodyIsA415AndChangesNothing() throws Exception {
    String order = "{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1}]}";
    String before = fx.rowCounts();
    for (String coding : List.of("gzip", "deflate", "br", "GZIP, identity")) {
      Api.Response r =
          api.post(
              "/v1/orders",
              order,
              "Idempotency-Key",
              java.util.UUID.randomUUID().toString(),
              "Content-Encoding",
              coding);
      assertThat(r.status()).as(coding).isEqualTo(415);
      assertThat(r.contentType()).isEqualTo("application/problem+json");
      assertThat(r.header("Accept-Encoding")).hasValue("identity");
      assertThat(r.json().get("detail").asText()).contains("uncompressed");
    }
    assertThat(fx.rowCounts()).isEqualTo(before);
    Api.Response plain =
        api.post(
            "/v1/customers",
            "{\"email\":\"identity@x.io\",\"name\":\"i\"}",
            "Idempotency-Key",
            java.util.UUID.randomUUID().toString(),
            "Content-Encoding",
            "identity");
    assertThat(plain.status()).isEqualTo(201);
  }

  @Test
  void unknownRouteIs404Problem() {
    Api.Response r = api.get("/v1/nothing-here");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("type").asText()).endsWith("/not-found");
  }

  @Test
  void wrongMethodIs405WithAllow() {
    Api.Response r = api.send(api.request("/v1/orders/1").DELETE().build());
    assertThat(r.status()).isEqualTo(405);
    assertThat(r.contentType()).isEqualTo("application/problem+json");
    assertThat(r.header("Allow")).hasValue("GET, HEAD");
    assertThat(api.send(api.request("/v1/customers/1").DELETE().build()).header("Allow"))
        .hasValue("GET, HEAD, PATCH");
  }

  /**
   * Regression: HEAD was a 405 on every route, though a server must support it wherever it supports
   * GET (RFC 9110, section 9.1) and balancers probe health with it. It runs the GET's steps and
   * answers its status and headers without a body.
   */
  @Test
  void headAnswersWhatGetWouldWithoutABody() {
    long order = fx.order(fx.customer(), fx.product(500, 10), 1);
    for (String path : List.of("/v1/orders/" + order, "/v1/orders/999999999", "/health/live")) {
      Api.Response get = api.get(path);
      Api.Response head = api.send(api.request(path).HEAD().build());
      assertThat(head.status()).as(path).isEqualTo(get.status());
      assertThat(head.body()).as(path).isEmpty();
      assertThat(head.header("Content-Type")).as(path).isEqualTo(get.header("Content-Type"));
      assertThat(head.header("ETag")).as(path).isEqualTo(get.header("ETag"));
    }
    String tag = api.get("/v1/orders/" + order).header("ETag").orElseThrow();
    Api.Response unchanged =
        api.send(api.request("/v1/orders/" + order).header("If-None-Match", tag).HEAD().build());
    assertThat(unchanged.status()).isEqualTo(304);
    // HEAD is not a way around authentication
    Api.Response anonymous =
        api.send(
            HttpRequest.newBuilder(api.request("/v1/orders/" + order).build().uri())
                .HEAD()
                .build());
    assertThat(anonymous.status()).isEqualTo(401);
  }

  @Test
  void unacceptableAcceptIs406() {
    Api.Response r =
        api.send(api.request("/v1/orders/1").header("Accept", "text/csv").GET().build());
    assertThat(r.status()).isEqualTo(406);
    assertThat(r.json().get("type").asText()).endsWith("/not-acceptable");
  }

  /**
   * A weight of 0 means "not acceptable" (RFC 9110 12.4.2); Vert.x's router takes it as the lowest
   * weight and would send the route's one format anyway. Every route that negotiates answers 406
   * instead, before any work: a write so refused writes nothing.
   */
  @Test
  void anAcceptThatWeighsTheOnlyFormatZeroIs406AndWritesNothing() {
    long customer = fx.customer();
    String before = fx.rowCounts();
    for (String accept : new String[] {"application/json;q=0", "*/*;q=0", "application/*;q=0.0"}) {
      Api.Response read = api.get("/v1/customers/" + customer + "/summary", "Accept", accept);
      assertThat(read.status()).as(accept + ": " + read.body()).isEqualTo(406);
      assertThat(read.contentType()).isEqualTo("application/problem+json");
      assertThat(read.json().get("detail").asText()).contains("application/json");
      Api.Response write =
          api.post("/v1/customers", "{\"email\":\"q0@x.io\",\"name\":\"Q\"}", "Accept", accept);
      assertThat(write.status()).as(accept + ": " + write.body()).isEqualTo(406);
    }
    assertThat(api.get("/v1/reports/1", "Accept", "text/csv;q=0").status()).isEqualTo(406);
    assertThat(fx.rowCounts()).isEqualTo(before);
    // a weight above 0, or none, is served
    assertThat(
            api.get("/v1/customers/" + customer + "/summary", "Accept", "application/json;q=0.1")
                .status())
        .isEqualTo(200);
    assertThat(
            api.get("/v1/customers/" + customer + "/summary", "Accept", "text/html, */*;q=0.2")
                .status())
        .isEqualTo(200);
  }

  @Test
  void nonJsonBodyIs415AndWritesNothing() {
    String before = fx.rowCounts();
    Api.Response r =
        api.send(
            api.request("/v1/customers")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("email=a@b.c"))
                .build());
    assertThat(r.status()).isEqualTo(415);
    assertThat(r.json().get("type").asText()).endsWith("/unsupported-media-type");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  @Test
  void bodyOverTheLimitIs413AndWritesNothing() {
    String before = fx.rowCounts();
    String huge = "{\"email\":\"a@b.cd\",\"name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}";
    Api.Response r = api.post("/v1/customers", huge);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().get("type").asText()).endsWith("/payload-too-large");
    assertThat(fx.rowCounts()).isEqualTo(before);
  }

  @Test
  void overlongUrlIs414Problem() throws Exception {
    String response =
        raw("GET /v1/customers?fields=" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(response).matches("(?s)HTTP/1\\.[01] 414.*").contains("application/problem+json");
  }

  @Test
  void malformedQueryEncodingIsA400Problem() throws Exception {
    String response =
        raw(
            "GET /v1/customers?status=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + dev.hotpath.support.Tokens.get().service()
                + "\r\nConnection: close\r\n\r\n");
    assertThat(response).startsWith("HTTP/1.1 400").contains("application/problem+json");
    // percent-encoded bytes that are not UTF-8 were each read as U+FFFD (200, two URLs of one
    // answer); a valid UTF-8 value is still read
    for (String bytes : List.of("%FF", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "a%C3", "%80b")) {
      String bad =
          raw(
              "GET /v1/products?category="
                  + bytes
                  + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(bad)
          .as(bytes)
          .startsWith("HTTP/1.1 400")
          .contains("application/problem+json")
          .contains("are not UTF-8");
    }
    // and so is a byte past ASCII sent as it is, as in a path
    assertThat(
            raw(
                "GET /v1/products?category=caf\u00e9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 400")
        .contains("outside ASCII");
    assertThat(
            raw(
                "GET /v1/products?category=caf%C3%A9%20%F0%9F%8F%95 HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200");
  }

  @Test
  void twoHostFieldsAreA400OnTheLeanAndTheFullRoute() throws Exception {
    String auth = "Authorization: Bearer " + dev.hotpath.support.Tokens.get().service() + "\r\n";
    long order = fx.order(customer, product, 1);
    // a cached order (read once before) as well as a miss, a public read and a list
    assertThat(api.get("/v1/orders/" + order).status()).isEqualTo(200);
    for (String path :
        List.of(
            "/v1/orders/" + order, "/v1/orders/1", "/v1/products/" + product, "/v1/customers")) {
      String response =
          raw(
              "GET "
                  + path
                  + " HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n"
                  + auth
                  + "Connection: close\r\n\r\n");
      assertThat(response)
          .as(path)
          .startsWith("HTTP/1.1 400")
          .contains("application/problem+json")
          .contains("2 Host header fields");
    }
    // one Host, in any case of its name, is served
    assertThat(
            raw(
                "GET /v1/products/"
                    + product
                    + " HTTP/1.1\r\nhOsT: a.example\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200");
  }

  /**
   * Regression: a request target in absolute form naming another host ({@code GET
   * http://evil.example/v1/orders/1} with {@code Host: localhost}) was served, though its authority
   * replaces Host (RFC 9112, 3.2.2): a proxy routing by Host and this server each read it as meant
   * for another site. It is a 400 on the lean and the full route and for a write (nothing written);
   * so are a scheme other than http(s) and user information; the same authority as Host is served.
   */
  @Test
  void anAbsoluteTargetNamingAnotherAuthorityThanHostIsA400() throws Exception {
    String auth = "Authorization: Bearer " + dev.hotpath.support.Tokens.get().service() + "\r\n";
    long order = fx.order(customer, product, 1);
    assertThat(api.get("/v1/orders/" + order).status()).isEqualTo(200);
    String here = "localhost:" + server.app().port();
    for (String path :
        List.of("/v1/orders/" + order, "/v1/products/" + product, "/v1/customers?limit=1")) {
      for (String target :
          List.of(
              "http://evil.example" + path,
              "https://evil.example:" + server.app().port() + path,
              "http://user@" + here + path,
              "ftp://" + here + path)) {
        String response =
            raw(
                "GET "
                    + target
                    + " HTTP/1.1\r\nHost: "
                    + here
                    + "\r\n"
                    + auth
                    + "Connection: close\r\n\r\n");
        assertThat(response)
            .as(target)
            .startsWith("HTTP/1.1 400")
            .contains("application/problem+json");
      }
      assertThat(
              raw(
                  "GET http://"
                      + here
                      + path
                      + " HTTP/1.1\r\nHost: "
                      + here
                      + "\r\n"
                      + auth
                      + "Connection: close\r\n\r\n"))
          .as("the same authority as Host")
          .startsWith("HTTP/1.1 200");
    }
    String before = fx.rowCounts();
    String write = rawOrder("http://evil.example/v1/orders", "Host: " + here + "\r\n" + auth);
    assertThat(write).startsWith("HTTP/1.1 400").contains("evil.example");
    assertThat(fx.rowCounts()).isEqualTo(before);

    // over HTTP/2 (h2c, prior knowledge) a :path in absolute form is held to :authority alike
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      var h2 = Api.h2c(vertx);
      for (String target :
          List.of(
              "http://evil.example/v1/orders/" + order, "http://" + here + "/v1/orders/" + order)) {
        var answer =
            h2.request(
                    new io.vertx.core.http.RequestOptions()
                        .setHost("localhost")
                        .setPort(server.app().port())
                        .setURI(target)
                        .putHeader(
                            "authorization",
                            "Bearer " + dev.hotpath.support.Tokens.get().service()))
                .compose(
                    request ->
                        request
                            .send()
                            .compose(
                                response ->
                                    response
                                        .body()
                                        .map(
                                            b ->
                                                response.version()
                                                    + " "
                                                    + response.statusCode()
                                                    + " "
                                                    + b)))
                .await();
        assertThat(answer)
            .as(target)
            .startsWith(target.contains("evil") ? "HTTP_2 400" : "HTTP_2 200");
      }
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Regression: with two {@code Authorization} fields, a valid token and another, a cached order
   * was served on the first one's credentials, whichever a proxy in front had checked. Each such
   * request is a 400 on every kind of route, a write included, and changes nothing.
   */
  @Test
  void twoAuthorizationFieldsAreA400AndChangeNothing() throws Exception {
    String valid = "Authorization: Bearer " + dev.hotpath.support.Tokens.get().service() + "\r\n";
    String other = "Authorization: Bearer x.y.z\r\n";
    long order = fx.order(customer, product, 1);
    assertThat(api.get("/v1/orders/" + order).status()).isEqualTo(200);
    for (String path : List.of("/v1/orders/" + order, "/v1/products/" + product, "/v1/customers")) {
      for (String pair : List.of(valid + other, other + valid, valid + valid)) {
        String response =
            raw(
                "GET "
                    + path
                    + " HTTP/1.1\r\nHost: localhost\r\n"
                    + pair
                    + "Connection: close\r\n\r\n");
        assertThat(response)
            .as(path)
            .startsWith("HTTP/1.1 400")
            .contains("application/problem+json")
            .contains("2 Authorization header fields");
      }
    }
    String before = fx.rowCounts();
    String write = rawOrder("/v1/orders", "Host: localhost\r\n" + valid + other);
    assertThat(write).startsWith("HTTP/1.1 400").contains("2 Authorization header fields");
    assertThat(fx.rowCounts()).isEqualTo(before);
    // and over HTTP/2 (the suite's server speaks h2c: the client upgrades its first request)
    java.net.http.HttpClient h2 =
        java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_2)
            .build();
    var upgrade =
        h2.send(
            HttpRequest.newBuilder(java.net.URI.create(api.base() + "/health/live")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(upgrade.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
    var twice =
        h2.send(
            HttpRequest.newBuilder(java.net.URI.create(api.base() + "/v1/orders/" + order))
                .header("Authorization", "Bearer " + dev.hotpath.support.Tokens.get().service())
                .header("Authorization", "Bearer x.y.z")
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(twice.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
    assertThat(twice.statusCode()).as(twice.body()).isEqualTo(400);
    assertThat(twice.body()).contains("2 Authorization header fields");
  }

  /**
   * An expectation the server does not know ({@code Expect: foo}, or {@code 100-continue} with
   * another) on a route with a body is a 417 problem that says which one is understood, and nothing
   * is written. Before, Vert.x's body handler failed the request with 417 and the failure handler,
   * which did not know the status, answered 500 and logged an ERROR for each such request: any
   * client could fill the log.
   */
  @Test
  void anUnknownExpectationIsA417AndNotAnError() throws Exception {
    String auth = "Authorization: Bearer " + dev.hotpath.support.Tokens.get().service() + "\r\n";
    String body = oneItemOrder();
    var errors =
        new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    errors.start();
    var problems =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(dev.hotpath.http.Problems.class);
    problems.addAppender(errors);
    try {
      String before = fx.rowCounts();
      for (String expect : List.of("foo", "100-continue, foo", "200-ok")) {
        for (String target : List.of("/v1/orders", "/graphql")) {
          String response =
              raw(
                  "POST "
                      + target
                      + " HTTP/1.1\r\nHost: localhost\r\n"
                      + auth
                      + "Idempotency-Key: "
                      + java.util.UUID.randomUUID()
                      + "\r\nExpect: "
                      + expect
                      + "\r\nContent-Type: application/json\r\nContent-Length: "
                      + body.length()
                      + "\r\nConnection: close\r\n\r\n"
                      + body);
          assertThat(response)
              .as(expect + " " + target)
              .startsWith("HTTP/1.1 417")
              .contains("application/problem+json")
              .contains("problems/expectation-failed")
              .contains("100-continue");
        }
      }
      assertThat(fx.rowCounts()).isEqualTo(before);
      assertThat(errors.list).as("logged by the failure handler").isEmpty();
    } finally {
      problems.detachAppender(errors);
    }
  }

  /** A valid order's body: one of the fixture's product for the fixture's customer. */
  private static String oneItemOrder() {
    return "{\"customer_id\":"
        + customer
        + ",\"items\":[{\"product_id\":"
        + product
        + ",\"quantity\":1}]}";
  }

  /** A one-item order POSTed to {@code target} with {@code fields} (each ending in CRLF). */
  private static String rawOrder(String target, String fields) throws Exception {
    String body = oneItemOrder();
    return raw(
        "POST "
            + target
            + " HTTP/1.1\r\n"
            + fields
            + "Idempotency-Key: "
            + java.util.UUID.randomUUID()
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length()
            + "\r\nConnection: close\r\n\r\n"
            + body);
  }

  private static String raw(String request) throws Exception {
    try (Socket socket = new Socket("localhost", server.app().port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[4096];
      int n = in.read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }
  }
}
