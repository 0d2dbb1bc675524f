package dev.hotpath.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.support.Api;
import dev.hotpath.support.QueryBudgets;
import dev.hotpath.support.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The depth and cost limits are settings, checked on the document before anything runs: an instance
 * of its own with low limits refuses what the shared test server (defaults) answers, with a problem
 * that names the limit and sends no statement.
 */
class GraphqlLimitsTest {
  private static final String SIX_DEEP =
      "{ customer(id: 42) { orders(first: 2) { data { items { product { name } } } } } }";

  /** An instance of its own: depth limit 4, cost limit 50. */
  private static App small(TestServer server) {
    return App.start(
        server.secondInstance(
            Map.of("HOTPATH_GRAPHQL_MAX_DEPTH", "4", "HOTPATH_GRAPHQL_MAX_COST", "50")));
  }

  @Test
  void refusesAQueryDeeperOrCostlierThanTheSettingsBeforeItRuns() {
    TestServer server = TestServer.get();
    assertThat(GraphqlApiTest.graphql(server.api(), SIX_DEEP, "{}").status()).isEqualTo(200);
    App small = small(server);
    try {
      Api api = Api.of("http://localhost:" + small.port());
      Api.Response deep = GraphqlApiTest.graphql(api, SIX_DEEP, "{}");
      assertThat(deep.status()).as(deep.body()).isEqualTo(400);
      assertThat(deep.contentType()).startsWith("application/problem+json");
      assertThat(deep.json().get("type").asText())
          .isEqualTo("https://hotpath.dev/problems/query-too-deep");
      assertThat(deep.json().get("detail").asText())
          .contains("6 fields deep")
          .contains("HOTPATH_GRAPHQL_MAX_DEPTH is 4");
      assertThat(QueryBudgets.queries(deep.header("Server-Timing").orElseThrow())).hasValue(0);

      Api.Response shallow =
          GraphqlApiTest.graphql(api, "{ customer(id: 42) { address { city } } }", "{}");
      assertThat(shallow.status()).as(shallow.body()).isEqualTo(200);

      // products 1 + data (1 + 100 rows of id 1): 102, over 50
      Api.Response costly =
          GraphqlApiTest.graphql(api, "{ products(first: 100) { data { id } } }", "{}");
      assertThat(costly.status()).as(costly.body()).isEqualTo(400);
      assertThat(costly.json().get("type").asText())
          .isEqualTo("https://hotpath.dev/problems/query-too-costly");
      assertThat(costly.json().get("detail").asText())
          .contains("costs 102")
          .contains("HOTPATH_GRAPHQL_MAX_COST is 50");
      assertThat(QueryBudgets.queries(costly.header("Server-Timing").orElseThrow())).hasValue(0);
      Api.Response cheap =
          GraphqlApiTest.graphql(api, "{ products(first: 10) { data { id } } }", "{}");
      assertThat(cheap.status()).as(cheap.body()).isEqualTo(200);
      assertThat(cheap.json().at("/data/products/data")).hasSize(10);
    } finally {
      small.close();
    }
  }

  /**
   * Documents not seen before are parsed and validated on a pool of their own, a few at a time
   * ({@link GraphqlEngine#MAX_PREPARING} being prepared or waiting): many distinct large ones at
   * once (each near the size limit, 1,100 aliases of one field whose selections validation compares
   * pairwise) get their answer or a 503 {@code overloaded} with {@code Retry-After}, and the
   * server's other work goes on meanwhile (a metrics scrape, which runs on Vert.x's worker pool,
   * and the liveness check on the event loop are answered). Before, they queued without bound on
   * Vert.x's shared worker pool: 100 of them on the demo server held /metrics up to 14 s and
   * /health/live up to 12 s.
   */
  @Test
  void manyNewLargeDocumentsAtOnceArePreparedAFewAtATime() throws Exception {
    TestServer server = TestServer.get();
    Api api = server.api();
    int documents = 4 * GraphqlEngine.MAX_PREPARING;
    java.util.concurrent.ExecutorService clients =
        java.util.concurrent.Executors.newFixedThreadPool(documents);
    try {
      java.util.List<java.util.concurrent.Future<Api.Response>> answers =
          new java.util.ArrayList<>();
      for (int i = 0; i < documents; i++) {
        String unit = "a: customer(id: 1) { orders { data { id } } } ";
        String document =
            "query Q"
                + i
                + " { "
                + unit.repeat((GraphqlEngine.MAX_QUERY_CHARS - 40) / unit.length())
                + "}";
        answers.add(clients.submit(() -> GraphqlApiTest.graphql(api, document, "{}")));
      }
      assertThat(api.anonymous().get("/metrics").status()).isEqualTo(200);
      assertThat(api.anonymous().get("/health/live").status()).isEqualTo(200);
      int refused = 0;
      for (var answer : answers) {
        Api.Response r = answer.get();
        String type = r.json().path("type").asText();
        if (r.status() == 503 && type.endsWith("/overloaded")) {
          assertThat(r.header("Retry-After")).hasValue("1");
          refused++;
        } else if (r.status() == 503) {
          // waited for a thread past the request's timeout (a loaded machine): its validation is
          // skipped when its turn comes
          assertThat(type).as(r.body()).isEqualTo("https://hotpath.dev/problems/unavailable");
        } else {
          // validated, measured and run (or refused for its cost, where the limits are lower)
          assertThat(r.status()).as(r.body()).isIn(200, 400);
        }
      }
      assertThat(refused)
          .as("refused while %d were being prepared", GraphqlEngine.MAX_PREPARING)
          .isPositive();
    } finally {
      clients.shutdownNow();
    }
  }

  /**
   * The measures are kept per document, but a variable given as a page's {@code first} or in
   * {@code @include}/{@code @skip} changes them: the same document is refused or run by its
   * variables, in any order.
   */
  @Test
  void measuresTheSameDocumentAgainForTheVariablesThatChangeItsCostOrDepth() {
    TestServer server = TestServer.get();
    App small = small(server);
    try {
      Api api = Api.of("http://localhost:" + small.port());
      String page = "query($n: Int) { products(first: $n) { data { id } } }";
      for (int round = 0; round < 2; round++) {
        Api.Response cheap = GraphqlApiTest.graphql(api, page, "{\"n\":10}");
        assertThat(cheap.status()).as(cheap.body()).isEqualTo(200);
        assertThat(cheap.json().at("/data/products/data")).hasSize(10);
        Api.Response costly = GraphqlApiTest.graphql(api, page, "{\"n\":100}");
        assertThat(costly.status()).as(costly.body()).isEqualTo(400);
        assertThat(costly.json().get("detail").asText()).contains("costs 102");
        // absent: the argument's default, 20 rows
        Api.Response byDefault = GraphqlApiTest.graphql(api, page, "{}");
        assertThat(byDefault.status()).as(byDefault.body()).isEqualTo(200);
        assertThat(byDefault.json().at("/data/products/data")).hasSize(20);
      }
      String maybeDeep =
          "query($deep: Boolean!) { customer(id: 42) { orders(first: 2) { data { id"
              + " items @include(if: $deep) { product { name } } } } } }";
      for (int round = 0; round < 2; round++) {
        Api.Response shallow = GraphqlApiTest.graphql(api, maybeDeep, "{\"deep\":false}");
        assertThat(shallow.status()).as(shallow.body()).isEqualTo(200);
        Api.Response deep = GraphqlApiTest.graphql(api, maybeDeep, "{\"deep\":true}");
        assertThat(deep.status()).as(deep.body()).isEqualTo(400);
        assertThat(deep.json().get("type").asText())
            .isEqualTo("https://hotpath.dev/problems/query-too-deep");
        assertThat(deep.json().get("detail").asText()).contains("6 fields deep");
      }
    } finally {
      small.close();
    }
  }

  /**
   * An introspection that asks for the same type's fields over and over (a few hundred bytes that
   * would answer megabytes) is refused as too costly, naming what it repeats, where graphql-java's
   * validator throws rather than reports it (it was a 500); an ordinary introspection is answered.
   */
  @Test
  void refusesABadFaithIntrospectionWithAProblemNotAnInternalError() {
    Api api = TestServer.get().api();
    Api.Response bad =
        GraphqlApiTest.graphql(
            api,
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
            "{}");
    assertThat(bad.status()).as(bad.body()).isEqualTo(400);
    assertThat(bad.contentType()).startsWith("application/problem+json");
    assertThat(bad.json().get("type").asText())
        .isEqualTo("https://hotpath.dev/problems/query-too-costly");
    assertThat(bad.json().get("detail").asText())
        .contains("introspection")
        .contains("__Type.fields");

    Api.Response fair = GraphqlApiTest.graphql(api, "{ __schema { types { name } } }", "{}");
    assertThat(fair.status()).as(fair.body()).isEqualTo(200);
    assertThat(fair.json().at("/data/__schema/types").size()).isPositive();
  }
}
