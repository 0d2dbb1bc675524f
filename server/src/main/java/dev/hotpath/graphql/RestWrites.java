package dev.hotpath.graphql;

import dev.hotpath.http.Deadline;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Loopback;
import dev.hotpath.http.ProblemException;
import dev.hotpath.ingest.IdempotencyStore;
import dev.hotpath.observe.ClientAddress;
import dev.hotpath.serve.OrderReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;

/**
 * The mutations, sent as the REST requests they are ({@code POST /v1/orders}, {@code POST
 * /v1/orders/{id}/cancel}) to this very server, over loopback, on the address and port the GraphQL
 * request came in on, with its {@code Authorization}. So a GraphQL write takes exactly the REST
 * write's path: contract validation, ownership, idempotency key (its fingerprint is the REST body,
 * built here from the mutation's arguments), the one transaction, the outbox event, the cache
 * invalidation, the rate limit and admission of writes (charged to the GraphQL caller's address,
 * see {@link Loopback}), within the GraphQL request's deadline. The price is one loopback round
 * trip per mutation; a problem the route answers becomes the field's error. One client per event
 * loop.
 */
final class RestWrites {
  private final Loopback loopback;

  RestWrites(Vertx vertx, boolean tls) {
    // to this server itself: with TLS, its own certificate is taken as it is (as the warm-up does)
    this.loopback =
        new Loopback(
            vertx.createHttpClient(
                new HttpClientOptions().setSsl(tls).setTrustAll(tls).setVerifyHost(false)));
  }

  /** {@code POST /v1/orders} with {@code key} as its Idempotency-Key; the order it placed. */
  Future<Map<String, Object>> createOrder(
      RoutingContext ctx, String key, Map<String, Object> input) {
    if (key.isEmpty() || key.length() > IdempotencyStore.MAX_KEY_LENGTH) {
      throw ProblemException.invalid(
          "idempotency_key", "must be 1 to " + IdempotencyStore.MAX_KEY_LENGTH + " characters");
    }
    Buffer body = JsonOutput.write(256, gen -> JsonOutput.MAPPER.writeValue(gen, input));
    return send(ctx, "/v1/orders", body, IdempotencyStore.HEADER, key);
  }

  /** {@code POST /v1/orders/{id}/cancel}, if the order is at {@code version} (any when null). */
  Future<Map<String, Object>> cancelOrder(
      RoutingContext ctx, long id, @org.jspecify.annotations.Nullable Integer version) {
    String ifMatch = version == null ? "*" : "\"" + OrderReads.tag(id, version) + "\"";
    return send(ctx, "/v1/orders/" + id + "/cancel", null, "If-Match", ifMatch);
  }

  private Future<Map<String, Object>> send(
      RoutingContext ctx,
      String path,
      @org.jspecify.annotations.Nullable Buffer body,
      String header,
      String value) {
    SocketAddress local = ctx.request().localAddress();
    Deadline deadline = Deadline.of(ctx);
    RequestOptions options =
        Loopback.request(
                HttpMethod.POST,
                path,
                ClientAddress.of(ctx.request()),
                deadline.unbounded() ? -1 : deadline.remaining(Duration.ZERO).toMillis())
            .setHost(local.hostAddress())
            .setPort(local.port())
            .putHeader(header, value)
            .putHeader("Accept", "application/json");
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization != null) {
      options.putHeader("Authorization", authorization);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return loopback
        .send(options, body, request -> {})
        .map(
            answer -> {
              if (answer.ok()) {
                return Nodes.read(answer.body());
              }
              throw answer.problem().exception();
            });
  }
}
