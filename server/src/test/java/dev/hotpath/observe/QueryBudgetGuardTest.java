package dev.hotpath.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.support.QueryBudgets;
import dev.hotpath.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.ext.web.Router;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The guard itself: a route that queries once per row (the N+1 mistake) is caught, both by the
 * test-side budget check and by the server's own budget counter.
 */
class QueryBudgetGuardTest {
  @Test
  void catchesARouteThatQueriesPerRow() throws Exception {
    TestServer shared = TestServer.get();
    Observability observability = new Observability(0.0, Optional.empty(), Map.of());
    Vertx vertx =
        Vertx.builder()
            .with(new VertxOptions().setTracingOptions(new TracingOptions()))
            .withTracer(observability.tracerFactory())
            .build();
    try {
      Pool pool =
          PgBuilder.pool()
              .with(new PoolOptions().setMaxSize(2))
              .connectingTo(shared.database().connectOptions(16))
              .using(vertx)
              .build();
      RouteInfo info = new RouteInfo("GET", "/n-plus-one", "reads", 2);
      Router router = Router.router(vertx);
      router
          .get("/n-plus-one")
          .handler(
              ctx -> {
                Observability.tag(info);
                ctx.next();
              })
          .handler(
              ctx ->
                  pool.query("SELECT id FROM customers ORDER BY id LIMIT 5")
                      .execute()
                      .compose(
                          rows -> {
                            // the mistake under test: one query per row, in sequence
                            Future<Void> chain = Future.succeededFuture();
                            List<String> names = new ArrayList<>();
                            for (Row row : rows) {
                              long id = row.getLong(0);
                              chain =
                                  chain.compose(
                                      v ->
                                          pool.preparedQuery(
                                                  "SELECT name FROM customers WHERE id = $1")
                                              .execute(Tuple.of(id))
                                              .map(
                                                  r -> {
                                                    names.add(r.iterator().next().getString(0));
                                                    return null;
                                                  }));
                            }
                            return chain.map(v -> names);
                          })
                      .onSuccess(names -> ctx.response().end(String.join(",", names)))
                      .onFailure(ctx::fail));
      HttpServer server =
          vertx
              .createHttpServer(new HttpServerOptions().setTracingPolicy(TracingPolicy.ALWAYS))
              .requestHandler(
                  request -> {
                    Observability.echo(request);
                    router.handle(request);
                  })
              .listen(0)
              .await(10, TimeUnit.SECONDS);

      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://localhost:" + server.actualPort() + "/n-plus-one"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      String timing = response.headers().firstValue("Server-Timing").orElseThrow();
      assertThat(QueryBudgets.queries(timing)).hasValue(6);
      assertThatThrownBy(
              () -> QueryBudgets.assertWithin("GET /n-plus-one", timing, info.queryBudget()))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("made 6 database queries, over its budget of 2");
      // the server counts the breach when the response ends, which may be just after the client has
      // it
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(observability.registry().scrape())
                      .contains("hotpath_query_budget_exceeded_total{route=\"/n-plus-one\"} 1"));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
      observability.close();
    }
  }
}
