package dev.hotpath.graphql;

import dev.hotpath.edge.auth.Scope;
import graphql.schema.DataFetcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** {@code createOrder} and {@code cancelOrder}: the REST writes, through {@link RestWrites}. */
final class Mutations {
  private Mutations() {}

  static final DataFetcher<CompletableFuture<Map<String, Object>>> CREATE_ORDER =
      env -> {
        Call call = Call.of(env);
        call.require(Scope.ORDERS_WRITE, "createOrder");
        Map<String, Object> input = env.getArgument("input");
        return call.writes()
            .createOrder(call.ctx(), env.getArgument("idempotency_key"), withoutNulls(input))
            .toCompletionStage()
            .toCompletableFuture();
      };

  static final DataFetcher<CompletableFuture<Map<String, Object>>> CANCEL_ORDER =
      env -> {
        Call call = Call.of(env);
        call.require(Scope.ORDERS_WRITE, "cancelOrder");
        long id = env.<Long>getArgument("id");
        Integer version = env.getArgument("version");
        return call.writes()
            .cancelOrder(call.ctx(), id, version)
            .toCompletionStage()
            .toCompletableFuture();
      };

  /**
   * The input as the REST body: a field given as null is left out, as REST's schema takes an absent
   * optional field but not a null one.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> withoutNulls(Map<String, Object> input) {
    Map<String, Object> body = new LinkedHashMap<>();
    input.forEach(
        (name, value) -> {
          if (value instanceof Map<?, ?> m) {
            body.put(name, withoutNulls((Map<String, Object>) m));
          } else if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object element : list) {
              copy.add(
                  element instanceof Map<?, ?> m ? withoutNulls((Map<String, Object>) m) : element);
            }
            body.put(name, copy);
          } else if (value != null) {
            body.put(name, value);
          }
        });
    return body;
  }
}
