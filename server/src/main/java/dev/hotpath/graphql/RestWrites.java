package dev.hotpath.graphql;

import dev.hotpath.http.Deadline;
import dev.hotpath.http.InProcess;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.ProblemException;
import dev.hotpath.ingest.IdempotencyStore;
import dev.hotpath.observe.ClientAddress;
import dev.hotpath.observe.Tracing;
import dev.hotpath.serve.OrderReads;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;

/**
 * The mutations, sent as the REST requests they are ({@code POST /v1/orders}, {@code POST
 * /v1/orders/{id}/cancel}) to this very server's routes, in memory ({@link InProcess}: no loopback
 * connection), with the GraphQL request's {@code Authorization} and trace context (the REST
 * request's span is a child of the GraphQL request's, in the caller's trace). So a GraphQL write
 * takes exactly the REST write's path: contract validation, ownership, idempotency key (its
 * fingerprint is the REST body, built here from the mutation's arguments), the one transaction, the
 * outbox event, the cache invalidation, the rate limit and admission of writes (charged to the
 * GraphQL caller's address), within the GraphQL request's deadline. A problem the route answers
 * becomes the field's error.
 */
final class RestWrites {
  private final InProcess routes;

  RestWrites(InProcess routes) {
    this.routes = routes;
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
    Deadline deadline = Deadline.of(ctx);
    MultiMap headers =
        MultiMap.caseInsensitiveMultiMap().add(header, value).add("Accept", "application/json");
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization != null) {
      headers.add("Authorization", authorization);
    }
    if (body != null) {
      headers.add("Content-Type", "application/json");
    }
    // the GraphQL request's own span as the parent when this runs on its context; else the
    // caller's, as it came
    String traceparent = Tracing.currentTraceparent();
    if (traceparent == null) {
      traceparent = ctx.request().getHeader("traceparent");
    }
    if (traceparent != null) {
      headers.add("traceparent", traceparent);
      String tracestate = ctx.request().getHeader("tracestate");
      if (tracestate != null) {
        headers.add("tracestate", tracestate);
      }
    }
    return routes
        .send(
            new InProcess.Request(
                HttpMethod.POST,
                path,
                headers,
                body,
                ClientAddress.of(ctx.request()),
                deadline.unbounded() ? -1 : deadline.remaining(Duration.ZERO).toMillis()))
        .answer()
        .map(
            answer -> {
              if (answer.ok()) {
                return Nodes.read(answer.body());
              }
              throw answer.problem().exception();
            });
  }
}
