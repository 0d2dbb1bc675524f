package dev.hotpath.graphql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.QueryBudgets;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import graphql.parser.Parser;
import graphql.schema.GraphQLSchema;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * GraphQL at /graphql over real sockets, against the REST routes of the same server: the same
 * values, the same isolation, one statement per level, limits refused before anything runs,
 * persisted queries answered by GET with 304, and the writes through the REST write path.
 */
class GraphqlApiTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final GraphQLSchema SCHEMA = GraphqlEngine.loadSchema();
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  static String request(String query, String variablesJson) {
    ObjectNode body = MAPPER.createObjectNode().put("query", query);
    try {
      body.set("variables", MAPPER.readTree(variablesJson));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
    return body.toString();
  }

  static Api.Response graphql(Api api, String query, String variablesJson) {
    return api.post("/graphql", request(query, variablesJson));
  }

  private static final String CUSTOMER_FIELDS =
      "id email name status address { line1 line2 city region postal_code country } version"
          + " created_at updated_at";
  private static final String ORDER_FIELDS =
      "id customer_id status currency subtotal_minor total_minor item_count"
          + " shipping_address { line1 city postal_code country } items { line_no product_id"
          + " product_name unit_price_minor quantity line_total_minor } version created_at"
          + " updated_at payment { status authorization_id }";
  private static final String PRODUCT_FIELDS =
      "id sku name description category price_minor currency stock status version created_at"
          + " updated_at";

  @Test
  void answersTheSameValuesAsTheRestRoutes() {
    long customer = fx.customer();
    long product = fx.product(1_250, 50);
    long order = fx.order(customer, product, 2);
    Api.Response r =
        graphql(
            api,
            "query($c: Long!, $o: Long!) { customer(id: $c) { "
                + CUSTOMER_FIELDS
                + " } order(id: $o) { "
                + ORDER_FIELDS
                + " } }",
            "{\"c\":" + customer + ",\"o\":" + order + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().has("errors")).as(r.body()).isFalse();
    JsonNode data = r.json().get("data");
    assertThat(withoutNulls(data.get("customer")))
        .isEqualTo(withoutNulls(api.get("/v1/customers/" + customer).json()));
    assertThat(withoutNulls(data.get("order")))
        .isEqualTo(withoutNulls(api.get("/v1/orders/" + order).json()));

    Api.Response products =
        graphql(
            api,
            "{ products(category: \"fixtures\", first: 5) { data { "
                + PRODUCT_FIELDS
                + " } next_cursor } }",
            "{}");
    JsonNode rest = api.get("/v1/products?category=fixtures&limit=5").json();
    assertThat(products.json().at("/data/products/data")).isEqualTo(rest.get("data"));
  }

  @Test
  void pagesACustomersOrdersWithTheRestCursor() {
    long customer = fx.customer();
    long product = fx.product(300, 100);
    for (int i = 0; i < 3; i++) {
      fx.order(customer, product, 1);
    }
    String query =
        "query($c: Long!, $after: String) { customer(id: $c) { orders(first: 2, after: $after) {"
            + " data { id version } next_cursor } } }";
    JsonNode first =
        graphql(api, query, "{\"c\":" + customer + "}").json().at("/data/customer/orders");
    JsonNode rest = api.get("/v1/customers/" + customer + "/orders?limit=2").json();
    assertThat(ids(first.get("data"))).isEqualTo(ids(rest.get("data")));
    JsonNode full =
        graphql(
                api,
                "query($c: Long!) { customer(id: $c) { orders(first: 2) { data { "
                    + ORDER_FIELDS
                    + " } } } }",
                "{\"c\":" + customer + "}")
            .json()
            .at("/data/customer/orders/data");
    assertThat(withoutNulls(full)).isEqualTo(withoutNulls(rest.get("data")));
    String cursor = first.get("next_cursor").asText();
    JsonNode second =
        graphql(api, query, "{\"c\":" + customer + ",\"after\":\"" + cursor + "\"}")
            .json()
            .at("/data/customer/orders");
    JsonNode restSecond =
        api.get("/v1/customers/" + customer + "/orders?limit=2&cursor=" + cursor).json();
    assertThat(ids(second.get("data"))).isEqualTo(ids(restSecond.get("data"))).hasSize(1);
    assertThat(second.get("next_cursor").isNull()).isTrue();
  }

  /**
   * The page of one customer without a status filter is read with REST's statements (the page's
   * positions, then its orders with their lines, by the month's partitions when the page lies in
   * one month): walked by cursor over a seeded customer whose orders span months, every page is
   * REST's page with the same cursor, field for field, lines included, and a cursor page sends as
   * many statements as REST's.
   */
  @Test
  void walksASeededCustomersOrdersAcrossMonthsAsRestPagesThem() {
    long customer =
        server.queryLong(
            "SELECT customer_id FROM orders_by_customer GROUP BY customer_id"
                + " HAVING count(*) BETWEEN 4 AND 40"
                + " AND count(DISTINCT date_trunc('month', created_at)) >= 2"
                + " ORDER BY customer_id LIMIT 1");
    String query =
        "query($c: Long!, $after: String) { customer(id: $c) { orders(first: 3, after: $after) {"
            + " data { "
            + ORDER_FIELDS.replace("line1 city", "line1 region city")
            + " } next_cursor } } }";
    String cursor = null;
    int pages = 0;
    do {
      String variables =
          "{\"c\":" + customer + (cursor == null ? "" : ",\"after\":\"" + cursor + "\"") + "}";
      Api.Response answer = graphql(api, query, variables);
      assertThat(answer.json().has("errors")).as(answer.body()).isFalse();
      JsonNode page = answer.json().at("/data/customer/orders");
      Api.Response restPage =
          api.get(
              "/v1/customers/"
                  + customer
                  + "/orders?limit=3"
                  + (cursor == null ? "" : "&cursor=" + cursor));
      JsonNode rest = restPage.json();
      if (cursor != null) {
        // a cursor page is never cached: REST's statements against GraphQL's
        assertThat(QueryBudgets.queries(answer.header("Server-Timing").orElseThrow()))
            .isEqualTo(QueryBudgets.queries(restPage.header("Server-Timing").orElseThrow()))
            .hasValue(2);
      }
      assertThat(withoutNulls(page.get("data"))).isEqualTo(withoutNulls(rest.get("data")));
      assertThat(page.get("data").size()).isPositive();
      cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
      assertThat(cursor).isEqualTo(rest.path("next_cursor").asText(null));
      pages++;
    } while (cursor != null && pages < 100);
    assertThat(pages).isGreaterThan(1).isLessThan(100);
  }

  /**
   * A page reads its orders' lines only when the query asks for their {@code items}: while the
   * lines are locked, a page of top-level fields is answered (two statements: its positions, then
   * its orders), and a page with items waits for the lock (its orders and lines in one statement),
   * then answers with every line.
   */
  @Test
  void aPageReadsItsOrdersLinesOnlyWhenAskedForItems() throws Exception {
    long customer = fx.customer();
    long product = fx.product(900, 100);
    for (int i = 0; i < 3; i++) {
      fx.order(customer, product, i + 1);
    }
    String page = "query($c: Long!) { customer(id: $c) { orders(first: 2) { data { %s } } } }";
    String vars = "{\"c\":" + customer + "}";
    String topLevel = page.formatted("id status total_minor version");
    String withItems = page.formatted("id items { line_no quantity }");
    try (Connection conn = server.database().openJdbc();
        Statement st = conn.createStatement()) {
      conn.setAutoCommit(false);
      st.execute("LOCK TABLE order_items IN ACCESS EXCLUSIVE MODE");
      CompletableFuture<Api.Response> waiting;
      try {
        Api.Response top = graphql(api, topLevel, vars);
        assertThat(top.status()).as(top.body()).isEqualTo(200);
        assertThat(top.json().at("/data/customer/orders/data")).hasSize(2);
        assertThat(QueryBudgets.queries(top.header("Server-Timing").orElseThrow())).hasValue(2);
        waiting = CompletableFuture.supplyAsync(() -> graphql(api, withItems, vars));
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    server.queryLong(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                + " AND query LIKE '%order_items%' AND query LIKE '%orders%'")
                        > 0);
        assertThat(waiting).isNotDone();
      } finally {
        conn.rollback();
      }
      Api.Response lines = waiting.get(30, TimeUnit.SECONDS);
      assertThat(lines.status()).as(lines.body()).isEqualTo(200);
      JsonNode orders = lines.json().at("/data/customer/orders/data");
      assertThat(orders).hasSize(2);
      // newest first: the third order (3 of the product), then the second
      assertThat(orders.at("/0/items/0/quantity").asInt()).isEqualTo(3);
      assertThat(orders.at("/1/items/0/quantity").asInt()).isEqualTo(2);
      assertThat(QueryBudgets.queries(lines.header("Server-Timing").orElseThrow())).hasValue(2);
    }
  }

  @Test
  void twentyOrdersWithItemsAndProductsCostOneStatementPerLevel() {
    long customer = fx.customer();
    List<Long> products = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      products.add(fx.product(100 + i, 500));
    }
    for (int i = 0; i < 20; i++) {
      String body =
          "{\"customer_id\":"
              + customer
              + ",\"items\":[{\"product_id\":"
              + products.get(i % 4)
              + ",\"quantity\":1},{\"product_id\":"
              + products.get((i + 1) % 4)
              + ",\"quantity\":2}]}";
      assertThat(api.post("/v1/orders", body).status()).isEqualTo(201);
    }
    Api.Response r =
        graphql(
            api,
            "query($c: Long!) { customer(id: $c) { name orders(first: 20) { data { id items {"
                + " quantity product { name price_minor } } } } } }",
            "{\"c\":" + customer + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode orders = r.json().at("/data/customer/orders/data");
    assertThat(orders).hasSize(20);
    for (JsonNode order : orders) {
      assertThat(order.get("items")).hasSize(2);
      for (JsonNode item : order.get("items")) {
        assertThat(item.at("/product/name").asText()).startsWith("Fixture product");
      }
    }
    // customer, its orders, their items, their products: four levels, four statements
    String timing = r.header("Server-Timing").orElseThrow();
    assertThat(QueryBudgets.queries(timing)).hasValue(4);
    QueryBudgets.assertWithin("POST /graphql", timing, 4);
  }

  /**
   * A plain query (fields only) is run without graphql-java's engine (PlainQueries); the same query
   * with an introspection field added is not plain, so graphql-java runs it: both answer the same
   * fields in the same order with the same statements, whether every field resolves or one fails
   * (then the plain run hands over to graphql-java, which reads nothing twice).
   */
  @Test
  void plainQueriesAnswerWhatTheEngineAnswers() {
    long customer = fx.customer();
    long p1 = fx.product(1_100, 100);
    long p2 = fx.product(2_200, 100);
    long first = 0;
    for (int i = 0; i < 3; i++) {
      String body =
          "{\"customer_id\":"
              + customer
              + ",\"items\":[{\"product_id\":"
              + p1
              + ",\"quantity\":1},{\"product_id\":"
              + p2
              + ",\"quantity\":2}]}";
      Api.Response placed = api.post("/v1/orders", body);
      assertThat(placed.status()).as(placed.body()).isEqualTo(201);
      first = first == 0 ? placed.json().get("id").asLong() : first;
    }
    String everything =
        "query($c: Long!, $o: Long!, $after: String) { c: customer(id: $c) { "
            + CUSTOMER_FIELDS
            + " orders(first: 2, after: $after) { data { "
            + ORDER_FIELDS
            + " lines: items { line_no product { "
            + PRODUCT_FIELDS
            + " } } } next_cursor } placed: orders(status: \"placed\") { data { id } } }"
            + " order(id: $o) { "
            + ORDER_FIELDS
            + " } }";
    String vars = "{\"c\":" + customer + ",\"o\":" + first + "}";
    JsonNode answer = sameAnswers(everything, vars, 200);
    assertThat(answer.at("/data/c/orders/data")).hasSize(2);
    assertThat(answer.at("/data/c/placed/data")).hasSize(3);
    assertThat(answer.at("/data/c/orders/data/0/lines/1/product/id").asLong()).isEqualTo(p2);
    String cursor = answer.at("/data/c/orders/next_cursor").asText();
    JsonNode second =
        sameAnswers(
            everything,
            "{\"c\":" + customer + ",\"o\":" + first + ",\"after\":\"" + cursor + "\"}",
            200);
    assertThat(second.at("/data/c/orders/data")).hasSize(1);
    assertThat(second.at("/data/c/orders/next_cursor").isNull()).isTrue();

    // failures, each handed over: a row not found, a refused argument one level down, a bad
    // variable, a cursor of another list
    JsonNode missing =
        sameAnswers(
            "query($c: Long!) { customer(id: $c) { id name } }", "{\"c\":999999999999}", 200);
    assertThat(missing.at("/errors/0/extensions/type").asText())
        .isEqualTo("https://hotpath.dev/problems/not-found");
    JsonNode refused =
        sameAnswers(
            "query($c: Long!) { customer(id: $c) { name orders(first: 500) { data { id } } } }",
            vars,
            200);
    assertThat(refused.at("/data/customer").isNull()).isTrue();
    assertThat(refused.at("/errors/0/extensions/errors/0/field").asText()).contains("first");
    sameAnswers("query($c: Long!) { customer(id: $c) { id } }", "{\"c\":\"not a number\"}", 400);
    sameAnswers(
        "query($c: Long!) { customer(id: $c) { orders(after: \"nonsense\") { data { id } } } }",
        vars,
        200);
  }

  /**
   * {@code query} as asked, and with {@code __typename} last in its root selection, which
   * graphql-java runs (introspection is never plain): the same status, the same statements, and the
   * same body in the same order once that one field is taken out. The body as JSON.
   */
  private JsonNode sameAnswers(String query, String variablesJson, int status) {
    return sameAnswers(query, variablesJson, status, 0);
  }

  /** As above, the plain run sending {@code fewer} statements fewer (negative: more). */
  private JsonNode sameAnswers(String query, String variablesJson, int status, int fewer) {
    String viaEngine = query.substring(0, query.lastIndexOf('}')) + " __typename }";
    assertThat(PlainQueries.plan(SCHEMA, Parser.parse(query))).as(query).isPresent();
    assertThat(PlainQueries.plan(SCHEMA, Parser.parse(viaEngine))).isEmpty();
    Api.Response plain = graphql(api, query, variablesJson);
    Api.Response engine = graphql(api, viaEngine, variablesJson);
    assertThat(plain.status()).as(plain.body()).isEqualTo(status);
    assertThat(engine.status()).as(engine.body()).isEqualTo(status);
    JsonNode engineJson = engine.json();
    if (engineJson.path("data").isObject()) {
      assertThat(((ObjectNode) engineJson.get("data")).remove("__typename").asText())
          .isEqualTo("Query");
    }
    assertThat(plain.json().toString()).isEqualTo(engineJson.toString());
    assertThat(QueryBudgets.queries(plain.header("Server-Timing").orElseThrow()).orElseThrow())
        .isEqualTo(
            QueryBudgets.queries(engine.header("Server-Timing").orElseThrow()).orElseThrow()
                - fewer);
    return plain.json();
  }

  /**
   * {@code customer(id) { orders }}, REST's page through GraphQL: the customer's row is not read
   * when a page holds an order (it references its customer); without one, it is, and a customer
   * that does not exist is not found, as graphql-java answers; never over the route's budget.
   */
  @Test
  void aCustomerAskedOnlyForItsOrdersIsReadOnlyWhenItsPageIsEmpty() {
    long customer = fx.customer();
    long product = fx.product(400, 100);
    long order = fx.order(customer, product, 1);
    String page =
        "query($c: Long!) { customer(id: $c) { id orders(first: 5) { data { id } next_cursor } } }";
    JsonNode answer = sameAnswers(page, "{\"c\":" + customer + "}", 200, 1);
    assertThat(answer.at("/data/customer/id").asLong()).isEqualTo(customer);
    assertThat(answer.at("/data/customer/orders/data/0/id").asLong()).isEqualTo(order);
    long none = fx.customer();
    assertThat(sameAnswers(page, "{\"c\":" + none + "}", 200).at("/data/customer/orders/data"))
        .isEmpty();
    // the one case that costs a statement more (within the budget of 2): the empty page is
    // read before the customer is found missing, where graphql-java stops at the customer
    JsonNode missing = sameAnswers(page, "{\"c\":999999999998}", 200, -1);
    assertThat(missing.at("/data/customer").isNull()).isTrue();
    assertThat(missing.at("/errors/0/extensions/type").asText())
        .isEqualTo("https://hotpath.dev/problems/not-found");
    // a filter that finds nothing proves nothing: the row is read
    sameAnswers(
        "query($c: Long!) { customer(id: $c) { orders(status: \"cancelled\") { data { id } } } }",
        "{\"c\":" + customer + "}",
        200);
  }

  /**
   * Regression: {@code products(category:)} took any text, and a NUL in it reached PostgreSQL and
   * failed the field as an internal error; it follows the REST route's rule for {@code ?category=}.
   */
  @Test
  void aCategoryTheRestRouteRefusesIsAValidationErrorBeforeAnyQuery() throws Exception {
    for (String category : List.of("a\u0000b", "tab\there", "", "x".repeat(65))) {
      // written into the document (a JSON string is a GraphQL string): a NUL in the variables
      // would be refused by the body's own check before GraphQL sees it
      Api.Response r =
          graphql(
              api,
              "{ products(first: 2, category: "
                  + MAPPER.writeValueAsString(category)
                  + ") { data { id } } }",
              "{}");
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonNode error = r.json().get("errors").get(0);
      assertThat(error.get("extensions").get("type").asText())
          .as(r.body())
          .endsWith("/validation-error");
      assertThat(error.get("extensions").get("errors").get(0).get("field").asText())
          .isEqualTo("category");
      assertThat(QueryBudgets.queries(r.header("Server-Timing").orElseThrow())).hasValue(0);
    }
  }

  @Test
  void refusesAQueryCostlierThanTheLimitBeforeItRuns() {
    long customer = fx.customer();
    Api.Response r =
        graphql(
            api,
            "query($c: Long!) { customer(id: $c) { orders(first: 100) { data { items { product {"
                + PRODUCT_FIELDS
                + " } } } } } }",
            "{\"c\":" + customer + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://hotpath.dev/problems/query-too-costly");
    assertThat(r.json().get("detail").asText()).contains("HOTPATH_GRAPHQL_MAX_COST is 10000");
    assertThat(QueryBudgets.queries(r.header("Server-Timing").orElseThrow())).hasValue(0);
  }

  @Test
  void aCustomerTokenSeesOnlyItsOwnCustomerAndOrders() {
    long alice = fx.customer();
    long bob = fx.customer();
    long product = fx.product(700, 50);
    long bobsOrder = fx.order(bob, product, 1);
    long alicesOrder = fx.order(alice, product, 1);
    Api asAlice = api.as(Tokens.get().customer(alice));
    Api.Response r =
        graphql(
            asAlice,
            "query($a: Long!, $b: Long!, $bo: Long!, $ao: Long!) { me: customer(id: $a) { id }"
                + " other: customer(id: $b) { id } theirs: order(id: $bo) { id }"
                + " mine: order(id: $ao) { id customer_id } }",
            "{\"a\":"
                + alice
                + ",\"b\":"
                + bob
                + ",\"bo\":"
                + bobsOrder
                + ",\"ao\":"
                + alicesOrder
                + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode data = r.json().get("data");
    assertThat(data.at("/me/id").asLong()).isEqualTo(alice);
    assertThat(data.get("other").isNull()).isTrue();
    assertThat(data.get("theirs").isNull()).isTrue();
    assertThat(data.at("/mine/customer_id").asLong()).isEqualTo(alice);
    assertThat(r.json().get("errors")).hasSize(2);
    for (JsonNode error : r.json().get("errors")) {
      assertThat(error.at("/extensions/type").asText())
          .isEqualTo("https://hotpath.dev/problems/not-found");
    }
    Api.Response anonymous = graphql(api.anonymous(), "{ products { data { id } } }", "{}");
    assertThat(anonymous.status()).isEqualTo(401);
  }

  @Test
  void eachFieldNeedsTheScopeOfItsRestRoute() {
    long customer = fx.customer();
    long product = fx.product(640, 30);
    long order = fx.order(customer, product, 1);
    String readCustomersOnly =
        Tokens.get()
            .builder()
            .sub("customer:" + customer)
            .scopes(List.of("customers:read"))
            .es256();
    Api.Response r =
        graphql(
            api.as(readCustomersOnly),
            "query($c: Long!, $o: Long!) { customer(id: $c) { id } order(id: $o) { id } }",
            "{\"c\":" + customer + ",\"o\":" + order + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().at("/data/customer/id").asLong()).isEqualTo(customer);
    assertThat(r.json().at("/data/order").isNull()).isTrue();
    assertThat(r.json().at("/errors/0/extensions/type").asText())
        .isEqualTo("https://hotpath.dev/problems/forbidden");
    assertThat(r.json().at("/errors/0/message").asText()).contains("orders:read");
    Api.Response write =
        graphql(
            api.as(readCustomersOnly),
            "mutation($o: Long!) { cancelOrder(id: $o) { id } }",
            "{\"o\":" + order + "}");
    assertThat(write.json().at("/errors/0/extensions/status").asInt()).isEqualTo(403);
    assertThat(api.get("/v1/orders/" + order).json().get("status").asText()).isEqualTo("placed");
  }

  @Test
  void runsAPersistedQueryByGetAndAnswers304WhenTheTagMatches() {
    long product = fx.product(990, 10);
    String query = "query($p: Long!) { order(id: $p) { id } products(first: 1) { data { id } } }";
    String hash = GraphqlRoutes.sha256Hex(query);
    String extensions = "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"" + hash + "\"}}";
    String path =
        "/graphql?extensions="
            + URLEncoder.encode(extensions, StandardCharsets.UTF_8)
            + "&variables="
            + URLEncoder.encode("{\"p\":" + product + "}", StandardCharsets.UTF_8);
    assertThat(api.get(path).status()).isEqualTo(404);
    ObjectNode register = (ObjectNode) readTree(request(query, "{\"p\":" + product + "}"));
    register.set("extensions", readTree(extensions));
    assertThat(api.post("/graphql", register.toString()).status()).isEqualTo(200);

    Api.Response first = api.get(path);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    String etag = first.header("ETag").orElseThrow();
    assertThat(first.header("Cache-Control")).hasValue("private, no-cache");
    Api.Response again = api.get(path, "If-None-Match", etag);
    assertThat(again.status()).isEqualTo(304);

    String mutation = "mutation { cancelOrder(id: 1) { id } }";
    String mutationPath =
        "/graphql?extensions="
            + URLEncoder.encode(
                "{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\""
                    + GraphqlRoutes.sha256Hex(mutation)
                    + "\"}}",
                StandardCharsets.UTF_8);
    ObjectNode registerMutation = (ObjectNode) readTree(request(mutation, "{}"));
    registerMutation.set(
        "extensions",
        readTree(
            "{\"persistedQuery\":{\"sha256Hash\":\"" + GraphqlRoutes.sha256Hex(mutation) + "\"}}"));
    api.post("/graphql", registerMutation.toString());
    assertThat(api.get(mutationPath).status()).isEqualTo(400);
  }

  @Test
  void createOrderNeedsAKeyAndReplaysItsFirstAnswer() {
    long customer = fx.customer();
    long product = fx.product(450, 20);
    String mutation =
        "mutation($key: String!, $c: Long!, $p: Long!) { createOrder(idempotency_key: $key,"
            + " input: { customer_id: $c, items: [{ product_id: $p, quantity: 3 }] }) { id status"
            + " total_minor items { quantity product { id stock } } } }";
    String key = UUID.randomUUID().toString();
    String vars = "{\"key\":\"" + key + "\",\"c\":" + customer + ",\"p\":" + product + "}";
    Api.Response first = graphql(api, mutation, vars);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    JsonNode order = first.json().at("/data/createOrder");
    assertThat(order.get("total_minor").asLong()).isEqualTo(1350);
    assertThat(order.at("/items/0/product/stock").asInt()).isEqualTo(17);
    Api.Response retry = graphql(api, mutation, vars);
    assertThat(retry.json().at("/data/createOrder/id")).isEqualTo(order.get("id"));
    assertThat(fx.stock(product)).isEqualTo(17);
    assertThat(api.get("/v1/orders/" + order.get("id").asLong()).json().get("total_minor").asLong())
        .isEqualTo(1350);

    Api.Response withoutKey =
        graphql(
            api,
            "mutation($c: Long!, $p: Long!) { createOrder(input: { customer_id: $c, items: [{"
                + " product_id: $p, quantity: 1 }] }) { id } }",
            "{\"c\":" + customer + ",\"p\":" + product + "}");
    assertThat(withoutKey.status()).isEqualTo(400);
    assertThat(withoutKey.json().get("type").asText())
        .isEqualTo("https://hotpath.dev/problems/invalid-query");
    assertThat(fx.stock(product)).isEqualTo(17);
  }

  @Test
  void cancelOrderCancelsThroughTheRestRouteAndRefusesAStaleVersion() {
    long customer = fx.customer();
    long product = fx.product(800, 10);
    long order = fx.order(customer, product, 4);
    Api.Response stale =
        graphql(
            api,
            "mutation($o: Long!) { cancelOrder(id: $o, version: 7) { id } }",
            "{\"o\":" + order + "}");
    assertThat(stale.json().at("/errors/0/extensions/type").asText())
        .isEqualTo("https://hotpath.dev/problems/precondition-failed");
    Api.Response r =
        graphql(
            api,
            "mutation($o: Long!) { cancelOrder(id: $o, version: 1) { id status version } }",
            "{\"o\":" + order + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().at("/data/cancelOrder/status").asText()).isEqualTo("cancelled");
    assertThat(r.json().at("/data/cancelOrder/version").asInt()).isEqualTo(2);
    assertThat(fx.stock(product)).isEqualTo(10);
    assertThat(api.get("/v1/orders/" + order).json().get("status").asText()).isEqualTo("cancelled");
  }

  @Test
  void aDocumentThatDoesNotValidateIsAProblemNamingEveryError() {
    Api.Response r = graphql(api, "{ customer(id: 1) { nope } order { id } }", "{}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("type").asText())
        .isEqualTo("https://hotpath.dev/problems/invalid-query");
    assertThat(r.json().get("errors").size()).isGreaterThanOrEqualTo(2);
    assertThat(api.post("/graphql", "[1]").status()).isEqualTo(400);
    assertThat(api.post("/graphql", "{\"query\":").status()).isEqualTo(400);
  }

  private static List<Long> ids(JsonNode list) {
    List<Long> ids = new ArrayList<>();
    list.forEach(n -> ids.add(n.get("id").asLong()));
    return ids;
  }

  private static JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A representation without its null members: GraphQL writes every field asked for. */
  private static JsonNode withoutNulls(JsonNode node) {
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode copy = MAPPER.createArrayNode();
      node.forEach(element -> copy.add(withoutNulls(element)));
      return copy;
    }
    if (node.isObject()) {
      ObjectNode copy = MAPPER.createObjectNode();
      node.fields()
          .forEachRemaining(
              e -> {
                if (!e.getValue().isNull()) {
                  copy.set(e.getKey(), withoutNulls(e.getValue()));
                }
              });
      return copy;
    }
    return node;
  }
}
