package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.support.Api;
import dev.hotpath.support.Contracts;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.http.HttpRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every header field the server sends is declared on the response the contract gives for the
 * operation and status (api/openapi.yaml, as {@link Contracts} reads it and the server serves it),
 * but HTTP's own framing ({@link Contracts#FRAMING}), and its value fits the declared schema. Over
 * real sockets, for a sample of operations: a cached and an uncached read, a list, a write, a 404
 * and a 401 problem, {@code /health/live}, and a {@code GET /v1/orders/{id}} answered below Vert.x
 * ({@link PreparedRead}, whose bytes are written by hand). A header added to the server without its
 * declaration fails here.
 */
class ResponseHeadersContractTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);
  private final Tokens tokens = Tokens.get();

  @Test
  void everyHeaderSentIsDeclaredOnTheMatchedResponse() {
    long customer = fx.customer();
    long product = fx.product(250, 100);
    long order = fx.order(customer, product, 1);
    // the order's invalidation must be out before it is cached, or the read below Vert.x misses
    server.awaitConsumers();
    Api own = api.as(tokens.customer(customer));

    Map<String, Sent> sent = new LinkedHashMap<>();
    send(sent, "a cached read (miss)", api, "/v1/products/" + product, 200);
    send(sent, "a cached read (hit)", api, "/v1/products/" + product, 200);
    send(sent, "an uncached read", own, "/v1/customers/" + customer + "/summary", 200);
    send(sent, "a list", api, "/v1/customers?limit=2", 200);
    Api.Response created =
        api.post(
            "/v1/customers",
            "{\"email\":\""
                + Fixtures.uniqueEmail("headers")
                + "\",\"name\":\"Headers\",\"address\":"
                + Fixtures.ADDRESS
                + "}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    sent.put("a write", new Sent(lastRequest(created), created));
    send(sent, "a 404 problem", api, "/v1/customers/999999999999", 404);
    send(sent, "a 401 problem", api.anonymous(), "/v1/customers/" + customer, 401);
    send(sent, "liveness", api.anonymous(), "/health/live", 200);
    // the first read goes through the router (a weighted Accept), caching the order and the token
    send(
        sent,
        "an order through the router",
        own,
        "/v1/orders/" + order,
        200,
        "Accept",
        "application/json;q=0.9");
    long before = PreparedRead.answered();
    send(sent, "an order below Vert.x", own, "/v1/orders/" + order, 200);
    assertThat(PreparedRead.answered() - before).as("answered below Vert.x").isEqualTo(1);

    assertAllDeclared(sent);
  }

  /**
   * The rest of the routes a client meets without setting anything up: the index, the contract and
   * its page, readiness, metrics, a product page, a GraphQL query, an operator read, and a 415 for
   * a coded request body (which names the coding taken).
   */
  @Test
  void everyHeaderSentOnTheOtherRoutesIsDeclaredToo() {
    long product = fx.product(250, 100);
    Api anonymous = api.anonymous();
    Map<String, Sent> sent = new LinkedHashMap<>();
    send(sent, "the index", anonymous, "/", 200);
    send(sent, "the contract", anonymous, "/openapi.yaml", 200);
    send(sent, "the docs page", anonymous, "/docs", 200);
    send(sent, "the docs script", anonymous, "/docs/init.js", 200);
    send(sent, "readiness", anonymous, "/health/ready", 200);
    send(sent, "metrics", anonymous, "/metrics", 200);
    send(sent, "a product page", anonymous, "/v1/products/" + product + "/page", 200);
    send(sent, "an operator read", api.as(tokens.admin()), "/admin/jobs/stats", 200);
    Api.Response graphql =
        api.post("/graphql", "{\"query\":\"{ customer(id: " + fx.customer() + ") { id } }\"}");
    assertThat(graphql.status()).as(graphql.body()).isEqualTo(200);
    sent.put("a GraphQL query", new Sent(graphql.raw().request(), graphql));
    Api.Response coded =
        api.post("/v1/customers/batch-get", "{\"ids\":[1]}", "Content-Encoding", "gzip");
    assertThat(coded.status()).as(coded.body()).isEqualTo(415);
    sent.put("a coded body", new Sent(coded.raw().request(), coded));
    assertAllDeclared(sent);
  }

  /**
   * A 405 (a method the path has no operation for) carries {@code Allow}: no operation can declare
   * it, so the document's root names its response ({@code x-method-not-allowed}). The earlier
   * samples held no 405, and every header check starts from an operation, so {@code Allow} went
   * undeclared unseen.
   */
  @Test
  void aMethodNotAllowedDeclaresAllow() {
    long order = fx.order(fx.customer(), fx.product(250, 100), 1);
    Map<String, Sent> sent = new LinkedHashMap<>();
    for (String[] call :
        new String[][] {
          {"DELETE", "/v1/orders/" + order}, {"PUT", "/health/live"}, {"PATCH", "/v1/products"}
        }) {
      HttpRequest request =
          api.request(call[1]).method(call[0], HttpRequest.BodyPublishers.noBody()).build();
      Api.Response response = api.send(request);
      assertThat(response.status()).as(call[0] + " " + call[1]).isEqualTo(405);
      assertThat(response.raw().headers().firstValue("Allow")).isPresent();
      sent.put("a 405 for " + call[0], new Sent(request, response));
    }
    assertAllDeclared(sent);
  }

  private static void assertAllDeclared(Map<String, Sent> sent) {
    Map<String, List<String>> undeclared = new LinkedHashMap<>();
    sent.forEach(
        (what, s) -> {
          List<String> names = Contracts.instance().headersOutsideContract(s.request, s.response);
          if (!names.isEmpty()) {
            undeclared.put(
                what + " (" + s.request.uri().getPath() + " " + s.response.status() + ")", names);
          }
        });
    assertThat(undeclared)
        .as(
            "header fields sent but not declared on the response, or with a value its schema refuses")
        .isEmpty();
  }

  private record Sent(HttpRequest request, Api.Response response) {}

  private static HttpRequest lastRequest(Api.Response response) {
    return response.raw().request();
  }

  private static void send(
      Map<String, Sent> sent, String what, Api client, String path, int status, String... headers) {
    HttpRequest request =
        headers.length == 0
            ? client.request(path).GET().build()
            : client.request(path).headers(headers).GET().build();
    Api.Response response = client.send(request);
    assertThat(response.status()).as(what + ": " + response.body()).isEqualTo(status);
    sent.put(what, new Sent(request, response));
  }
}
