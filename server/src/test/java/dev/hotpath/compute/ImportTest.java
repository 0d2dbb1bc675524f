package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.support.Api;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ImportTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);

  private Api.Response upload(String path, String contentType, String file) {
    return api.send(
        api.request(path)
            .header("Content-Type", contentType)
            .header("Idempotency-Key", UUID.randomUUID().toString())
            .POST(HttpRequest.BodyPublishers.ofString(file))
            .build());
  }

  private Api.Response uploadCsv(String path, String key, String csv) {
    return api.send(
        api.request(path)
            .header("Content-Type", "text/csv")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(csv))
            .build());
  }

  /** Uploads, waits for the job, returns the import id. */
  private long importFile(String contentType, String file, int workers) {
    Api.Response accepted = upload("/v1/orders/imports?workers=" + workers, contentType, file);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    assertThat(accepted.json().get("kind").asText()).isEqualTo("orders.import");
    String job = accepted.header("Location").orElseThrow();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> api.get(job).json().get("status").asText().equals("succeeded"));
    long id = accepted.json().get("id").asLong();
    assertThat(api.get(job).json().get("result_url").asText())
        .isEqualTo("/v1/orders/imports/" + id);
    return id;
  }

  private List<JsonNode> reportLines(long id) {
    List<JsonNode> lines = new ArrayList<>();
    String path = "/v1/orders/imports/" + id + "/lines?limit=100";
    while (true) {
      Api.Response page = api.get(path);
      assertThat(page.status()).isEqualTo(200);
      page.json().get("data").forEach(lines::add);
      JsonNode next = page.json().get("next_cursor");
      if (next.isNull()) {
        return lines;
      }
      path = "/v1/orders/imports/" + id + "/lines?limit=100&cursor=" + next.asText();
    }
  }

  /** The report and the rows written, with order ids relative to the import's first. */
  private String outcome(long id) {
    long base =
        server.queryLong(
            "SELECT coalesce(min(order_id), 0) FROM order_import_lines WHERE import_id = " + id);
    StringBuilder out = new StringBuilder();
    for (JsonNode line : reportLines(id)) {
      out.append(line.get("line").asInt())
          .append(' ')
          .append(line.get("outcome").asText())
          .append(' ')
          .append(line.get("order_id").isNull() ? "-" : line.get("order_id").asLong() - base)
          .append(' ')
          .append(line.get("errors"))
          .append('\n');
    }
    out.append(
        server.queryText(
            "SELECT o.id - "
                + base
                + ", o.customer_id, o.status, o.currency, o.subtotal_minor, o.total_minor,"
                + " o.item_count, o.shipping_address::text, (SELECT string_agg(i.line_no || ':'"
                + " || i.product_id || 'x' || i.quantity || '@' || i.unit_price_minor, ','"
                + " ORDER BY i.line_no) FROM order_items i WHERE i.order_id = o.id)"
                + " FROM orders o JOIN order_import_lines l ON l.order_id = o.id"
                + " WHERE l.import_id = "
                + id
                + " ORDER BY o.id"));
    return out.toString();
  }

  @Test
  void theSameFileGivesIdenticalIdsRowsAndReportWithOneTwoOrEightWorkers() {
    long customer = fx.customer();
    long homeless =
        api.post(
                "/v1/customers",
                "{\"email\":\"" + Fixtures.uniqueEmail("imp") + "\",\"name\":\"No Address\"}")
            .json()
            .get("id")
            .asLong();
    long plenty = fx.product(100, 1000);
    long scarce = fx.product(250, 5);
    long euro = fx.product("fixtures", 300, 1000, "EUR");
    StringBuilder file = new StringBuilder();
    for (int i = 1; i <= 240; i++) {
      String line =
          switch (i % 10) {
            case 0 -> "{\"customer_id\": " + customer + ", \"items\": [";
            case 1 -> "{\"customer_id\":" + customer + ",\"items\":[]}";
            case 2 -> Fixtures.orderBody(999_999_999L, plenty, 1);
            case 3 -> Fixtures.orderBody(customer, 999_999_999L, 1);
            case 4 -> Fixtures.orderBody(customer, scarce, 1);
            case 5 ->
                "{\"customer_id\":"
                    + customer
                    + ",\"items\":[{\"product_id\":"
                    + plenty
                    + ",\"quantity\":1},{\"product_id\":"
                    + euro
                    + ",\"quantity\":1}]}";
            case 6 -> "";
            case 7 -> Fixtures.orderBody(homeless, plenty, 1);
            case 8 ->
                "{\"customer_id\":"
                    + homeless
                    + ",\"items\":[{\"product_id\":"
                    + plenty
                    + ",\"quantity\":2}],\"shipping_address\":"
                    + Fixtures.ADDRESS
                    + "}";
            default -> Fixtures.orderBody(customer, plenty, i % 3 + 1);
          };
      file.append(line).append('\n');
    }
    List<String> outcomes = new ArrayList<>();
    for (int workers : new int[] {1, 2, 8}) {
      server.execute("UPDATE products SET stock = 1000 WHERE id IN (" + plenty + ", " + euro + ")");
      server.execute("UPDATE products SET stock = 5 WHERE id = " + scarce);
      long id = importFile("application/x-ndjson", file.toString(), workers);
      JsonNode summary = api.get("/v1/orders/imports/" + id).json();
      assertThat(summary.get("lines").asInt()).isEqualTo(240);
      assertThat(summary.get("imported").asInt()).isEqualTo(24 + 5 + 24);
      assertThat(summary.get("rejected").asInt()).isEqualTo(240 - 24 - (24 + 5 + 24));
      assertThat(fx.stock(scarce)).isZero();
      // nothing half-written: every imported order has all its lines and exactly one event
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM order_import_lines l JOIN orders o ON o.id = l.order_id"
                      + " WHERE l.import_id = "
                      + id
                      + " AND o.item_count = (SELECT count(*) FROM order_items i"
                      + " WHERE i.order_id = o.id) AND (SELECT count(*) FROM outbox e"
                      + " WHERE e.type = 'order.created' AND e.aggregate_id = o.id"
                      + " AND e.payload->>'source' = 'import') = 1"))
          .isEqualTo(53);
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM order_import_lines WHERE import_id = "
                      + id
                      + " AND outcome = 'rejected' AND order_id IS NOT NULL"))
          .isZero();
      outcomes.add(outcome(id));
    }
    assertThat(outcomes.get(1)).isEqualTo(outcomes.get(0));
    assertThat(outcomes.get(2)).isEqualTo(outcomes.get(0));

    String report = outcomes.get(0);
    assertThat(report)
        .contains("10 rejected - [{\"field\":\"/\",\"message\":\"The body is not valid JSON");
    assertThat(report).contains("11 rejected - [{\"field\":\"/items\"");
    assertThat(report).contains("12 rejected - [{\"field\":\"/customer_id\"");
    assertThat(report).contains("13 rejected - [{\"field\":\"/items/0/product_id\"");
    assertThat(report)
        .contains(
            "15 rejected - [{\"field\":\"/items/1/product_id\",\"message\":\"is priced in another currency\"}]");
    assertThat(report).contains("17 rejected - [{\"field\":\"/shipping_address\"");
    assertThat(report).doesNotContain("\n16 ");
    // ids follow input order densely: the k-th imported line got base + k
    List<Long> relative = new ArrayList<>();
    report
        .lines()
        .filter(l -> l.matches("\\d+ imported \\d+ .*"))
        .forEach(l -> relative.add(Long.parseLong(l.split(" ")[2])));
    assertThat(relative).hasSize(53);
    for (int k = 0; k < relative.size(); k++) {
      assertThat(relative.get(k)).isEqualTo(k);
    }
    // stock ran out in input order: the 6th line asking for the scarce product is refused
    assertThat(report).contains("44 imported");
    assertThat(report).contains("54 rejected - [{\"field\":\"/items/0/quantity\"");
  }

  @Test
  void aCsvImportReportsMalformedLinesAndImportsTheRest() {
    long customer = fx.customer();
    long a = fx.product(100, 100);
    long b = fx.product(200, 100);
    String csv =
        "customer_id,items\n"
            + customer
            + ","
            + a
            + ":2;"
            + b
            + ":1\n"
            + "x,"
            + a
            + ":1\n"
            + customer
            + ","
            + a
            + "\n"
            + customer
            + ","
            + b
            + ":3\r\n";
    long id = importFile("text/csv", csv, 2);
    List<JsonNode> lines = reportLines(id);
    assertThat(lines).extracting(l -> l.get("line").asInt()).containsExactly(2, 3, 4, 5);
    assertThat(lines)
        .extracting(l -> l.get("outcome").asText())
        .containsExactly("imported", "rejected", "rejected", "imported");
    assertThat(lines.get(1).get("errors").get(0).get("field").asText()).isEqualTo("/customer_id");
    assertThat(lines.get(2).get("errors").get(0).get("field").asText()).isEqualTo("/items/0");
    // the header is not an order line: four lines, four outcomes (issue 15)
    JsonNode summary = api.get("/v1/orders/imports/" + id).json();
    assertThat(summary.get("lines").asInt()).isEqualTo(4);
    assertThat(summary.get("lines_done").asInt()).isEqualTo(4);
    assertThat(summary.get("imported").asInt() + summary.get("rejected").asInt()).isEqualTo(4);
    JsonNode first = api.get("/v1/orders/" + lines.get(0).get("order_id").asLong()).json();
    assertThat(first.get("total_minor").asLong()).isEqualTo(2 * 100 + 200);
    assertThat(fx.stock(a)).isEqualTo(98);
    assertThat(fx.stock(b)).isEqualTo(96);
    Api.Response rejectedOnly = api.get("/v1/orders/imports/" + id + "/lines?outcome=rejected");
    assertThat(rejectedOnly.json().get("data")).hasSize(2);
  }

  @Test
  void aSpreadsheetsCsvWithAByteOrderMarkQuotesAndCrlfImportsAndBadQuotingIsRejectedByLine() {
    long customer = fx.customer();
    long a = fx.product(100, 100);
    long b = fx.product(200, 100);
    String csv =
        "\uFEFF\"customer_id\",\"items\"\r\n"
            + "\""
            + customer
            + "\",\""
            + a
            + ":2;"
            + b
            + ":1\"\r\n"
            + customer
            + ",\""
            + a
            + ":1\r\n"
            + customer
            + ",\""
            + a
            + "\":1\r\n"
            + customer
            + ","
            + b
            + ":1\r\n";
    long id = importFile("text/csv", csv, 1);
    List<JsonNode> lines = reportLines(id);
    assertThat(lines).extracting(l -> l.get("line").asInt()).containsExactly(2, 3, 4, 5);
    assertThat(lines)
        .extracting(l -> l.get("outcome").asText())
        .containsExactly("imported", "rejected", "rejected", "imported");
    assertThat(lines.get(1).get("errors").get(0).get("message").asText())
        .contains("quoted field is not closed");
    assertThat(fx.stock(a)).isEqualTo(98);
    assertThat(fx.stock(b)).isEqualTo(98);
    JsonNode first = api.get("/v1/orders/" + lines.get(0).get("order_id").asLong()).json();
    assertThat(first.get("total_minor").asLong()).isEqualTo(2 * 100 + 200);
    // the same mark before NDJSON: the first line is an order, not a JSON error
    String ndjson =
        "\uFEFF{\"customer_id\":"
            + customer
            + ",\"items\":[{\"product_id\":"
            + b
            + ",\"quantity\":1}]}\n";
    List<JsonNode> nd = reportLines(importFile("application/x-ndjson", ndjson, 1));
    assertThat(nd).extracting(l -> l.get("outcome").asText()).containsExactly("imported");
    // a shipping address holding an escape sequence is rejected by its line, as POST rejects it
    String escaped =
        "{\"customer_id\":"
            + customer
            + ",\"items\":[{\"product_id\":"
            + b
            + ",\"quantity\":1}],\"shipping_address\":"
            + Fixtures.ADDRESS.replaceFirst("\"city\":\"", "\"city\":\"\\\\u001b[2J")
            + "}\n";
    List<JsonNode> refused = reportLines(importFile("application/x-ndjson", escaped, 1));
    assertThat(refused).extracting(l -> l.get("outcome").asText()).containsExactly("rejected");
    assertThat(refused.get(0).get("errors").get(0).get("field").asText())
        .isEqualTo("/shipping_address/city");
    assertThat(fx.stock(b)).isEqualTo(97);
  }

  @Test
  void aCsvLineWithAControlCharacterIsRejectedNamingItNotImportedWithoutIt() {
    long customer = fx.customer();
    long a = fx.product(100, 100);
    // String.trim() took a NUL or any control character for padding: "42\0,7:1" was imported
    // as customer 42, and "42,7:1\u000b" as product 7
    String csv =
        "customer_id,items\n"
            + customer
            + "\u0000,"
            + a
            + ":1\n"
            + customer
            + ","
            + a
            + ":1\u000b\n"
            + "\u0001"
            + customer
            + ","
            + a
            + ":1\n"
            + customer
            + ", "
            + a
            + ":1\t\n";
    long id = importFile("text/csv", csv, 1);
    List<JsonNode> lines = reportLines(id);
    assertThat(lines)
        .extracting(l -> l.get("outcome").asText())
        .containsExactly("rejected", "rejected", "rejected", "imported");
    assertThat(lines.get(0).get("errors").get(0).get("message").asText()).contains("U+0000");
    assertThat(lines.get(1).get("errors").get(0).get("message").asText()).contains("U+000B");
    assertThat(lines.get(2).get("errors").get(0).get("message").asText()).contains("U+0001");
    assertThat(fx.stock(a)).isEqualTo(99);
  }

  @Test
  void unreadableImportsAreRefusedUpFrontAndEnqueueNothing() {
    long jobs = server.queryLong("SELECT count(*) FROM jobs");
    Api.Response noHeader = upload("/v1/orders/imports", "text/csv", "1,2:3\n");
    assertThat(noHeader.status()).isEqualTo(400);
    Api.Response tooMany =
        upload("/v1/orders/imports", "application/x-ndjson", "\n".repeat(1_000_001));
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(upload("/v1/orders/imports?workers=0", "application/x-ndjson", "{}\n").status())
        .isEqualTo(400);
    assertThat(upload("/v1/orders/imports", "text/plain", "{}\n").status()).isEqualTo(415);
    Api.Response noKey =
        api.send(
            api.request("/v1/orders/imports")
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{}\n"))
                .build());
    assertThat(noKey.status()).isEqualTo(400);
    assertThat(server.queryLong("SELECT count(*) FROM jobs")).isEqualTo(jobs);
    assertThat(api.get("/v1/orders/imports/999999999").status()).isEqualTo(404);
  }

  /**
   * Six imports posted at once, each asking for 8 chunks ahead: the chunks in flight across all of
   * them never exceed the process-wide budget (HOTPATH_IMPORT_CHUNKS, 4 here), which one import
   * alone fills, and every line of every import is accounted for (imported, rejected or blank).
   */
  @Test
  void concurrentImportsStayWithinTheProcessWideChunkBudgetAndAccountForEveryLine()
      throws Exception {
    long customer = fx.customer();
    long product = fx.product(100, 1_000_000);
    int lines = 310;
    StringBuilder csv = new StringBuilder("customer_id,items\n");
    for (int i = 1; i <= lines; i++) {
      csv.append(
          switch (i % 31) {
            case 0 -> "\n";
            case 7 -> "x," + product + ":1\n";
            default -> customer + "," + product + ":1\n";
          });
    }
    int blank = lines / 31;
    int rejected = (lines + 31 - 7) / 31;
    List<String> keys = new ArrayList<>();
    List<java.util.concurrent.CompletableFuture<Api.Response>> posts = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String key = UUID.randomUUID().toString();
      keys.add(key);
      posts.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> uploadCsv("/v1/orders/imports?workers=8", key, csv.toString())));
    }
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < posts.size(); i++) {
      Api.Response answer = posts.get(i).get();
      // more uploads at once than HOTPATH_IMPORT_UPLOADS: refused before any of it was read, and
      // taken when sent again under the same key
      while (answer.status() == 503) {
        assertThat(answer.header("Retry-After")).isPresent();
        assertThat(answer.json().get("type").asText()).endsWith("/overloaded");
        answer = uploadCsv("/v1/orders/imports?workers=8", keys.get(i), csv.toString());
      }
      assertThat(answer.status()).as(answer.body()).isEqualTo(202);
      ids.add(answer.json().get("id").asLong());
    }
    for (long id : ids) {
      await()
          .atMost(Duration.ofSeconds(120))
          .until(() -> api.get("/v1/jobs/" + id).json().get("status").asText().equals("succeeded"));
    }
    var registry = server.app().observability().registry();
    int budget = server.app().settings().compute().importChunks();
    assertThat(registry.get("hotpath_import_chunks_in_flight_peak").gauge().value())
        .isEqualTo(budget);
    assertThat(registry.get("hotpath_import_chunks_in_flight").gauge().value()).isZero();
    for (long id : ids) {
      JsonNode summary = api.get("/v1/orders/imports/" + id).json();
      assertThat(summary.get("lines").asInt()).isEqualTo(lines);
      assertThat(summary.get("lines_done").asInt()).isEqualTo(lines);
      assertThat(summary.get("imported").asInt()).isEqualTo(lines - blank - rejected);
      assertThat(summary.get("rejected").asInt()).isEqualTo(rejected);
      List<JsonNode> report = reportLines(id);
      assertThat(report).hasSize(lines - blank);
      assertThat(report.stream().filter(l -> l.get("outcome").asText().equals("imported")))
          .hasSize(lines - blank - rejected);
      // the file's parts are gone once the import succeeded
      assertThat(
              server.queryLong(
                  "SELECT count(*) FROM order_import_parts p JOIN order_imports i"
                      + " ON i.upload = p.upload WHERE i.id = "
                      + id))
          .isZero();
    }
  }

  /**
   * A client that waits for {@code 100 Continue} before it sends the file (curl does above 1 MiB)
   * gets it: the file is read by the route itself, not by a body handler that said it before.
   */
  @Test
  void anUploadExpecting100ContinueIsToldToSendItsFile() {
    long customer = fx.customer();
    long product = fx.product(100, 1000);
    Api.Response accepted =
        api.send(
            api.request("/v1/orders/imports")
                .header("Content-Type", "text/csv")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .expectContinue(true)
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "customer_id,items\n" + customer + "," + product + ":1\n"))
                .build());
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
  }
}
