package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.support.Fixtures;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Transaction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Reads do not queue behind transactions for a database connection: the read side's single
 * statements go out on pipelined connections of their own. Shown on an instance with one event loop
 * and one pooled connection, whose only connection an order holds while it waits for a product row
 * another session has locked.
 */
class PipelinedReadsTest {
  @Test
  void aReadIsAnsweredWhileATransactionHoldsThePoolsOnlyConnection() throws Exception {
    TestServer server = TestServer.get();
    Fixtures fx = new Fixtures(server);
    long customer = fx.customer();
    long product = fx.product(700, 50);
    long existing = fx.order(customer, product, 1);

    App instance =
        App.start(
            server.secondInstance(Map.of("HOTPATH_EVENT_LOOPS", "1", "HOTPATH_DB_POOL_SIZE", "1")));
    Vertx vertx = Vertx.vertx();
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://localhost:" + instance.port();
    String token = Tokens.get().service();
    try {
      PgConnection locker =
          PgConnection.connect(vertx, server.database().connectOptions(1))
              .await(10, TimeUnit.SECONDS);
      Transaction tx = locker.begin().await(10, TimeUnit.SECONDS);
      locker
          .query("SELECT id FROM products WHERE id = " + product + " FOR UPDATE")
          .execute()
          .await(10, TimeUnit.SECONDS);

      // the order takes the instance's only pooled connection and waits for the row lock
      CompletableFuture<HttpResponse<String>> placing =
          http.sendAsync(
              HttpRequest.newBuilder(URI.create(base + "/v1/orders"))
                  .header("Authorization", "Bearer " + token)
                  .header("Content-Type", "application/json")
                  .header("Idempotency-Key", java.util.UUID.randomUUID().toString())
                  .POST(
                      HttpRequest.BodyPublishers.ofString(Fixtures.orderBody(customer, product, 1)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  placing.isDone()
                      || server.queryLong(
                              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                  + " AND query LIKE '%FOR UPDATE%' AND pid <> pg_backend_pid()")
                          > 0);
      assertThat(placing.isDone() ? placing.get().body() : "waiting").isEqualTo("waiting");

      HttpResponse<String> read =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v1/orders/" + existing))
                  .header("Authorization", "Bearer " + token)
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
      assertThat(placing).as("the read must not have waited for the order").isNotDone();

      tx.rollback().await(10, TimeUnit.SECONDS);
      HttpResponse<String> placed = placing.get(10, TimeUnit.SECONDS);
      assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
      locker.close().await(10, TimeUnit.SECONDS);
    } finally {
      instance.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
