package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.cli.RebuildCommand;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ReadModelsTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private static final String SUMMARY_TABLE =
      "SELECT customer_id, currency, order_count, total_spent_minor, last_order_at"
          + " FROM customer_order_summary ORDER BY customer_id, currency";

  @Test
  void anOrderAndItsEventCommitTogetherAndARefusedOrderWritesNoEvent() throws Exception {
    long customer = fx.customer();
    long product = fx.product(250, 3);
    long order = fx.order(customer, product, 2);
    JsonNode payload =
        new ObjectMapper()
            .readTree(
                server.queryText(
                    "SELECT payload FROM outbox WHERE type = 'order.created' AND aggregate_id = "
                        + order));
    assertThat(payload.get("customer_id").asLong()).isEqualTo(customer);
    assertThat(payload.get("total_minor").asLong()).isEqualTo(500);
    assertThat(payload.get("source").asText()).isEqualTo("api");
    assertThat(payload.get("items").get(0).get("product_id").asLong()).isEqualTo(product);
    assertThat(payload.get("items").get(0).get("quantity").asInt()).isEqualTo(2);

    long events = server.queryLong("SELECT count(*) FROM outbox");
    Api.Response refused =
        api.post(
            "/v1/orders",
            "{\"customer_id\":"
                + customer
                + ",\"items\":[{\"product_id\":"
                + product
                + ",\"quantity\":5}]}");
    assertThat(refused.status()).isEqualTo(422);
    assertThat(server.queryLong("SELECT count(*) FROM outbox")).isEqualTo(events);
  }

  @Test
  void creatingAndChangingACustomerAppendTheirEvents() {
    long customer = fx.customer();
    assertThat(
            server.queryText(
                "SELECT type, payload->>'name' FROM outbox WHERE aggregate_id = "
                    + customer
                    + " AND type LIKE 'customer.%' ORDER BY txid, id"))
        .isEqualTo("customer.created|Fixture\n");
    assertThat(api.patchCurrent("/v1/customers/" + customer, "{\"name\":\"Renamed\"}").status())
        .isEqualTo(200);
    assertThat(
            server.queryText(
                "SELECT type, payload->>'version', payload->'fields' FROM outbox"
                    + " WHERE aggregate_id = "
                    + customer
                    + " AND type = 'customer.updated'"))
        .isEqualTo("customer.updated|2|[\"name\"]\n");
    long events = server.queryLong("SELECT count(*) FROM outbox");
    assertThat(api.patch("/v1/customers/999999999", "*", "{\"name\":\"Nobody\"}").status())
        .isEqualTo(404);
    assertThat(server.queryLong("SELECT count(*) FROM outbox")).isEqualTo(events);
  }

  @Test
  void theSummaryFollowsNewOrdersPerCurrency() {
    long customer = fx.customer();
    JsonNode empty = api.get("/v1/customers/" + customer + "/summary").json();
    assertThat(empty.get("order_count").asLong()).isZero();
    assertThat(empty.get("last_order_at").isNull()).isTrue();
    long usd = fx.product("fixtures", 1000, 10, "USD");
    long eur = fx.product("fixtures", 300, 10, "EUR");
    fx.order(customer, usd, 2);
    fx.order(customer, usd, 1);
    long last = fx.order(customer, eur, 1);
    String lastAt = api.get("/v1/orders/" + last).json().get("created_at").asText();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                api.get("/v1/customers/" + customer + "/summary").json().get("order_count").asLong()
                    == 3);
    JsonNode summary = api.get("/v1/customers/" + customer + "/summary").json();
    assertThat(summary.get("last_order_at").asText()).isEqualTo(lastAt);
    assertThat(summary.get("totals").toString())
        .isEqualTo(
            "[{\"currency\":\"EUR\",\"order_count\":1,\"total_spent_minor\":300},"
                + "{\"currency\":\"USD\",\"order_count\":2,\"total_spent_minor\":3000}]");
  }

  @Test
  void theSummaryOfAnUnknownCustomerIs404() {
    assertThat(api.get("/v1/customers/999999999/summary").status()).isEqualTo(404);
  }

  @Test
  void popularProductsAreRankedByThePrecomputedScoreAndPageByCursor() {
    long customer = fx.customer();
    long hit = fx.product(100, 1000);
    long modest = fx.product(100, 1000);
    fx.order(customer, hit, 50);
    fx.order(customer, modest, 5);
    server.awaitConsumers();
    List<Long> ranked = new ArrayList<>();
    String path = "/v1/products?sort=popular&limit=100&fields=id";
    for (int page = 0; page < 3; page++) {
      Api.Response r = api.get(path);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      r.json().get("data").forEach(p -> ranked.add(p.get("id").asLong()));
      JsonNode next = r.json().get("next_cursor");
      if (next.isNull()) {
        break;
      }
      path = "/v1/products?sort=popular&limit=100&fields=id&cursor=" + next.asText();
    }
    assertThat(ranked).doesNotHaveDuplicates().contains(hit, modest);
    assertThat(ranked.indexOf(hit)).isLessThan(ranked.indexOf(modest));
    String scores =
        server.queryText(
            "SELECT product_id FROM product_stats ORDER BY popularity DESC, product_id DESC"
                + " LIMIT "
                + ranked.size());
    assertThat(scores.lines().map(Long::parseLong).toList()).isEqualTo(ranked);
  }

  @Test
  void sortOnlyAcceptsPopularAndDoesNotCombineWithCategory() {
    assertThat(api.get("/v1/products?sort=cheapest").status()).isEqualTo(400);
    assertThat(api.get("/v1/products?sort=popular&category=books").status()).isEqualTo(400);
  }

  @Test
  void anApiOrderSendsOneConfirmationAndSeededHistorySendsNone() {
    long customer = fx.customer();
    long order = fx.order(customer, fx.product(100, 10), 1);
    server.awaitConsumers();
    assertThat(
            server.queryText(
                "SELECT kind, subject FROM notifications WHERE customer_id = " + customer))
        .isEqualTo("order_confirmation|Your order " + order + "\n");
    assertThat(
            server.queryLong(
                "SELECT count(*) FROM notifications n JOIN outbox o ON o.id = n.event_id"
                    + " WHERE o.payload->>'source' <> 'api'"))
        .isZero();
  }

  @Test
  void readModelsEqualTheTruthAndARebuildFromTheLogEqualsThem() {
    long customer = fx.customer();
    fx.order(customer, fx.product(100, 10), 3);
    // the projections of the log (seeded history included) agree with the tables they summarise,
    // read in one snapshot in which the consumers have caught up (other work may go on meanwhile)
    List<String> seen =
        server.queryTextCaughtUp(
            "SELECT customer_id, currency, count(*) FILTER (WHERE status <> 'cancelled'),"
                + " coalesce(sum(total_minor) FILTER (WHERE status <> 'cancelled'), 0),"
                + " max(created_at) FROM orders GROUP BY 1, 2 ORDER BY 1, 2",
            SUMMARY_TABLE,
            "SELECT i.product_id, sum(i.quantity) FROM order_items i JOIN orders o"
                + " ON o.id = i.order_id WHERE o.status <> 'cancelled' GROUP BY 1 ORDER BY 1",
            "SELECT product_id, units_sold FROM product_stats WHERE order_count > 0"
                + " ORDER BY product_id");
    assertThat(seen.get(1)).isEqualTo(seen.get(0)).isNotEmpty();
    assertThat(seen.get(3)).isEqualTo(seen.get(2)).isNotEmpty();

    // a live model equals a rebuild up to the position it has reached, before and after a real
    // rebuild (comparing a copy taken earlier with a rebuild taken later would count whatever was
    // committed in between: the cause of a failure once seen in CI)
    for (String model : List.of("customer_order_summary", "product_stats", "analytics")) {
      Rebuild.Check before = server.checkRebuild(model);
      assertThat(before.differences()).as(model).isEmpty();
      assertThat(before.liveRows()).as(model).isEqualTo(before.rebuiltRows()).isPositive();
      int exit =
          new CommandLine(new RebuildCommand())
              .execute(model, "--database-url", server.databaseUrl());
      assertThat(exit).as(model).isZero();
      Rebuild.Check after = server.checkRebuild(model);
      assertThat(after.differences()).as(model).isEmpty();
      assertThat(after.liveRows()).as(model).isEqualTo(after.rebuiltRows());
    }
    assertThat(new CommandLine(new RebuildCommand()).execute("notifications")).isEqualTo(2);
  }
}
