package dev.hotpath.edge.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.http.Contract;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract is where admission and rate limits come from: every operation says how critical it
 * is and what it costs, and declares the refusals that follow from that.
 */
class AdmissionContractTest {
  private static final JsonNode PATHS = Contract.load().document().get("paths");
  private static final List<String> METHODS = List.of("get", "post", "put", "patch", "delete");

  private record Operation(String method, String path, JsonNode node) {
    String where() {
      return method.toUpperCase(java.util.Locale.ROOT) + " " + path;
    }

    boolean responds(String status) {
      return node.get("responses").has(status);
    }
  }

  private static List<Operation> operations() {
    List<Operation> ops = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : PATHS.properties()) {
      for (String method : METHODS) {
        if (path.getValue().has(method)) {
          ops.add(new Operation(method, path.getKey(), path.getValue().get(method)));
        }
      }
    }
    return ops;
  }

  @Test
  void everyOperationDeclaresItsCriticalityAndItsCost() {
    for (Operation op : operations()) {
      RoutePolicy policy =
          RoutePolicy.of(Contract.load(), op.method(), op.path().replaceAll("\\{(\\w+)}", ":$1"));
      assertThat(policy.cost()).as(op.where()).isGreaterThanOrEqualTo(0);
    }
  }

  @Test
  void healthAndMetricsAreCriticalAndCostNothing() {
    for (Operation op : operations()) {
      if (op.path().startsWith("/health") || op.path().equals("/metrics")) {
        assertThat(op.node().get("x-criticality").asText()).as(op.where()).isEqualTo("critical");
        assertThat(op.node().get("x-rate-cost").asInt()).as(op.where()).isZero();
      }
    }
  }

  @Test
  void reportsAndImportsAreShedFirstAndCostTheMost() {
    for (Operation op : operations()) {
      if (op.path().startsWith("/v1/reports") || op.path().startsWith("/v1/orders/imports")) {
        assertThat(op.node().get("x-criticality").asText()).as(op.where()).isEqualTo("low");
      }
    }
    assertThat(PATHS.at("/~1v1~1orders~1imports/post/x-rate-cost").asInt())
        .isGreaterThan(PATHS.at("/~1v1~1reports/post/x-rate-cost").asInt());
    assertThat(PATHS.at("/~1v1~1reports/post/x-rate-cost").asInt())
        .isGreaterThan(PATHS.at("/~1v1~1orders/post/x-rate-cost").asInt());
    assertThat(PATHS.at("/~1v1~1orders/post/x-rate-cost").asInt())
        .isGreaterThan(PATHS.at("/~1v1~1orders~1{id}/get/x-rate-cost").asInt());
  }

  @Test
  void limitedOperationsDeclareThe429AndTheirHeadersOnEverySuccess() {
    for (Operation op : operations()) {
      if (op.node().get("x-rate-cost").asInt() == 0) {
        continue;
      }
      assertThat(op.responds("429")).as(op.where() + " declares 429").isTrue();
      op.node()
          .get("responses")
          .properties()
          .forEach(
              r -> {
                if (r.getKey().startsWith("2") && !r.getValue().has("$ref")) {
                  assertThat(r.getValue().path("headers").has("RateLimit"))
                      .as(op.where() + " " + r.getKey() + " declares RateLimit")
                      .isTrue();
                  assertThat(r.getValue().path("headers").has("RateLimit-Policy"))
                      .as(op.where() + " " + r.getKey() + " declares RateLimit-Policy")
                      .isTrue();
                }
              });
    }
  }

  @Test
  void everyOperationThatCanBeShedDeclaresThe503() {
    for (Operation op : operations()) {
      if (!op.node().get("x-criticality").asText().equals("critical")) {
        assertThat(op.responds("503")).as(op.where() + " declares 503").isTrue();
      }
    }
  }
}
