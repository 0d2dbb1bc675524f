package dev.hotpath.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Writes a {@link Summary} for people (terminal, HTML) and for tools (JSON). */
public final class SummaryWriter {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

  private SummaryWriter() {}

  /** The knee in one or two sentences. */
  public static String kneeSentence(Summary s) {
    Knee k = s.knee();
    StringBuilder b = new StringBuilder();
    if (k.breached()) {
      Step bent = k.breachStep().orElseThrow();
      b.append(
          k.lastHeldStep()
              .map(
                  held ->
                      "Knee: every SLO held up to "
                          + held.label()
                          + " at "
                          + Format.rate(held.rate())
                          + "; ")
              .orElse("Knee: no judged step held every SLO; "));
      b.append(k.bentFirst().map(RequestClass::key).orElse("?"))
          .append(" bent first, at ")
          .append(bent.label())
          .append(" (")
          .append(Format.rate(bent.rate()))
          .append("): ")
          .append(k.bendReason().orElse(""))
          .append('.');
    } else {
      b.append(
          k.lastHeldStep()
              .map(
                  held ->
                      "No knee: every SLO held through "
                          + held.label()
                          + " at "
                          + Format.rate(held.rate())
                          + " (the highest rate offered).")
              .orElse("No judged step ran."));
    }
    return b.toString();
  }

  /** What the target was short of at the knee, in one sentence. */
  public static String resourceSentence(Summary s) {
    String moment = s.kneeMoment().map(st -> " during " + st.label()).orElse("");
    Optional<Resources.Reading> saturated = Resources.saturated(s.kneeResources());
    List<String> missing =
        s.kneeResources().stream().filter(r -> !r.exposed()).map(Resources.Reading::name).toList();
    List<String> seen =
        s.kneeResources().stream()
            .filter(Resources.Reading::exposed)
            .map(r -> r.name() + " " + r.value())
            .toList();
    StringBuilder b = new StringBuilder("Resources").append(moment).append(": ");
    if (saturated.isPresent()) {
      b.append("saturated: ")
          .append(saturated.get().name())
          .append(" (")
          .append(saturated.get().value())
          .append(")");
    } else if (seen.isEmpty()) {
      b.append("none readable; /metrics ").append(s.metricsExposure());
    } else {
      b.append("none of the exposed ones saturated (").append(String.join(", ", seen)).append(")");
    }
    if (!missing.isEmpty() && !seen.isEmpty()) {
      b.append("; not exposed: ").append(String.join(", ", missing));
    }
    b.append('.');
    if (s.loadGeneratorCpu() >= 0.85) {
      b.append(
          String.format(
              Locale.ROOT,
              " Warning: the load generator itself ran at %.0f%% CPU; latencies may include its own"
                  + " queueing.",
              s.loadGeneratorCpu() * 100));
    }
    return b.toString();
  }

  /** The terminal summary. */
  public static String text(Summary s) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%nhotpath load %s against %s: %d steps, %d requests, %d errors (SLOs: %s)%n",
            s.profile().key(),
            s.target(),
            s.results().size(),
            s.requests(),
            s.errors(),
            s.sloSource()));
    List<RequestClass> classes = classesSeen(s);
    b.append(String.format(Locale.ROOT, "%-11s %11s %11s", "step", "offered/s", "achieved/s"));
    for (RequestClass c : classes) {
      b.append(String.format(Locale.ROOT, "  %-22s", c.key() + " p95/p99 ms"));
    }
    b.append(String.format(Locale.ROOT, " %7s %8s%n", "errors", "refused"));
    for (int i = 0; i < s.results().size(); i++) {
      StepResult r = s.results().get(i);
      b.append(
          String.format(
              Locale.ROOT,
              "%-11s %11.1f %11.1f",
              r.step().label(),
              r.step().rate(),
              r.achievedRate()));
      for (RequestClass c : classes) {
        ClassStats st = r.classes().get(c);
        Verdict v = s.verdicts().get(i).get(c);
        String cell =
            st == null
                ? "-"
                : Format.number(st.p95()) + "/" + Format.number(st.p99()) + " " + mark(v);
        b.append(String.format(Locale.ROOT, "  %-22s", cell));
      }
      long errors = r.classes().values().stream().mapToLong(ClassStats::errors).sum();
      long refused = r.classes().values().stream().mapToLong(ClassStats::business).sum();
      b.append(String.format(Locale.ROOT, " %7d %8d%n", errors, refused));
    }
    b.append('\n').append(kneeSentence(s)).append('\n');
    for (Knee.ClassKnee ck : s.knee().classes()) {
      b.append("  ").append(classLine(ck)).append('\n');
    }
    b.append(resourceSentence(s)).append('\n');
    String refusals = refusals(s);
    if (!refusals.isEmpty()) {
      b.append("Business refusals (counted as answered, reported apart): ")
          .append(refusals)
          .append('\n');
    }
    s.stopReason().ifPresent(r -> b.append("Stopped early: ").append(r).append('\n'));
    return b.toString();
  }

  static String classLine(Knee.ClassKnee ck) {
    String slo =
        ck.slo()
            .map(x -> "SLO p95 " + Format.ms(x.p95Ms()) + ", p99 " + Format.ms(x.p99Ms()))
            .orElse("no SLO");
    String held =
        ck.heldUpToRate()
            .map(
                rate ->
                    "held up to "
                        + Format.rate(rate)
                        + " offered ("
                        + Format.rate(ck.heldUpToClassRate().orElse(0.0))
                        + " of "
                        + ck.requestClass().key()
                        + ")")
            .orElse("never held");
    String bent =
        ck.firstBreach()
            .map(st -> "; broke at " + st.label() + ": " + ck.breachReason().orElse(""))
            .orElse("");
    return String.format(Locale.ROOT, "%-7s %s; %s%s", ck.requestClass().key(), slo, held, bent);
  }

  private static String mark(Verdict v) {
    if (v == null) {
      return "";
    }
    return switch (v.kind()) {
      case HELD -> "ok";
      case BREACHED -> "BREACH";
      case NO_SLO -> "(no SLO)";
      case NOT_JUDGED -> "(warm-up)";
    };
  }

  private static List<RequestClass> classesSeen(Summary s) {
    List<RequestClass> seen = new ArrayList<>();
    for (RequestClass c : RequestClass.values()) {
      if (s.results().stream().anyMatch(r -> r.classes().containsKey(c))) {
        seen.add(c);
      }
    }
    return seen;
  }

  /** "422 x 37 (writes), 404 x 2 (reads)". */
  static String refusals(Summary s) {
    Map<String, Long> counts = new TreeMap<>();
    for (StepResult r : s.results()) {
      r.classes()
          .forEach(
              (c, st) ->
                  st.statuses()
                      .forEach(
                          (status, n) -> {
                            if (Outcome.of(status) == Outcome.BUSINESS) {
                              counts.merge(status + " x (" + c.key() + ")", n, Long::sum);
                            }
                          }));
    }
    List<String> parts = new ArrayList<>();
    counts.forEach((k, n) -> parts.add(k.replace(" x ", " x " + n + " ")));
    return String.join(", ", parts);
  }

  /** The summary as JSON, for tools and CI. */
  public static String json(Summary s) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("profile", s.profile().key());
    root.put("target", s.target());
    root.put("started_at", s.startedAt().toString());
    root.put("slo_source", s.sloSource());
    root.put("error_budget", s.errorBudget());
    root.put("requests", s.requests());
    root.put("errors", s.errors());
    root.put("breached", s.breached());
    s.stopReason().ifPresent(r -> root.put("stopped_early", r));
    s.gatlingReport().ifPresent(p -> root.put("gatling_report", p.toString()));
    ObjectNode knee = root.putObject("knee");
    knee.put("summary", kneeSentence(s));
    s.knee().lastHeldStep().ifPresent(st -> knee.set("last_held_step", step(mapper, st)));
    s.knee().breachStep().ifPresent(st -> knee.set("breach_step", step(mapper, st)));
    s.knee().bentFirst().ifPresent(c -> knee.put("bent_first", c.key()));
    s.knee().bendReason().ifPresent(r -> knee.put("bend_reason", r));
    ObjectNode perClass = knee.putObject("classes");
    for (Knee.ClassKnee ck : s.knee().classes()) {
      ObjectNode n = perClass.putObject(ck.requestClass().key());
      ck.slo().ifPresent(x -> n.put("slo_p95_ms", x.p95Ms()).put("slo_p99_ms", x.p99Ms()));
      ck.heldUpToRate().ifPresent(r -> n.put("held_up_to_rate", r));
      ck.heldUpToClassRate().ifPresent(r -> n.put("held_up_to_class_rate", r));
      ck.firstBreach().ifPresent(st -> n.put("first_breach_step", st.label()));
      ck.breachReason().ifPresent(r -> n.put("breach_reason", r));
    }
    ObjectNode at = knee.putObject("resources");
    at.put("summary", resourceSentence(s));
    at.put("metrics", s.metricsExposure());
    at.put("load_generator_cpu", s.loadGeneratorCpu());
    Resources.saturated(s.kneeResources()).ifPresent(r -> at.put("saturated", r.name()));
    at.set("readings", readings(mapper, s.kneeResources()));
    ArrayNode steps = root.putArray("steps");
    for (int i = 0; i < s.results().size(); i++) {
      StepResult r = s.results().get(i);
      ObjectNode n = step(mapper, r.step());
      n.put("achieved_rate", r.achievedRate());
      n.put("requests", r.count());
      ObjectNode classes = n.putObject("classes");
      int index = i;
      r.classes()
          .forEach(
              (c, st) -> {
                ObjectNode cn = classes.putObject(c.key());
                cn.put("count", st.count());
                cn.put("ok", st.ok());
                cn.put("business_refusals", st.business());
                cn.put("errors", st.errors());
                cn.put("rate", st.rate());
                cn.put("p50_ms", st.p50());
                cn.put("p95_ms", st.p95());
                cn.put("p99_ms", st.p99());
                cn.put("max_ms", st.max());
                ObjectNode statuses = cn.putObject("statuses");
                st.statuses().forEach((code, count) -> statuses.put(String.valueOf(code), count));
                Verdict v = s.verdicts().get(index).get(c);
                cn.put("verdict", v.kind().name().toLowerCase(Locale.ROOT));
                cn.put("verdict_reason", v.reason());
              });
      n.set("resources", readings(mapper, s.stepResources().get(i)));
      steps.add(n);
    }
    try {
      return mapper.writeValueAsString(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode step(ObjectMapper mapper, Step st) {
    ObjectNode n = mapper.createObjectNode();
    n.put("index", st.index());
    n.put("label", st.label());
    n.put("rate", st.rate());
    n.put("offset_s", st.offset().toMillis() / 1000.0);
    n.put("duration_s", st.duration().toMillis() / 1000.0);
    n.put("judged", st.judged());
    return n;
  }

  private static ArrayNode readings(ObjectMapper mapper, List<Resources.Reading> readings) {
    ArrayNode a = mapper.createArrayNode();
    for (Resources.Reading r : readings) {
      ObjectNode n = a.addObject();
      n.put("name", r.name());
      n.put("metric", r.metric());
      n.put("exposed", r.exposed());
      n.put("value", r.value());
      n.put("score", r.score());
      n.put("saturated", r.saturated());
    }
    return a;
  }

  /** A self-contained page (inline SVG, no scripts) next to Gatling's report. */
  public static String html(Summary s) {
    StringBuilder b = new StringBuilder();
    b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>hotpath load ")
        .append(esc(s.profile().key()))
        .append(" summary</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;")
        .append(
            "padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}")
        .append(
            ".breach{background:#fdd}.held{background:#efe}.knee{font-size:1.15em;padding:.6em;")
        .append("background:#f7f7ff;border-left:4px solid #449}</style></head><body>");
    b.append("<h1>hotpath load: ")
        .append(esc(s.profile().key()))
        .append("</h1><p>Target ")
        .append(esc(s.target()))
        .append(", started ")
        .append(esc(s.startedAt().toString()))
        .append(", ")
        .append(s.requests())
        .append(" requests, ")
        .append(s.errors())
        .append(" errors. SLOs from ")
        .append(esc(s.sloSource()))
        .append(", error budget ")
        .append(Format.percent(s.errorBudget()))
        .append(".");
    s.gatlingReport()
        .ifPresent(p -> b.append(" Gatling's report: <a href=\"index.html\">index.html</a>."));
    b.append("</p>");
    b.append("<p class=\"knee\">").append(esc(kneeSentence(s))).append("<br>");
    b.append(esc(resourceSentence(s))).append("</p>");
    s.stopReason().ifPresent(r -> b.append("<p>Stopped early: ").append(esc(r)).append("</p>"));
    b.append("<h2>Per class</h2><ul>");
    for (Knee.ClassKnee ck : s.knee().classes()) {
      b.append("<li>").append(esc(classLine(ck))).append("</li>");
    }
    b.append("</ul>");
    List<RequestClass> classes = classesSeen(s);
    b.append("<h2>p99 per step</h2>").append(chart(s, classes));
    b.append("<h2>Steps</h2><table><tr><th>step</th><th>offered/s</th><th>achieved/s</th>");
    for (RequestClass c : classes) {
      b.append("<th>")
          .append(c.key())
          .append(" p50 / p95 / p99 ms</th><th>")
          .append(c.key())
          .append(" n / refused / errors</th>");
    }
    b.append("<th>CPU</th></tr>");
    for (int i = 0; i < s.results().size(); i++) {
      StepResult r = s.results().get(i);
      b.append("<tr><td>")
          .append(esc(r.step().label()))
          .append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", r.step().rate()))
          .append("</td><td>")
          .append(String.format(Locale.ROOT, "%.1f", r.achievedRate()))
          .append("</td>");
      for (RequestClass c : classes) {
        ClassStats st = r.classes().get(c);
        Verdict v = s.verdicts().get(i).get(c);
        if (st == null) {
          b.append("<td>-</td><td>-</td>");
          continue;
        }
        String css =
            v.kind() == Verdict.Kind.BREACHED
                ? " class=\"breach\""
                : v.kind() == Verdict.Kind.HELD ? " class=\"held\"" : "";
        b.append("<td")
            .append(css)
            .append(" title=\"")
            .append(esc(v.reason()))
            .append("\">")
            .append(
                Format.number(st.p50())
                    + " / "
                    + Format.number(st.p95())
                    + " / "
                    + Format.number(st.p99()))
            .append("</td><td>")
            .append(st.count())
            .append(" / ")
            .append(st.business())
            .append(" / ")
            .append(st.errors())
            .append("</td>");
      }
      String cpu =
          s.stepResources().get(i).stream()
              .filter(x -> x.name().equals("CPU (process)"))
              .findFirst()
              .map(Resources.Reading::value)
              .orElse("-");
      b.append("<td>").append(esc(cpu)).append("</td></tr>");
    }
    b.append("</table><h2>Resources ")
        .append(s.knee().breached() ? "when the SLO broke" : "at the highest rate")
        .append(esc(s.kneeMoment().map(st -> " (" + st.label() + ")").orElse("")))
        .append("</h2><table><tr><th>resource</th><th>metric</th>")
        .append("<th>value</th><th>saturation (1 = saturated)</th></tr>");
    for (Resources.Reading r : s.kneeResources()) {
      b.append(r.saturated() ? "<tr class=\"breach\">" : "<tr>")
          .append("<td>")
          .append(esc(r.name()))
          .append("</td><td>")
          .append(esc(r.metric()))
          .append("</td><td>")
          .append(esc(r.value()))
          .append("</td><td>")
          .append(r.exposed() ? String.format(Locale.ROOT, "%.2f", r.score()) : "-")
          .append("</td></tr>");
    }
    b.append(
            String.format(
                Locale.ROOT,
                "<tr><td>Load generator CPU (this process, not the target)</td><td>-</td>"
                    + "<td>%.0f%%</td><td>%.2f</td></tr>",
                s.loadGeneratorCpu() * 100,
                s.loadGeneratorCpu() / 0.85))
        .append("</table><p>/metrics: ")
        .append(esc(s.metricsExposure()))
        .append("</p>");
    String refusals = refusals(s);
    if (!refusals.isEmpty()) {
      b.append("<p>Business refusals (answered correctly, reported apart): ")
          .append(esc(refusals))
          .append("</p>");
    }
    b.append("</body></html>\n");
    return b.toString();
  }

  /** p99 of each class per step, with each class's p99 objective dashed. */
  private static String chart(Summary full, List<RequestClass> classes) {
    // the warm-up (cold JIT, empty pools) would flatten the scale; it stays in the table
    List<StepResult> judged = full.results().stream().filter(r -> r.step().judged()).toList();
    Summary s =
        new Summary(
            full.profile(),
            full.target(),
            full.sloSource(),
            full.errorBudget(),
            full.startedAt(),
            judged,
            List.of(),
            List.of(),
            full.knee(),
            List.of(),
            0,
            "",
            Optional.empty(),
            Optional.empty());
    int w = 760;
    int h = 300;
    int left = 60;
    int bottom = 40;
    int n = s.results().size();
    double max = 1;
    for (StepResult r : s.results()) {
      for (ClassStats st : r.classes().values()) {
        max = Math.max(max, st.p99());
      }
    }
    for (RequestClass c : classes) {
      max =
          Math.max(
              max,
              s.knee().classes().stream()
                  .filter(k -> k.requestClass() == c)
                  .flatMap(k -> k.slo().stream())
                  .mapToDouble(Slo::p99Ms)
                  .max()
                  .orElse(0));
    }
    double top = max * 1.1;
    double plotW = w - left - 20;
    double plotH = h - bottom - 20;
    StringBuilder b = new StringBuilder();
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(h + 20)
        .append("\" role=\"img\" aria-label=\"p99 latency per step\">");
    b.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\"/>"
                + "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\"/>",
            left,
            left,
            20 + plotH,
            left,
            20 + plotH,
            w - 20,
            20 + plotH));
    for (int t = 0; t <= 4; t++) {
      double v = top * t / 4;
      double y = 20 + plotH - plotH * t / 4;
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.0f ms</text>",
              left - 4,
              y + 4,
              v));
    }
    for (int i = 0; i < n; i++) {
      double x = left + (n == 1 ? plotW / 2 : plotW * i / (n - 1));
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>"
                  + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%.0f/s</text>",
              x,
              20 + plotH + 14,
              esc(s.results().get(i).step().label()),
              x,
              20 + plotH + 26,
              s.results().get(i).step().rate()));
    }
    for (int ci = 0; ci < classes.size(); ci++) {
      RequestClass c = classes.get(ci);
      String color = COLORS[c.ordinal() % COLORS.length];
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < n; i++) {
        ClassStats st = s.results().get(i).classes().get(c);
        if (st == null) {
          continue;
        }
        double x = left + (n == 1 ? plotW / 2 : plotW * i / (n - 1));
        double y = 20 + plotH - plotH * Math.min(st.p99(), top) / top;
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        b.append(
            String.format(
                Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, color));
      }
      b.append("<polyline fill=\"none\" stroke=\"")
          .append(color)
          .append("\" stroke-width=\"2\" points=\"")
          .append(points.toString().strip())
          .append("\"/>");
      for (Knee.ClassKnee k : s.knee().classes()) {
        if (k.requestClass() == c && k.slo().isPresent()) {
          double y = 20 + plotH - plotH * k.slo().get().p99Ms() / top;
          b.append(
              String.format(
                  Locale.ROOT,
                  "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\""
                      + " stroke-dasharray=\"5,4\"/>",
                  left,
                  y,
                  w - 20,
                  y,
                  color));
        }
      }
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s p99 (dashed: SLO)</text>",
              left + 10 + ci * 170,
              h + 14,
              color,
              c.key()));
    }
    return b.append("</svg>").toString();
  }

  private static String esc(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  /** Writes {@code summary.json} and {@code summary.html} into {@code dir}; returns the page. */
  public static Path write(Summary s, Path dir) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("summary.json"), json(s));
      Path page = dir.resolve("summary.html");
      Files.writeString(page, html(s));
      return page;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the summary to " + dir + ": " + e.getMessage(), e);
    }
  }
}
