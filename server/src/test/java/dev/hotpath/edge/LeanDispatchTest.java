package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hottest reads are dispatched ahead of the router ({@link LeanDispatch}) when nothing in the
 * request could make their answer differ; a request the lean dispatch does not take (here: one with
 * a weighted {@code Accept}, which negotiates the same JSON) goes through the router. Both must
 * answer with the same bytes: status line, every header in the same order, body; only the
 * per-request ids, the timings and the remaining rate-limit quota may differ.
 */
class LeanDispatchTest {
  private static final TestServer server = TestServer.get();
  private static final String ROUTED = "Accept: application/json;q=0.9\r\n";
  private static final Pattern VARIES =
      Pattern.compile("(?im)^(X-Request-Id|traceparent|Server-Timing|RateLimit): .*$");

  private final Fixtures fx = new Fixtures(server);
  private final Tokens tokens = Tokens.get();
  private long customer;
  private long other;
  private long order;
  private long othersOrder;

  @BeforeEach
  void twoCustomersWithAnOrderEach() {
    customer = fx.customer();
    other = fx.customer();
    long product = fx.product(250, 100);
    order = fx.order(customer, product, 1);
    othersOrder = fx.order(other, product, 2);
  }

  @Test
  void anOrderIsAnsweredAsTheRouterAnswersIt() throws Exception {
    String token = tokens.customer(customer);
    String lean = get("/v1/orders/" + order, token, "");
    assertThat(lean).startsWith("HTTP/1.1 200").contains("ETag: ").contains("Vary: Accept\r\n");
    assertSame(lean, get("/v1/orders/" + order, token, ROUTED));
  }

  @Test
  void aRevalidationIsAnswered304AsTheRouterAnswersIt() throws Exception {
    String token = tokens.customer(customer);
    String etag = header(get("/v1/orders/" + order, token, ROUTED), "ETag");
    String ifNoneMatch = "If-None-Match: " + etag + "\r\n";
    String lean = get("/v1/orders/" + order, token, ifNoneMatch);
    assertThat(lean).startsWith("HTTP/1.1 304");
    assertSame(lean, get("/v1/orders/" + order, token, ifNoneMatch + ROUTED));
  }

  @Test
  void everyRefusalIsTheRoutersProblem() throws Exception {
    String token = tokens.customer(customer);
    String lacksScope = tokens.builder().sub("customer:" + customer).scopes(List.of("x")).es256();
    List<String[]> cases =
        List.of(
            new String[] {"/v1/orders/" + othersOrder, token, "404"},
            new String[] {"/v1/orders/999999999999937", token, "404"},
            new String[] {"/v1/orders/0" + order, token, "404"},
            new String[] {"/v1/orders/" + order, null, "401"},
            new String[] {"/v1/orders/" + order, "not-a-token", "401"},
            new String[] {"/v1/orders/" + order, lacksScope, "403"},
            new String[] {"/v1/customers/" + other + "/orders", token, "404"});
    for (String[] c : cases) {
      String lean = get(c[0], c[1], "");
      assertThat(lean).as(c[0]).startsWith("HTTP/1.1 " + c[2]).contains("application/problem+json");
      assertSame(lean, get(c[0], c[1], ROUTED));
    }
  }

  @Test
  void aCustomersFirstPageIsAnsweredAsTheRouterAnswersIt() throws Exception {
    String token = tokens.customer(customer);
    String path = "/v1/customers/" + customer + "/orders";
    String lean = get(path, token, "");
    assertThat(lean).startsWith("HTTP/1.1 200").contains("\"id\":" + order);
    assertSame(lean, get(path, token, ROUTED));
  }

  /**
   * A cursor page, a fieldset, a limit and protobuf are taken by the lean dispatch too (a query
   * with nothing to percent-decode, an unweighted protobuf {@code Accept}); each is answered as the
   * router answers it, and so are the refusals of bad parameters.
   */
  @Test
  void queriesAndProtobufAreAnsweredAsTheRouterAnswersThem() throws Exception {
    String token = tokens.customer(customer);
    long product = fx.product(250, 100);
    long newer = fx.order(customer, product, 3);
    String path = "/v1/customers/" + customer + "/orders";
    String first = get(path + "?limit=1", token, "");
    assertThat(first).startsWith("HTTP/1.1 200").contains("\"id\":" + newer);
    assertSame(first, get(path + "?limit=1", token, ROUTED));
    String cursor = first.replaceAll("(?s).*\"next_cursor\":\"([^\"]+)\".*", "$1");
    String next = path + "?limit=1&cursor=" + cursor;
    String lean = get(next, token, "");
    assertThat(lean).startsWith("HTTP/1.1 200").contains("\"id\":" + order);
    assertSame(lean, get(next, token, ROUTED));
    String fields = next + "&fields=id,status,items.quantity";
    lean = get(fields, token, "");
    assertThat(lean).startsWith("HTTP/1.1 200").doesNotContain("\"currency\"");
    assertSame(lean, get(fields, token, ROUTED));

    String protobuf = "Accept: application/x-protobuf\r\n";
    String weighed = "Accept: application/x-protobuf;q=0.9\r\n";
    for (String p : List.of(next, path + "?limit=1", path, "/v1/orders/" + order)) {
      lean = get(p, token, protobuf);
      assertThat(lean).as(p).startsWith("HTTP/1.1 200").contains("application/x-protobuf");
      assertSame(lean, get(p, token, weighed));
    }
    String etag = header(get(next, token, weighed), "ETag");
    lean = get(next, token, protobuf + "If-None-Match: " + etag + "\r\n");
    assertThat(lean).startsWith("HTTP/1.1 304");
    assertSame(lean, get(next, token, weighed + "If-None-Match: " + etag + "\r\n"));

    for (String bad :
        List.of("?limit=0", "?limit=x", "?cursor=not-a-cursor", "?fields=nope", "?sort=id")) {
      lean = get(path + bad, token, "");
      assertThat(lean).as(bad).startsWith("HTTP/1.1 400").contains("application/problem+json");
      assertSame(lean, get(path + bad, token, ROUTED));
    }
    assertSame(get(path + "?", token, ""), get(path + "?", token, ROUTED));
  }

  private static void assertSame(String lean, String routed) {
    assertThat(VARIES.matcher(lean).replaceAll("$1: -"))
        .isEqualTo(VARIES.matcher(routed).replaceAll("$1: -"));
  }

  private static String header(String response, String name) {
    for (String line : response.split("\r\n")) {
      if (line.regionMatches(true, 0, name + ": ", 0, name.length() + 2)) {
        return line.substring(name.length() + 2);
      }
    }
    throw new AssertionError("no " + name + " in " + response);
  }

  /** One GET on its own connection, read to its end (the server closes it: Connection: close). */
  private static String get(String path, String token, String headers) throws Exception {
    String request =
        "GET "
            + path
            + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
            + headers
            + "\r\n";
    try (Socket socket = new Socket("localhost", server.app().port())) {
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
