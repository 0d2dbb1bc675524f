package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Contracts;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exhaustive half of the hostile-input suite (the random half is {@link HostileInputTest}):
 * generated from api/openapi.yaml, every operation with every path parameter spelled with a broken
 * percent-encoding, every body field of every operation given each value the contract refuses
 * (non-integral, non-finite and huge numbers, wrong types, NUL), every body route sent with every
 * wrong media type and charset, and the HTTP versions no server speaks. Every answer is a 4xx
 * problem (505 for the versions) that conforms to the contract, and no table changes.
 */
class HostileMatrixTest {
  private static final TestServer server = TestServer.get();
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Fixtures fx = new Fixtures(server);
  private final Api service = server.api();
  private final Api admin = server.api().as(Tokens.get().admin());
  private long customer;
  private long order;

  /** A valid body of each schema, which the matrix then breaks one field at a time. */
  private static final Map<String, String> TEMPLATES =
      Map.of(
          "CustomerCreate",
          "{\"email\":\"m@x.io\",\"name\":\"M\"}",
          "BatchGetRequest",
          "{\"ids\":[1,2,3]}",
          "CustomerPatch",
          "{\"name\":\"M\",\"status\":\"active\"}",
          "OrderCreate",
          "{\"customer_id\":1,\"items\":[{\"product_id\":1,\"quantity\":1}]}",
          "LogLevel",
          "{\"logger\":\"dev.hotpath\",\"level\":\"INFO\"}",
          "ReportRequest",
          "{\"from\":\"2025-01-01\",\"to\":\"2025-01-31\"}",
          "GraphqlRequest",
          "{\"query\":\"query($first: Int!) { products(first: $first) { data { id } } }\","
              + "\"variables\":{\"first\":1}}");

  /** Values no field of the contract takes: numbers must be integers written as integers. */
  private static final List<String> NUMBERS_REFUSED =
      List.of("1e400", "-1e400", "1.0e0", "1E+2", "1.5", "-0.0", "123456789012345678901234567890");

  private static final List<String> WRONG_TYPES =
      List.of("true", "null", "[]", "{}", "\"\\u0000\"", "[1e400]", "{\"$ne\":null}");

  private record Operation(String method, String template, String bodySchema) {}

  @BeforeEach
  void aCustomerWithAnOrder() {
    customer = fx.customer();
    order = fx.order(customer, fx.product(100, 100), 1);
  }

  private static List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    for (Contracts.Operation op : Contracts.instance().operations()) {
      if (op.template().equals("/admin/jfr")) {
        continue; // a recording lasts seconds by design; its parameters are tested elsewhere
      }
      JsonNode content = op.node().path("requestBody").path("content");
      String schema = null;
      if (!content.isMissingNode()) {
        String ref = content.elements().next().path("schema").path("$ref").asText();
        schema = ref.isEmpty() ? null : ref.substring(ref.lastIndexOf('/') + 1);
      }
      ops.add(new Operation(op.method(), op.template(), schema));
    }
    return ops;
  }

  /** The path of {@code op} with its parameters naming real rows of this test. */
  private String realPath(Operation op) {
    String id = op.template().startsWith("/v1/orders/{") ? Long.toString(order) : "" + customer;
    return op.template().replaceAll("\\{[^}]+}", id);
  }

  private Api clientFor(Operation op) {
    return op.template().startsWith("/admin") ? admin : service;
  }

  private Api.Response send(Operation op, String path, String contentType, byte[] body) {
    Api client = clientFor(op);
    HttpRequest.Builder b =
        client
            .request(path)
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .header("If-Match", "*");
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return client.send(
        b.method(
                op.method(),
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  private static void assertRefused(String what, Api.Response r, int... statuses) {
    assertThat(r.status()).as(what + " -> " + r.body()).isBetween(400, 499);
    if (statuses.length > 0) {
      assertThat(r.status()).as(what + " -> " + r.body()).isIn(box(statuses));
    }
    assertThat(r.contentType()).as(what).startsWith("application/problem+json");
  }

  private static Integer[] box(int[] values) {
    Integer[] boxed = new Integer[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return boxed;
  }

  @Test
  void aBrokenPercentEncodingInAnyPathOrQueryIsA400NeverA500() throws IOException {
    String before = fx.rowCounts();
    int sent = 0;
    String token = Tokens.get().service();
    for (Operation op : operations()) {
      if (!op.template().contains("{")) {
        continue;
      }
      for (String broken : List.of("%", "%zz", "%2", "%G1", "1%", "%%32")) {
        String path = op.template().replaceAll("\\{[^}]+}", broken);
        for (String auth : new String[] {token, null}) {
          String response = raw(op.method() + " " + path + " HTTP/1.1", auth);
          assertThat(response.lines().findFirst().orElse(""))
              .as(op.method() + " " + path)
              .contains(" 400 ");
          assertThat(response.toLowerCase()).contains("content-type: application/problem+json");
          assertThat(response).contains("percent-encoding");
          sent++;
        }
      }
    }
    for (String query : List.of("?limit=%zz", "?%zz=1", "?fields=%", "?cursor=%2")) {
      for (String path : List.of("/v1/customers/" + customer + "/orders", "/v1/products")) {
        String response = raw("GET " + path + query + " HTTP/1.1", token);
        assertThat(response.lines().findFirst().orElse("")).as(path + query).contains(" 400 ");
        assertThat(response.toLowerCase()).contains("content-type: application/problem+json");
        sent++;
      }
    }
    assertThat(sent).isGreaterThan(100);
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  /** Sends one request line (with a bearer token when given) on a new connection; the answer. */
  private static String raw(String requestLine, String token) throws IOException {
    try (Socket socket = new Socket("localhost", server.app().port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      String head =
          requestLine
              + "\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n"
              + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
              + "\r\n";
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void everyBodyFieldRefusesNumbersThatAreNotPlainIntegersAndValuesOfTheWrongType()
      throws IOException {
    String before = fx.rowCounts();
    int sent = 0;
    for (Operation op : operations()) {
      if (op.bodySchema() == null) {
        continue;
      }
      ObjectNode template = (ObjectNode) JSON.readTree(TEMPLATES.get(op.bodySchema()));
      List<String> fields = new ArrayList<>();
      template.fieldNames().forEachRemaining(fields::add);
      for (String field : fields) {
        List<String> values = new ArrayList<>(NUMBERS_REFUSED);
        values.addAll(WRONG_TYPES);
        for (String value : values) {
          String body = withField(template, field, value);
          Api.Response r = send(op, realPath(op), "application/json", utf8(body));
          assertRefused(op.method() + " " + op.template() + " " + body, r);
          sent++;
        }
      }
    }
    // nested numbers, and the very cases found answering 500
    Operation order = new Operation("POST", "/v1/orders", "OrderCreate");
    for (String value : NUMBERS_REFUSED) {
      String body =
          "{\"customer_id\":"
              + customer
              + ",\"items\":[{\"product_id\":1,\"quantity\":"
              + value
              + "}]}";
      Api.Response r = send(order, "/v1/orders", "application/json", utf8(body));
      assertRefused(body, r, 400);
      assertThat(r.json().get("errors").get(0).get("field").asText())
          .isEqualTo("/items/0/quantity");
    }
    Api.Response status =
        send(
            new Operation("PATCH", "/v1/customers/{id}", "CustomerPatch"),
            "/v1/customers/" + customer,
            "application/json",
            utf8("{\"status\":1e400}"));
    assertRefused("status 1e400", status, 400);
    assertThat(status.json().get("type").asText()).endsWith("/validation-error");
    Api.Response level =
        send(
            new Operation("PUT", "/admin/log-level", "LogLevel"),
            "/admin/log-level",
            "application/json",
            utf8("{\"logger\":\"dev.hotpath\",\"level\":-1e400}"));
    assertRefused("level -1e400", level, 400);
    assertThat(level.json().get("errors").get(0).get("field").asText()).isEqualTo("/level");
    assertThat(sent).isGreaterThan(100);
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  private static String withField(ObjectNode template, String field, String rawValue) {
    // built as text: the hostile values are JSON that no tree would keep as written
    Map<String, String> fields = new LinkedHashMap<>();
    template.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().toString()));
    fields.put(field, rawValue);
    StringBuilder out = new StringBuilder("{");
    fields.forEach(
        (k, v) ->
            out.append(out.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
    return out.append('}').toString();
  }

  @Test
  void aBodyInAnyMediaTypeOrCharsetButTheContractsIsA415ThatNamesWhatIsAccepted() {
    String before = fx.rowCounts();
    List<String> wrong =
        List.of(
            "*/*",
            "application/*",
            "application/json;;;",
            "application/json;",
            "application/json; charset=latin1",
            "application/json; charset=utf-16",
            "application/json; charset=utf-8; charset=utf-8",
            "application/json; foo=bar",
            "application/jsonx",
            "text/plain",
            "application/x-www-form-urlencoded");
    int sent = 0;
    for (Operation op : operations()) {
      if (op.bodySchema() == null) {
        continue;
      }
      byte[] valid = utf8(TEMPLATES.get(op.bodySchema()));
      for (String type : wrong) {
        Api.Response r = send(op, realPath(op), type, valid);
        assertRefused(op.method() + " " + op.template() + " as " + type, r, 415);
        assertThat(r.json().get("detail").asText()).contains("application/json");
        sent++;
      }
      Api.Response none = send(op, realPath(op), null, valid);
      assertRefused(op.method() + " " + op.template() + " without a type", none, 415);
      for (Charset charset :
          List.of(
              StandardCharsets.UTF_16LE,
              StandardCharsets.UTF_16BE,
              StandardCharsets.UTF_16,
              Charset.forName("UTF-32LE"),
              Charset.forName("UTF-32BE"))) {
        byte[] body = TEMPLATES.get(op.bodySchema()).getBytes(charset);
        Api.Response r = send(op, realPath(op), "application/json", body);
        assertRefused(op.method() + " " + op.template() + " in " + charset, r, 415);
        sent++;
      }
      byte[] bom = ("\uFEFF" + TEMPLATES.get(op.bodySchema())).getBytes(StandardCharsets.UTF_8);
      assertRefused("UTF-8 with a BOM", send(op, realPath(op), "application/json", bom), 415);
    }
    assertThat(sent).isGreaterThan(50);
    // the accepted spellings still work
    Api.Response upper =
        send(
            new Operation("POST", "/v1/customers/batch-get", "BatchGetRequest"),
            "/v1/customers/batch-get",
            "Application/JSON; Charset=\"UTF-8\"",
            utf8("{\"ids\":[" + customer + "]}"));
    assertThat(upper.status()).isEqualTo(200);
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  @Test
  void everyQueryParameterOfEveryOperationTakesHostileValuesWithoutA5xxOrAChange() {
    List<String> hostile =
        List.of(
            "%00",
            "%01%02",
            "9".repeat(400),
            "-1",
            "1e400",
            "NaN",
            "%D9%A1%D9%A2",
            "%E2%80%AE1",
            "x".repeat(5000),
            "%27%20OR%20%271%27%3D%271",
            "");
    JsonNode paths = Contracts.instance().document().get("paths");
    String before = fx.rowCounts();
    int sent = 0;
    for (Operation op : operations()) {
      if (!op.method().equals("GET")) {
        continue;
      }
      List<String> names = new ArrayList<>();
      JsonNode operation = paths.get(op.template()).get(op.method().toLowerCase());
      for (JsonNode p : operation.path("parameters")) {
        JsonNode param =
            p.has("$ref")
                ? Contracts.instance().document().at(p.get("$ref").asText().substring(1))
                : p;
        if (param.path("in").asText().equals("query")) {
          names.add(param.get("name").asText());
        }
      }
      for (String name : names) {
        for (String value : hostile) {
          String path = realPath(op) + "?" + name + "=" + value;
          Api.Response r = send(op, path, null, null);
          assertThat(r.status()).as(path + " -> " + r.body()).isLessThan(500);
          if (r.status() >= 400) {
            assertThat(r.contentType()).as(path).startsWith("application/problem+json");
          }
          sent++;
        }
      }
    }
    assertThat(sent).isGreaterThan(50);
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  @Test
  void bodiesWithDuplicateKeysTrailingDataOrOverlongStringsAre4xxAndChangeNothing() {
    String before = fx.rowCounts();
    int sent = 0;
    for (Operation op : operations()) {
      if (op.bodySchema() == null) {
        continue;
      }
      String valid = TEMPLATES.get(op.bodySchema());
      String firstField = valid.substring(1, valid.indexOf(','));
      List<String> bodies =
          List.of(
              "{" + firstField + "," + valid.substring(1),
              valid + " x",
              valid + valid,
              valid + "\u0000",
              valid.replaceFirst(":\"[^\"]*\"", ":\"" + "x".repeat(200_000) + "\""),
              valid.replaceFirst(
                  ":\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement(":\"a\\u0000b\"")),
              // half a surrogate pair: valid JSON escapes, but no character (it was stored as "?")
              valid.replaceFirst(
                  ":\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement(":\"a\\ud800b\"")),
              valid.replaceFirst(
                  ":\"[^\"]*\"", java.util.regex.Matcher.quoteReplacement(":\"\\udc00\"")));
      for (String body : bodies) {
        if (body.equals(valid)) {
          continue; // a template without a string field to stretch
        }
        Api.Response r = send(op, realPath(op), "application/json", utf8(body));
        assertRefused(op.method() + " " + op.template() + " " + abbreviate(body), r);
        sent++;
      }
    }
    assertThat(sent).isGreaterThan(30);
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  private static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  @Test
  void everyOtherSpellingOfEveryResourcePathIsA404() {
    String before = fx.rowCounts();
    int sent = 0;
    for (Operation op : operations()) {
      if (!op.template().contains("{")) {
        continue;
      }
      String real = realPath(op);
      int cut = real.lastIndexOf('/');
      List<String> variants =
          List.of(
              real + "/",
              real.replace("/v1/", "/v1//"),
              real.replace("/v1/", "/v1/./"),
              real.substring(0, cut) + "/x/.." + real.substring(cut),
              real.replaceFirst("/(\\d+)", "/0$1"),
              real.replaceFirst("/(\\d)(\\d*)", "/%3$1$2"));
      for (String path : variants) {
        Api.Response r = send(op, path, "application/json", null);
        assertRefused(op.method() + " " + path, r, 404);
        sent++;
      }
    }
    assertThat(sent).isGreaterThan(50);
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  @Test
  void anotherCustomersOrderIsA404ToReadAndToCancel() {
    long other = fx.customer();
    Api asOther = server.api().as(Tokens.get().customer(other));
    String before = fx.rowCounts();
    Api.Response read = asOther.get("/v1/orders/" + order);
    assertRefused("read another's order", read, 404);
    Api.Response cancel =
        asOther.send(
            asOther
                .request("/v1/orders/" + order + "/cancel")
                .header("If-Match", "*")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertRefused("cancel another's order", cancel, 404);
    Api.Response place =
        asOther.post(
            "/v1/orders",
            Fixtures.orderBody(customer, fx.product(100, 10), 1),
            "Idempotency-Key",
            UUID.randomUUID().toString());
    assertRefused("order for another customer", place, 422);
    assertThat(fx.rowCounts().replaceAll("products=\\d+ stock=\\d+", ""))
        .as("no row changed")
        .isEqualTo(before.replaceAll("products=\\d+ stock=\\d+", ""));
  }

  @Test
  void aMalformedBodyIsA400ThatGivesItsPositionAndNothingOfTheParser() {
    Operation op = new Operation("POST", "/v1/customers/batch-get", "BatchGetRequest");
    for (String body : List.of("{\"ids\":[}", "{\"ids\":[1,2] x", "{\"ids\":tru}", "{", "[1,]")) {
      Api.Response r = send(op, "/v1/customers/batch-get", "application/json", utf8(body));
      assertRefused(body, r, 400);
      assertThat(r.json().get("type").asText()).endsWith("/malformed-json");
      assertThat(r.json().get("detail").asText())
          .as(body)
          .matches("The body is not valid JSON at line \\d+, column \\d+");
    }
    Api.Response deep =
        send(op, "/v1/customers/batch-get", "application/json", utf8("[".repeat(40)));
    assertRefused("deep", deep, 400);
    assertThat(deep.body()).doesNotContain("StreamReadConstraints").doesNotContain("jackson");
  }

  @Test
  void aBodyThatNamesAFieldTwiceIsRefusedByTheFieldsName() {
    Operation op = new Operation("POST", "/v1/customers/batch-get", "BatchGetRequest");
    Api.Response r =
        send(op, "/v1/customers/batch-get", "application/json", utf8("{\"ids\":[1],\"ids\":[2]}"));
    assertRefused("duplicate", r, 400);
    assertThat(r.json().get("type").asText()).endsWith("/malformed-json");
    assertThat(r.json().get("detail").asText())
        .matches("The body names the field \"ids\" twice at line 1, column \\d+");
    String hostile = "<" + "x".repeat(100) + ">";
    Api.Response long_ =
        send(
            op,
            "/v1/customers/batch-get",
            "application/json",
            utf8("{\"" + hostile + "\":1,\"" + hostile + "\":2}"));
    assertRefused("long duplicate", long_, 400);
    assertThat(long_.json().get("detail").asText())
        .startsWith("The body names a field twice")
        .doesNotContain("xxx");
  }

  @Test
  void aChunkedBodyThatCannotBeFramedIsA400ProblemAndChangesNothing() throws IOException {
    String before = fx.rowCounts();
    String token = Tokens.get().service();
    for (String chunks : List.of("zz\r\n{}\r\n0\r\n\r\n", "5;\u0001\r\n{\"a\":\r\n0\r\n\r\n")) {
      for (String auth : new String[] {token, null}) {
        String head =
            "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: "
                + UUID.randomUUID()
                + "\r\nTransfer-Encoding: chunked\r\n"
                + (auth == null ? "" : "Authorization: Bearer " + auth + "\r\n")
                + "\r\n";
        String response = rawBytes(head + chunks);
        // readAllBytes returned: the server closed the connection after its answer
        assertThat(response.toLowerCase())
            .as(chunks)
            .contains("content-type: application/problem+json");
        if (auth != null) {
          assertThat(response.lines().findFirst().orElse("")).as(chunks).contains(" 400 ");
          assertThat(response.toLowerCase()).contains("connection: close");
          assertThat(response).contains("/problems/bad-request").contains("chunk size");
        } else {
          // the head alone earns a 401, which may be answered before the body is read
          assertThat(response.lines().findFirst().orElse(""))
              .as(chunks)
              .containsAnyOf(" 400 ", " 401 ");
        }
      }
    }
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  /**
   * Netty's decoder frames a body as chunked whenever its Transfer-Encoding list ends in chunked; a
   * list with any other coding, or chunked twice, was read as a plain chunked body (a proxy in
   * front may frame it otherwise, RFC 9112 6.1 forbids chunked twice). Now a 400 that says so, the
   * connection closed after it, nothing written.
   */
  @Test
  void aTransferEncodingOtherThanChunkedAloneIsA400AndChangesNothing() throws IOException {
    String before = fx.rowCounts();
    String token = Tokens.get().service();
    String body =
        "{\"customer_id\":" + customer + ",\"items\":[{\"product_id\":1,\"quantity\":1}]}";
    String chunks = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    for (String codings :
        List.of(
            "chunked, chunked",
            "gzip, chunked",
            "identity, chunked",
            "chunked\r\nTransfer-Encoding: chunked")) {
      String response =
          rawBytes(
              "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  + "Idempotency-Key: "
                  + UUID.randomUUID()
                  + "\r\nAuthorization: Bearer "
                  + token
                  + "\r\nTransfer-Encoding: "
                  + codings
                  + "\r\n\r\n"
                  + chunks);
      assertThat(response.lines().findFirst().orElse("")).as(codings).contains(" 400 ");
      assertThat(response.toLowerCase())
          .as(codings)
          .contains("content-type: application/problem+json")
          .contains("connection: close");
      assertThat(response).as(codings).contains("Transfer-Encoding must be chunked alone");
    }
    assertThat(fx.rowCounts()).as("no row changed").isEqualTo(before);
  }

  @Test
  void aRequestHeadTheDecoderRefusesIsA400ThatSaysWhatIsWrong() throws IOException {
    String ok = "GET /v1/products HTTP/1.1\r\nHost: localhost\r\n";
    Map<String, String> heads =
        Map.of(
            ok + "X-A: a\u0001b\r\n\r\n",
            "header value holds a control character",
            ok + "Bad Name: v\r\n\r\n",
            "header name is empty or holds a character",
            "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
            "Content-Length must be one non-negative decimal number",
            "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n"
                + "Content-Length: 2\r\n\r\n",
            "Content-Length must be one",
            "POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: 6\r\n\r\n",
            "both Content-Length and Transfer-Encoding");
    for (var head : heads.entrySet()) {
      String response = rawBytes(head.getKey());
      assertThat(response.lines().findFirst().orElse("")).as(head.getKey()).contains(" 400 ");
      assertThat(response.toLowerCase()).contains("content-type: application/problem+json");
      assertThat(response).as(head.getKey()).contains(head.getValue());
    }
  }

  @Test
  void aPathWithARawByteOutsideAsciiIsA400ThatAsksForPercentEncoding() throws IOException {
    String token = Tokens.get().service();
    for (String path : List.of("/v1/pro\u00ffducts", "/v1/customers/" + customer + "\u00e9")) {
      String response = raw("GET " + path + " HTTP/1.1", token);
      assertThat(response.lines().findFirst().orElse("")).as(path).contains(" 400 ");
      assertThat(response.toLowerCase()).contains("content-type: application/problem+json");
      assertThat(response).contains("percent-encode");
    }
  }

  /** Sends bytes as they are (ISO-8859-1) on a new connection; all the server answers. */
  private static String rawBytes(String request) throws IOException {
    try (Socket socket = new Socket("localhost", server.app().port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aRequestLineOfAnHttpVersionNoServerSpeaksIsA505Problem() throws IOException {
    for (String version : List.of("HTTP/2.0", "HTTP/9.9", "HTTP/1.2", "HTTP/0.8")) {
      String response = raw("GET /v1/products " + version, null);
      assertThat(response.lines().findFirst().orElse("")).as(version).contains(" 505 ");
      assertThat(response.toLowerCase()).contains("content-type: application/problem+json");
      assertThat(response).contains("/problems/http-version-not-supported");
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
