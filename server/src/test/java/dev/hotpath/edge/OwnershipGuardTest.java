package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Contracts;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ownership is declared once per operation in the contract ({@code x-owner}) and enforced by one
 * guard. Generated from api/openapi.yaml: every operation whose path names its owning customer is
 * sent with another customer's id, and must answer exactly as for a customer that does not exist,
 * changing nothing; the same through every other spelling of that path. Jobs and imports are
 * readable by the token that asked for them and by an admin only.
 */
class OwnershipGuardTest {
  private static final TestServer server = TestServer.get();
  private static final long MISSING = 999_999_937L;
  private final Fixtures fx = new Fixtures(server);
  private final Tokens tokens = Tokens.get();
  private long a;
  private long b;
  private Api asA;

  @BeforeEach
  void twoCustomersWithAnOrderEach() {
    a = fx.customer();
    b = fx.customer();
    long product = fx.product(250, 100);
    fx.order(a, product, 1);
    fx.order(b, product, 2);
    asA = server.api().as(tokens.customer(a));
    // an order whose payment is still pending changes once its authorization job runs (a version,
    // an event): let that happen before anything is counted
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                server.queryLong(
                        "SELECT count(*) FROM orders WHERE status = 'payment_pending'"
                            + " AND customer_id IN ("
                            + a
                            + ", "
                            + b
                            + ")")
                    == 0);
  }

  private record Operation(String method, String template, String ownerParam, boolean body) {}

  /** Every operation whose path names its owner ({@code x-owner: {param: ...}}). */
  private static List<Operation> ownedByPath() {
    List<Operation> ops = new ArrayList<>();
    for (Contracts.Operation op : Contracts.instance().operations()) {
      JsonNode owner = op.node().path("x-owner");
      if (owner.has("param")) {
        ops.add(
            new Operation(
                op.method(),
                op.template(),
                owner.get("param").asText(),
                op.node().has("requestBody")));
      }
    }
    return ops;
  }

  private Api.Response send(Api client, Operation op, String path) {
    HttpRequest.Builder request = client.request(path);
    if (op.body()) {
      request
          .header("Content-Type", "application/json")
          .header("If-Match", "*")
          .method(op.method(), HttpRequest.BodyPublishers.ofString("{\"name\":\"Taken\"}"));
    } else {
      request.method(op.method(), HttpRequest.BodyPublishers.noBody());
    }
    return client.send(request.build());
  }

  @Test
  void everyOperationOwnedByThePathsCustomerAnswersAnotherCustomerAsIfItDidNotExist() {
    List<Operation> ops = ownedByPath();
    assertThat(ops)
        .extracting(Operation::template)
        .contains("/v1/customers/{id}", "/v1/customers/{id}/orders", "/v1/customers/{id}/summary");
    for (Operation op : ops) {
      String param = "{" + op.ownerParam() + "}";
      Api.Response own = send(asA, op, op.template().replace(param, Long.toString(a)));
      assertThat(own.status()).as(op + " for its own customer").isBetween(200, 299);
    }
    String before = rowsOf(a, b);
    for (Operation op : ops) {
      String param = "{" + op.ownerParam() + "}";
      Api.Response foreign = send(asA, op, op.template().replace(param, Long.toString(b)));
      Api.Response missing = send(asA, op, op.template().replace(param, Long.toString(MISSING)));
      assertThat(foreign.status()).as(op + " for another customer").isEqualTo(404);
      assertThat(foreign.contentType()).startsWith("application/problem+json");
      assertThat(foreign.body().replace(Long.toString(b), Long.toString(MISSING)))
          .as(op + ": another customer's answer tells nothing a missing customer's does not")
          .isEqualTo(missing.body());
      assertThat(foreign.header("ETag")).isEmpty();
    }
    assertThat(server.queryLong("SELECT version FROM customers WHERE id = " + b)).isEqualTo(1);
    assertThat(rowsOf(a, b)).as("no row changed").isEqualTo(before);
  }

  /**
   * What a request on these customers' paths could change: their rows, their orders and lines, and
   * what any write adds (their events, jobs, reports, imports). Not the whole tables' counts: a
   * write another test left running may land meanwhile (seen once in a full run: one order and its
   * line, with no event, between the two counts; and once the log's last id moved by one).
   */
  private static String rowsOf(long a, long b) {
    String ids = a + ", " + b;
    return "customers="
        + server
            .queryText(
                "SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM customers WHERE id IN ("
                    + ids
                    + ")")
            .strip()
        + " orders="
        + server
            .queryText(
                "SELECT count(*) || ':' || coalesce(sum(version), 0) FROM orders WHERE customer_id IN ("
                    + ids
                    + ")")
            .strip()
        + " items="
        + server.queryLong("SELECT count(*) FROM order_items WHERE customer_id IN (" + ids + ")")
        + " events="
        + server.queryLong(
            "SELECT count(*) FROM outbox WHERE type LIKE 'customer.%' AND aggregate_id IN ("
                + ids
                + ") OR type LIKE 'order.%' AND aggregate_id IN"
                + " (SELECT id FROM orders WHERE customer_id IN ("
                + ids
                + "))")
        + " client_jobs="
        + server.queryLong("SELECT count(*) FROM jobs WHERE created_by IS NOT NULL")
        + " reports="
        + server.queryLong("SELECT count(*) FROM reports")
        + " imports="
        + server.queryLong("SELECT count(*) FROM order_imports");
  }

  @Test
  void theSummaryOfAnotherCustomerIsA404ThroughEverySpellingOfItsPath() {
    server.awaitConsumers();
    assertThat(asA.get("/v1/customers/" + a + "/summary").status()).isEqualTo(200);
    List<String> spellings =
        List.of(
            "/v1/customers/" + b + "/summary",
            "/v1/customers/0" + b + "/summary",
            "/v1/customers/00" + b + "/summary",
            "/v1/customers/" + percentEncodeDigits(b) + "/summary",
            "/v1/customers/" + b + "//summary",
            "/v1/customers/" + b + "/summary/",
            "/v1/customers/" + a + "/../" + b + "/summary",
            "/v1/customers/" + a + "/%2e%2e/" + b + "/summary",
            "/v1/customers/./" + b + "/summary",
            "/v1//customers/" + b + "/summary");
    for (String path : spellings) {
      Api.Response r = asA.get(path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.contentType()).as(path).startsWith("application/problem+json");
      assertThat(r.body()).as(path).doesNotContain("order_count").doesNotContain("totals");
    }
    // the canonical spellings of one's own resources still work; only the odd ones are refused
    assertThat(asA.get("/v1/customers/0" + a).status()).isEqualTo(404);
    assertThat(asA.get("/v1/customers/" + a + "/").status()).isEqualTo(404);
    assertThat(asA.get("/v1/customers/" + a).status()).isEqualTo(200);
  }

  private static String percentEncodeDigits(long id) {
    StringBuilder out = new StringBuilder();
    for (char c : Long.toString(id).toCharArray()) {
      out.append('%').append(Integer.toHexString(c).toUpperCase());
    }
    return out.toString();
  }

  @Test
  void aJobIsReadableByItsCreatorAndByAnAdminOnly() {
    Api service = server.api();
    Api.Response created =
        service.post(
            "/v1/reports",
            "{\"from\":\"2025-01-01\",\"to\":\"2025-01-02\"}",
            "Idempotency-Key",
            java.util.UUID.randomUUID().toString());
    assertThat(created.status()).isEqualTo(202);
    String location = created.header("Location").orElseThrow();

    assertThat(service.get(location).status()).as("its creator").isEqualTo(200);
    assertThat(server.api().as(tokens.admin()).get(location).status())
        .as("an admin")
        .isEqualTo(200);
    String otherService =
        tokens.builder().sub("service:other").scopes(List.of("service", "reports")).es256();
    Api.Response other = server.api().as(otherService).get(location);
    assertThat(other.status()).as("another service").isEqualTo(404);
    assertThat(other.body()).doesNotContain("\"status\":\"queued\"");
    assertThat(asA.get(location).status()).as("a customer").isEqualTo(404);
  }

  @Test
  void theImportOfOneClientIsReadableByItsCreatorWithTheTokenThatCreatedIt() {
    String importer =
        tokens.builder().sub("service:importer").scopes(List.of("service", "orders:write")).es256();
    Api creator = server.api().as(importer);
    Api.Response created =
        creator.send(
            creator
                .request("/v1/orders/imports")
                .header("Content-Type", "application/x-ndjson")
                .header("Idempotency-Key", java.util.UUID.randomUUID().toString())
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        Fixtures.orderBody(a, fx.product(100, 10), 1) + "\n"))
                .build());
    assertThat(created.status()).isEqualTo(202);
    String location = created.header("Location").orElseThrow();
    long id = Long.parseLong(location.substring(location.lastIndexOf('/') + 1));

    assertThat(creator.get(location).status()).as("the creator reads its job").isEqualTo(200);
    assertThat(creator.get("/v1/orders/imports/" + id).status()).isEqualTo(200);
    Api other = server.api(); // service:tests, same scopes, did not create it
    assertThat(other.get(location).status()).isEqualTo(404);
    assertThat(other.get("/v1/orders/imports/" + id).status()).isEqualTo(404);
    assertThat(other.get("/v1/orders/imports/" + id + "/lines").status()).isEqualTo(404);
  }
}
