package dev.hotpath.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generates, from ops/slo.yaml and the route classes of api/openapi.yaml, the Prometheus alert
 * rules (multi-window, multi-burn-rate, as in the SRE workbook) and a Grafana dashboard. The
 * generated files are committed under ops/; a test fails when they are stale.
 */
public final class SloArtifacts {
  /** Long window, short window, burn rate factor, severity. */
  private record Window(String longWindow, String shortWindow, double burn, String severity) {}

  private static final List<Window> WINDOWS =
      List.of(
          new Window("1h", "5m", 14.4, "page"),
          new Window("6h", "30m", 6, "page"),
          new Window("1d", "2h", 3, "ticket"),
          new Window("3d", "6h", 1, "ticket"));

  private final Slos slos;
  private final Map<String, List<String>> routesByClass;

  public SloArtifacts(Slos slos, JsonNode contract) {
    this.slos = slos;
    this.routesByClass = routesByClass(contract);
  }

  /** Route templates (router style, {@code :id}) of every class, from the contract. */
  static Map<String, List<String>> routesByClass(JsonNode contract) {
    Map<String, List<String>> byClass = new TreeMap<>();
    Iterator<Map.Entry<String, JsonNode>> paths = contract.path("paths").fields();
    while (paths.hasNext()) {
      var path = paths.next();
      String template = path.getKey().replaceAll("\\{([A-Za-z]+)}", ":$1");
      path.getValue()
          .fields()
          .forEachRemaining(
              op -> {
                JsonNode cls = op.getValue().get("x-route-class");
                if (cls != null) {
                  List<String> routes =
                      byClass.computeIfAbsent(cls.asText(), k -> new ArrayList<>());
                  if (!routes.contains(template)) {
                    routes.add(template);
                  }
                }
              });
    }
    byClass.values().forEach(list -> list.sort(null));
    return byClass;
  }

  private String routeRegex(String cls) {
    return String.join("|", routesByClass.getOrDefault(cls, List.of()));
  }

  private static String le(Duration d) {
    return Double.toString(d.toMillis() / 1000.0);
  }

  /** Prometheus rule file: recording rules for slow-request ratios, then burn-rate alerts. */
  public String alertRules() {
    StringBuilder y = new StringBuilder();
    y.append(
        "# Generated from ops/slo.yaml and api/openapi.yaml by SloArtifacts; do not edit by hand.\n");
    y.append("# Regenerate: ./hotpath slo-artifacts --out ops\n");
    y.append("groups:\n");
    for (var entry : slos.classes().entrySet()) {
      String cls = entry.getKey();
      String routes = routeRegex(cls);
      if (routes.isEmpty()) {
        continue;
      }
      for (var objective :
          List.of(
              Map.entry("p95", entry.getValue().p95()), Map.entry("p99", entry.getValue().p99()))) {
        String q = objective.getKey();
        Duration bound = objective.getValue();
        double budget = q.equals("p95") ? 0.05 : 0.01;
        String record = "hotpath:slow_ratio_" + q + ":" + cls;
        y.append("  - name: hotpath-slo-").append(cls).append('-').append(q).append('\n');
        y.append("    rules:\n");
        for (String window : windows()) {
          y.append("      - record: ").append(record).append(":rate").append(window).append('\n');
          y.append("        expr: |\n");
          y.append("          1 - (\n");
          y.append("            sum(rate(http_server_requests_seconds_bucket{route=~\"")
              .append(routes)
              .append("\",le=\"")
              .append(le(bound))
              .append("\"}[")
              .append(window)
              .append("]))\n");
          y.append("            /\n");
          y.append("            clamp_min(sum(rate(http_server_requests_seconds_count{route=~\"")
              .append(routes)
              .append("\"}[")
              .append(window)
              .append("])), 1e-9)\n");
          y.append("          )\n");
        }
        for (Window w : WINDOWS) {
          String name =
              "HotpathLatencyBudgetBurn"
                  + capitalize(cls)
                  + q.toUpperCase(Locale.ROOT)
                  + capitalize(w.longWindow());
          y.append("      - alert: ").append(name).append('\n');
          y.append("        expr: |\n");
          y.append("          ")
              .append(record)
              .append(":rate")
              .append(w.longWindow())
              .append(" > (")
              .append(fmt(w.burn()))
              .append(" * ")
              .append(fmt(budget))
              .append(")\n");
          y.append("          and\n");
          y.append("          ")
              .append(record)
              .append(":rate")
              .append(w.shortWindow())
              .append(" > (")
              .append(fmt(w.burn()))
              .append(" * ")
              .append(fmt(budget))
              .append(")\n");
          y.append("        labels:\n");
          y.append("          severity: ").append(w.severity()).append('\n');
          y.append("          route_class: ").append(cls).append('\n');
          y.append("        annotations:\n");
          y.append("          summary: \"")
              .append(cls)
              .append(" requests slower than ")
              .append(bound.toMillis())
              .append(" ms are burning the ")
              .append(q)
              .append(" error budget ")
              .append(fmt(w.burn()))
              .append("x too fast (")
              .append(w.longWindow())
              .append("/")
              .append(w.shortWindow())
              .append(")\"\n");
        }
      }
    }
    slos.relay().ifPresent(relay -> relayAlerts(y, relay));
    return y.toString();
  }

  /**
   * The relay's alerts: its lag (writes keep succeeding while the broker is down, so the lag is the
   * only sign), its delivery p99 against the objective, and no instance holding the relay.
   */
  private static void relayAlerts(StringBuilder y, Slos.RelayObjective relay) {
    double p99 = relay.lagP99().toMillis() / 1000.0;
    long lagS = relay.alertLag().toSeconds();
    y.append("  - name: hotpath-relay\n");
    y.append("    rules:\n");
    y.append("      - alert: HotpathRelayLagging\n");
    y.append("        expr: max(hotpath_relay_lag_seconds) > ").append(lagS).append('\n');
    y.append("        for: 2m\n");
    y.append("        labels:\n");
    y.append("          severity: page\n");
    y.append("        annotations:\n");
    y.append("          summary: \"the oldest outbox event not yet on Kafka is over ")
        .append(lagS)
        .append(" s old (broker down or relay stuck); writes still succeed\"\n");
    y.append("      - alert: HotpathRelayDeliveryP99\n");
    y.append("        expr: |\n");
    y.append(
            "          histogram_quantile(0.99, sum by (le)"
                + " (rate(hotpath_relay_delivery_seconds_bucket[5m]))) > ")
        .append(fmt(p99))
        .append('\n');
    y.append("        for: 10m\n");
    y.append("        labels:\n");
    y.append("          severity: ticket\n");
    y.append("        annotations:\n");
    y.append(
            "          summary: \"p99 from an event's write to the broker's acknowledgement is over ")
        .append(relay.lagP99().toMillis())
        .append(" ms\"\n");
    y.append("      - alert: HotpathRelayNoHolder\n");
    y.append("        expr: sum(hotpath_relay_leader) < 1\n");
    y.append("        for: 2m\n");
    y.append("        labels:\n");
    y.append("          severity: page\n");
    y.append("        annotations:\n");
    y.append(
        "          summary: \"instances run the relay but none holds its lock: no event is"
            + " published\"\n");
  }

  private static List<String> windows() {
    List<String> all = new ArrayList<>();
    for (Window w : WINDOWS) {
      for (String s : List.of(w.shortWindow(), w.longWindow())) {
        if (!all.contains(s)) {
          all.add(s);
        }
      }
    }
    return all;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** Grafana dashboard: per class rate, latency quantiles against the SLO, errors; pool and JVM. */
  public String dashboard() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode dash = mapper.createObjectNode();
    dash.put("title", "hotpath");
    dash.put("uid", "hotpath-slo");
    dash.put("schemaVersion", 39);
    dash.put("refresh", "10s");
    dash.putObject("time").put("from", "now-1h").put("to", "now");
    ArrayNode panels = dash.putArray("panels");
    int y = 0;
    int id = 1;
    for (var entry : slos.classes().entrySet()) {
      String cls = entry.getKey();
      String routes = routeRegex(cls);
      if (routes.isEmpty()) {
        continue;
      }
      String sel = "route=~\"" + routes + "\"";
      panel(
          panels,
          id++,
          cls + ": requests/s by status",
          0,
          y,
          "sum by (status) (rate(http_server_requests_seconds_count{" + sel + "}[1m]))",
          "{{status}}");
      ObjectNode latency =
          panel(
              panels,
              id++,
              cls
                  + ": latency (SLO p95 "
                  + entry.getValue().p95().toMillis()
                  + " ms, p99 "
                  + entry.getValue().p99().toMillis()
                  + " ms)",
              8,
              y,
              "histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket{"
                  + sel
                  + "}[1m])))",
              "p99");
      addTarget(
          latency,
          "histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{"
              + sel
              + "}[1m])))",
          "p95",
          "B");
      addTarget(
          latency,
          "histogram_quantile(0.5, sum by (le) (rate(http_server_requests_seconds_bucket{"
              + sel
              + "}[1m])))",
          "p50",
          "C");
      latency.putObject("fieldConfig").putObject("defaults").put("unit", "s");
      panel(
          panels,
          id++,
          cls + ": p99 budget burn (1h)",
          16,
          y,
          "hotpath:slow_ratio_p99:" + cls + ":rate1h / 0.01",
          "burn rate");
      y += 8;
    }
    ObjectNode pool =
        panel(panels, id++, "database pool", 0, y, "sum(hotpath_db_pool_in_use)", "in use");
    addTarget(pool, "sum(hotpath_db_pool_waiting)", "waiting", "B");
    addTarget(pool, "sum(hotpath_db_pool_max)", "max", "C");
    panel(
        panels,
        id++,
        "database pool wait p99",
        8,
        y,
        "max(hotpath_db_pool_wait_seconds{quantile=\"0.99\"})",
        "p99");
    panel(
        panels,
        id++,
        "queries over budget /s",
        16,
        y,
        "sum by (route) (rate(hotpath_query_budget_exceeded_total[5m]))",
        "{{route}}");
    y += 8;
    panel(panels, id++, "CPU", 0, y, "process_cpu_usage", "process");
    panel(panels, id++, "GC pause /s", 8, y, "sum(rate(jvm_gc_pause_seconds_sum[1m]))", "gc");
    panel(panels, id++, "heap used", 16, y, "sum(jvm_memory_used_bytes{area=\"heap\"})", "heap");
    if (slos.relay().isPresent()) {
      y += 8;
      Slos.RelayObjective relay = slos.relay().get();
      panel(panels, id++, "relay: events behind", 0, y, "max(hotpath_relay_lag_events)", "events");
      ObjectNode lag =
          panel(
              panels,
              id++,
              "relay: lag (SLO p99 " + relay.lagP99().toMillis() + " ms)",
              8,
              y,
              "histogram_quantile(0.99, sum by (le) (rate(hotpath_relay_delivery_seconds_bucket[1m])))",
              "delivery p99");
      addTarget(
          lag,
          "histogram_quantile(0.5, sum by (le) (rate(hotpath_relay_delivery_seconds_bucket[1m])))",
          "delivery p50",
          "B");
      addTarget(lag, "max(hotpath_relay_lag_seconds)", "oldest unpublished", "C");
      lag.putObject("fieldConfig").putObject("defaults").put("unit", "s");
      ObjectNode rate =
          panel(
              panels,
              id,
              "relay: events/s and failures/s",
              16,
              y,
              "sum(rate(hotpath_relay_events_total[1m]))",
              "published");
      addTarget(rate, "sum(rate(hotpath_relay_failures_total[1m]))", "failed rounds", "B");
    }
    try {
      return mapper.writeValueAsString(dash) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode panel(
      ArrayNode panels, int id, String title, int x, int y, String expr, String legend) {
    ObjectNode p = panels.addObject();
    p.put("id", id);
    p.put("type", "timeseries");
    p.put("title", title);
    p.putObject("gridPos").put("h", 8).put("w", 8).put("x", x).put("y", y);
    p.putObject("datasource").put("type", "prometheus").put("uid", "${datasource}");
    addTarget(p, expr, legend, "A");
    return p;
  }

  private static void addTarget(ObjectNode panel, String expr, String legend, String ref) {
    ArrayNode targets =
        panel.has("targets") ? (ArrayNode) panel.get("targets") : panel.putArray("targets");
    targets.addObject().put("refId", ref).put("expr", expr).put("legendFormat", legend);
  }
}
