package dev.hotpath.graphql;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.ingest.IdempotencyStore;
import dev.hotpath.serve.OrderReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The mutations, sent as the REST requests they are ({@code POST /v1/orders}, {@code POST
 * /v1/orders/{id}/cancel}) to this very server, over loopback, on the address and port the GraphQL
 * request came in on, with its {@code Authorization}. So a GraphQL write takes exactly the REST
 * write's path: contract validation, ownership, idempotency key (its fingerprint is the REST body,
 * built here from the mutation's arguments), the one transaction, the outbox event, the cache
 * invalidation, the rate limit and admission of writes. The price is one loopback round trip per
 * mutation; a problem the route answers becomes the field's error. One client per event loop.
 */
final class RestWrites {
  private final HttpClient client;

  RestWrites(Vertx vertx, boolean tls) {
    // to this server itself: with TLS, its own certificate is taken as it is (as the warm-up does)
    this.client =
        vertx.createHttpClient(
            new HttpClientOptions().setSsl(tls).setTrustAll(tls).setVerifyHost(false));
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
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(local.hostAddress())
            .setPort(local.port())
            .setURI(path)
            .putHeader(header, value)
            .putHeader("Accept", "application/json");
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization != null) {
      options.putHeader("Authorization", authorization);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    Deadline deadline = Deadline.of(ctx);
    if (!deadline.unbounded()) {
      options.setIdleTimeout(Math.max(1, deadline.remaining(Duration.ZERO).toMillis()));
    }
    return client
        .request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(
            response ->
                response
                    .body()
                    .map(
                        bytes -> {
                          if (response.statusCode() < 300) {
                            return Nodes.read(bytes);
                          }
                          throw problem(response.statusCode(), bytes);
                        }));
  }

  /** The problem the REST route answered, as the exception the field's error is made of. */
  private static ProblemException problem(int status, Buffer body) {
    JsonNode problem;
    try {
      problem = JsonOutput.MAPPER.readTree(body.getBytes());
    } catch (IOException e) {
      return new ProblemException(ProblemType.INTERNAL, "the write answered " + status);
    }
    String uri = problem.path("type").asText("");
    ProblemType type = ProblemType.INTERNAL;
    for (ProblemType t : ProblemType.values()) {
      if (t.uri().equals(uri)) {
        type = t;
      }
    }
    List<FieldError> errors = new ArrayList<>();
    for (JsonNode error : problem.path("errors")) {
      errors.add(new FieldError(error.path("field").asText(), error.path("message").asText()));
    }
    return new ProblemException(type, problem.path("detail").asText(type.title()), errors);
  }
}
