package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.support.Api;
import dev.hotpath.support.Contracts;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class ReportsTest {
  private final TestServer server = TestServer.get();
  private final Api api = server.api();
  private final Fixtures fx = new Fixtures(server);
  private final String today = LocalDate.now(ZoneOffset.UTC).toString();

  private Api.Response request(String from, String to, String callback) {
    return api.post(
        "/v1/reports",
        "{\"from\":\""
            + from
            + "\",\"to\":\""
            + to
            + "\""
            + (callback == null ? "" : ",\"callback_url\":\"" + callback + "\"")
            + "}");
  }

  private JsonNode awaitDone(String location) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> api.get(location).json().get("status").asText().equals("succeeded"));
    return api.get(location).json();
  }

  @Test
  void aReportIsAcceptedThenComputedOffThePathAndDownloadedAsCsv() {
    long customer = fx.customer();
    long p1 = fx.product(250, 100);
    long p2 = fx.product(1000, 100);
    fx.order(customer, p1, 3);
    fx.order(customer, p2, 1);
    Api.Response accepted = request(today, today, null);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    String location = accepted.header("Location").orElseThrow();
    long id = accepted.json().get("id").asLong();
    assertThat(location).isEqualTo("/v1/jobs/" + id);
    assertThat(accepted.json().get("kind").asText()).isEqualTo("report.sales");

    JsonNode done = awaitDone(location);
    assertThat(done.get("progress").asInt()).isEqualTo(100);
    assertThat(done.get("result_url").asText()).isEqualTo("/v1/reports/" + id);

    Api.Response csv = api.get("/v1/reports/" + id);
    assertThat(csv.status()).isEqualTo(200);
    assertThat(csv.contentType()).startsWith("text/csv");
    List<String> lines = csv.body().lines().toList();
    assertThat(lines.get(0)).isEqualTo("dimension,value,currency,orders,units,revenue_minor");
    assertThat(lines).contains("product," + p1 + ",USD,1,3,750", "product," + p2 + ",USD,1,1,1000");
    String truth =
        server
            .queryText(
                "SELECT 'day,' || (created_at AT TIME ZONE 'UTC')::date || ',' || currency || ','"
                    + " || count(*) || ',' || sum((SELECT sum(quantity) FROM order_items i"
                    + " WHERE i.order_id = o.id)) || ',' || sum(total_minor) FROM orders o"
                    + " WHERE status <> 'cancelled' AND (created_at AT TIME ZONE 'UTC')::date = '"
                    + today
                    + "' GROUP BY 1 = 1, (created_at AT TIME ZONE 'UTC')::date, currency"
                    + " ORDER BY currency")
            .strip();
    assertThat(lines).contains(truth.lines().toArray(String[]::new));
  }

  /**
   * No text cell of a downloaded report is read as a formula by a spreadsheet (OWASP's CSV
   * injection). No client can put text of its own in a report today (its cells are the dimension, a
   * date or product id, the catalogue's currency and counts), so the rows are planted in the
   * database of a finished, empty report, as a catalogue loaded from elsewhere might hold them.
   */
  @Test
  void aTextCellThatASpreadsheetWouldReadAsAFormulaIsQuotedAndPrefixed() {
    Api.Response accepted = request("2001-01-01", "2001-01-01", null);
    assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
    long id = accepted.json().get("id").asLong();
    awaitDone(accepted.header("Location").orElseThrow());
    server.execute(
        "INSERT INTO report_rows (report_id, row_no, dimension, value, currency, orders, units,"
            + " revenue_minor) VALUES ("
            + id
            + ", 1, 'product', '=HYPERLINK(\"x\")', '+1+', 1, 2, -3), ("
            + id
            + ", 2, 'product', '@SUM(A1)', '-1-', 4, 5, 6), ("
            + id
            + ", 3, 'day', '2001-01-01', 'a,b', 7, 8, 9)");
    Api.Response csv = api.get("/v1/reports/" + id);
    assertThat(csv.status()).isEqualTo(200);
    assertThat(csv.body().lines().toList())
        .containsExactly(
            "dimension,value,currency,orders,units,revenue_minor",
            "product,\"'=HYPERLINK(\"\"x\"\")\",\"'+1+\",1,2,-3",
            "product,\"'@SUM(A1)\",\"'-1-\",4,5,6",
            "day,2001-01-01,\"a,b\",7,8,9");
  }

  @Test
  void theDownloadIsGzipWhenTheClientAcceptsIt() throws Exception {
    fx.order(fx.customer(), fx.product(100, 10), 1);
    Api.Response accepted = request("2024-01-01", today, null);
    long id = accepted.json().get("id").asLong();
    awaitDone(accepted.header("Location").orElseThrow());
    String plain = api.get("/v1/reports/" + id).body();
    HttpResponse<byte[]> gz =
        api.client()
            .send(
                api.request("/v1/reports/" + id).header("Accept-Encoding", "gzip").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(gz.statusCode()).isEqualTo(200);
    assertThat(gz.headers().firstValue("Content-Encoding")).contains("gzip");
    byte[] unzipped = new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes();
    assertThat(new String(unzipped, StandardCharsets.UTF_8)).isEqualTo(plain);
    assertThat(plain.lines().count()).isGreaterThan(700);
    assertThat(gz.body().length).isLessThan(plain.length() / 2);
  }

  @Test
  void aFinishedReportCarriesItsEtagAndARevalidationIs304() throws Exception {
    fx.order(fx.customer(), fx.product(100, 10), 1);
    Api.Response accepted = request(today, today, null);
    long id = accepted.json().get("id").asLong();
    awaitDone(accepted.header("Location").orElseThrow());
    Api.Response csv = api.get("/v1/reports/" + id);
    assertThat(csv.header("ETag")).contains("\"r" + id + "\"");
    Api.Response again = api.get("/v1/reports/" + id, "If-None-Match", "\"r" + id + "\"");
    assertThat(again.status()).isEqualTo(304);
    assertThat(again.body()).isEmpty();
    HttpResponse<byte[]> gz =
        api.client()
            .send(
                api.request("/v1/reports/" + id).header("Accept-Encoding", "gzip").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(gz.headers().firstValue("ETag")).contains("\"r" + id + ".gz\"");
    Api.Response other = api.get("/v1/reports/" + id, "If-None-Match", "\"r" + (id + 1) + "\"");
    assertThat(other.status()).isEqualTo(200);
  }

  /** The README's example (a year of the demo data) made 3 queries against a budget of 2. */
  @Test
  void aReportOfMoreThanAThousandRowsIsDownloadedWithinItsQueryBudget() {
    // the base data gives ~730 days and 200 products; 100 more products sold make it > 1,000 rows
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      items.append(i == 0 ? "" : ",").append("{\"product_id\":").append(fx.product(100, 10));
      items.append(",\"quantity\":1}");
    }
    Api.Response order =
        api.post("/v1/orders", "{\"customer_id\":" + fx.customer() + ",\"items\":[" + items + "]}");
    assertThat(order.status()).as(order.body()).isEqualTo(201);
    Api.Response accepted = request("2020-01-01", today, null);
    long id = accepted.json().get("id").asLong();
    awaitDone(accepted.header("Location").orElseThrow());
    long rows = server.queryLong("SELECT count(*) FROM report_rows WHERE report_id = " + id);
    assertThat(rows).as("rows of the report").isGreaterThan(1_000).isLessThan(10_000);
    long before = downloadQueries();
    Api.Response csv = api.get("/v1/reports/" + id);
    assertThat(csv.status()).isEqualTo(200);
    assertThat(csv.body().lines().count()).isEqualTo(rows + 1);
    // every query of the download was sent before its last byte
    int budget =
        Contracts.instance()
            .document()
            .path("paths")
            .path("/v1/reports/{id}")
            .path("get")
            .path("x-query-budget")
            .asInt(-1);
    assertThat(downloadQueries() - before).isLessThanOrEqualTo(budget);
  }

  /** Statements of the download route sent so far: its state check and its pages. */
  private long downloadQueries() {
    return server.app().queries().snapshot().entrySet().stream()
        .filter(
            e ->
                e.getKey().startsWith("SELECT j.status, j.progress FROM reports")
                    || e.getKey().contains("FROM report_rows WHERE report_id = $1 AND row_no >"))
        .mapToLong(java.util.Map.Entry::getValue)
        .sum();
  }

  @Test
  void theEventStreamReportsProgressUntilTheJobIsDone() throws Exception {
    Api.Response accepted = request("2025-01-01", "2025-12-31", null);
    long id = accepted.json().get("id").asLong();
    Api.Response stream = api.get("/v1/jobs/" + id + "/events");
    assertThat(stream.status()).isEqualTo(200);
    assertThat(stream.contentType()).startsWith("text/event-stream");
    List<String> events = new ArrayList<>();
    List<JsonNode> data = new ArrayList<>();
    for (String line : stream.body().lines().toList()) {
      if (line.startsWith("event: ")) {
        events.add(line.substring(7));
      } else if (line.startsWith("data: ")) {
        data.add(new ObjectMapper().readTree(line.substring(6)));
      }
    }
    assertThat(events).isNotEmpty().last().isEqualTo("done");
    assertThat(events.subList(0, events.size() - 1)).containsOnly("progress");
    assertThat(data).hasSameSizeAs(events);
    assertThat(data.get(data.size() - 1).get("status").asText()).isEqualTo("succeeded");
    assertThat(data.get(data.size() - 1).get("result_url").asText()).isEqualTo("/v1/reports/" + id);
    List<Integer> progress = data.stream().map(d -> d.get("progress").asInt()).toList();
    assertThat(progress).isSorted();
  }

  /** A report job that stays queued (due tomorrow), created by the tests' service token. */
  private long queuedReport() {
    long id =
        server.queryLong(
            "INSERT INTO jobs (kind, max_attempts, timeout_ms, run_at, created_by) VALUES"
                + " ('report.sales', 1, 1000, now() + interval '1 day', 'service:tests')"
                + " RETURNING id");
    server.execute(
        "INSERT INTO reports (id, from_date, to_date) VALUES ("
            + id
            + ", '2025-01-01', '2025-01-02')");
    return id;
  }

  /** Reads of a job by its id (a job's route, an event stream's poll). */
  private long jobPolls() {
    return server.app().queries().snapshot().entrySet().stream()
        .filter(e -> e.getKey().contains("FROM jobs WHERE id = $1 AND kind = ANY($2)"))
        .mapToLong(java.util.Map.Entry::getValue)
        .sum();
  }

  @Test
  void manyEventStreamsOnOneJobCostTheDatabaseWhatOneDoes() throws Exception {
    long id = queuedReport();
    int streams = 40;
    List<java.util.Iterator<String>> lines = new ArrayList<>();
    try {
      List<
              java.util.concurrent.CompletableFuture<
                  java.net.http.HttpResponse<java.util.stream.Stream<String>>>>
          opening = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        opening.add(
            api.client()
                .sendAsync(
                    api.request("/v1/jobs/" + id + "/events").GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofLines()));
      }
      for (var open : opening) {
        var response = open.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        lines.add(response.body().iterator());
      }
      long before = jobPolls();
      server.execute("UPDATE jobs SET progress = 42 WHERE id = " + id);
      for (var stream : lines) {
        String line;
        do {
          line = stream.next();
        } while (!(line.startsWith("data: ") && line.contains("\"progress\":42")));
      }
      // each stream saw the change; one poll per event loop per interval read it for all of them,
      // where a poll per stream would have read it at least once for each
      assertThat(jobPolls() - before).isLessThan(streams);
    } finally {
      server.execute("DELETE FROM jobs WHERE id = " + id);
    }
    // the job gone, every stream ends
    for (var stream : lines) {
      while (stream.hasNext()) {
        stream.next();
      }
    }
  }

  @Test
  void aReportThatIsNotReadyIs409AndAnUnknownOneIs404() {
    long id = queuedReport();
    try {
      assertThat(api.get("/v1/reports/" + id).status()).isEqualTo(409);
      assertThat(api.get("/v1/jobs/" + id).json().get("status").asText()).isEqualTo("queued");
      assertThat(api.get("/v1/reports/999999999").status()).isEqualTo(404);
      assertThat(api.get("/v1/jobs/999999999").status()).isEqualTo(404);
    } finally {
      server.execute("DELETE FROM jobs WHERE id = " + id);
    }
  }

  @Test
  void badReportRequestsAre400AndEnqueueNothing() {
    long jobs = server.queryLong("SELECT count(*) FROM jobs");
    assertThat(request(today, "2020-01-01", null).status()).isEqualTo(400);
    Api.Response remote = request(today, today, "http://example.com/hook");
    assertThat(remote.status()).isEqualTo(400);
    assertThat(remote.json().get("errors").get(0).get("field").asText()).isEqualTo("/callback_url");
    assertThat(request("yesterday", today, null).status()).isEqualTo(400);
    assertThat(
            api.post(
                    "/v1/reports",
                    "{\"from\":\"" + today + "\",\"to\":\"" + today + "\"}",
                    new String[0])
                .status())
        .isEqualTo(400);
    assertThat(server.queryLong("SELECT count(*) FROM jobs")).isEqualTo(jobs);
  }

  @Test
  void theCallbackGetsASignedWebhookRetriedUntilItIsAccepted() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<Map<String, String>> received = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    HttpServer receiver =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              received.add(
                                  Map.of(
                                      "timestamp", req.getHeader("Hotpath-Timestamp"),
                                      "signature", req.getHeader("Hotpath-Signature"),
                                      "event", req.getHeader("Hotpath-Event-Id"),
                                      "body", body.toString()));
                              // the first delivery fails, so the retry path runs
                              req.response()
                                  .setStatusCode(calls.incrementAndGet() == 1 ? 503 : 204)
                                  .end();
                            }))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    try {
      String callback = "http://127.0.0.1:" + receiver.actualPort() + "/hooks/reports";
      Api.Response accepted = request(today, today, callback);
      long id = accepted.json().get("id").asLong();
      awaitDone(accepted.header("Location").orElseThrow());
      await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 2);
      byte[] key =
          HexFormat.of()
              .parseHex(
                  server
                      .queryText("SELECT value FROM app_settings WHERE key = 'webhook_key'")
                      .strip());
      for (Map<String, String> delivery : received) {
        assertThat(delivery.get("signature"))
            .isEqualTo(
                WebhookDelivery.signature(key, delivery.get("timestamp"), delivery.get("body")));
        assertThat(Long.parseLong(delivery.get("timestamp")))
            .isCloseTo(
                System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(300L));
        assertThat(delivery.get("event")).isEqualTo("report-" + id);
      }
      JsonNode event = new ObjectMapper().readTree(received.get(1).get("body"));
      assertThat(event.get("type").asText()).isEqualTo("report.completed");
      assertThat(event.get("report_id").asLong()).isEqualTo(id);
      assertThat(event.get("result_url").asText()).isEqualTo("/v1/reports/" + id);
      awaitWebhook(id, "succeeded 2", Duration.ofSeconds(10));
      // a receiver down longer than the jobs' default five attempts still gets its event
      assertThat(
              server.queryLong(
                  "SELECT max_attempts FROM jobs WHERE dedupe_key = 'webhook:report-" + id + "'"))
          .isEqualTo(WebhookDelivery.ATTEMPTS)
          .isEqualTo(20);
      assertThat(WebhookDelivery.allowed("http://10.0.0.1/x")).isFalse();
      assertThat(WebhookDelivery.allowed("http://[::1]:8080/x")).isTrue();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * A receiver that answers a webhook with a body it never finishes, a byte at a time, does not
   * hold the delivery's connection: the attempt is cut (its request reset) at the delivery's
   * timeout and retried. Before, the job's timeout freed its slot but the request went on: the
   * client's idle timeout never fired while bytes kept coming, the body was gathered in memory
   * without bound, and later deliveries to the receiver queued behind the held connection.
   */
  @Test
  void aReceiverThatNeverFinishesItsAnswerDoesNotHoldTheDelivery() throws Exception {
    Vertx vertx = Vertx.vertx();
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    HttpServer receiver =
        vertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              if (calls.incrementAndGet() > 1) {
                                req.response().setStatusCode(204).end();
                                return;
                              }
                              var response = req.response().setChunked(true).setStatusCode(200);
                              response.write("{");
                              long drip =
                                  vertx.setPeriodic(
                                      200, t -> response.write(" ").onFailure(e -> {}));
                              req.connection()
                                  .closeHandler(
                                      v -> {
                                        vertx.cancelTimer(drip);
                                        closed.incrementAndGet();
                                      });
                            }))
            .listen(0, "127.0.0.1")
            .await(10, TimeUnit.SECONDS);
    try {
      String callback = "http://127.0.0.1:" + receiver.actualPort() + "/hooks/reports";
      Api.Response accepted = request(today, today, callback);
      long id = accepted.json().get("id").asLong();
      awaitDone(accepted.header("Location").orElseThrow());
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> assertThat(closed.get()).as("the held connection closed").isPositive());
      awaitWebhook(id, "succeeded 2", Duration.ofSeconds(60));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** Waits until the webhook job of report {@code id} reads {@code statusAndAttempts}. */
  private void awaitWebhook(long id, String statusAndAttempts, Duration atMost) {
    await()
        .atMost(atMost)
        .until(
            () ->
                server
                    .queryText(
                        "SELECT status || ' ' || attempts FROM jobs WHERE dedupe_key = 'webhook:report-"
                            + id
                            + "'")
                    .strip()
                    .equals(statusAndAttempts));
  }
}
