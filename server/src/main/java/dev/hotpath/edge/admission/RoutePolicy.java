package dev.hotpath.edge.admission;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.http.Contract;
import java.util.Locale;

/**
 * What the contract says about admitting one operation: its {@code x-criticality}, its {@code
 * x-rate-cost} in quota units (0: not rate limited) and whether it is {@code x-long-lived} (an
 * event stream, a streamed download, a large upload: admitted or shed like its class, but it holds
 * no slot and gives no latency sample, since its length is the client's or the job's, not the
 * server's).
 */
public record RoutePolicy(Criticality criticality, int cost, boolean longLived) {

  public RoutePolicy {
    if (cost < 0) {
      throw new IllegalArgumentException("x-rate-cost must be >= 0, was " + cost);
    }
  }

  /** Whether requests to the route are rate limited. */
  public boolean limited() {
    return cost > 0;
  }

  /**
   * The policy of a route the router defines ({@code :id} style path).
   *
   * @throws IllegalStateException when the operation lacks {@code x-criticality} or {@code
   *     x-rate-cost}, so that no route escapes admission by omission
   */
  public static RoutePolicy of(Contract contract, String method, String routerPath) {
    String template = routerPath.replaceAll(":([A-Za-z]+)", "{$1}");
    JsonNode operation =
        contract.document().path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
    JsonNode criticality = operation.get("x-criticality");
    JsonNode cost = operation.get("x-rate-cost");
    if (criticality == null || cost == null || !cost.canConvertToInt()) {
      throw new IllegalStateException(
          method + " " + template + " lacks x-criticality or x-rate-cost in " + Contract.RESOURCE);
    }
    return new RoutePolicy(
        Criticality.of(criticality.asText()),
        cost.asInt(),
        operation.path("x-long-lived").asBoolean(false));
  }
}
