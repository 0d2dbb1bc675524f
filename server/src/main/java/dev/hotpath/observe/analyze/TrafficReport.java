package dev.hotpath.observe.analyze;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link TrafficAnalysis} as terminal tables and as a self-contained HTML page. */
public final class TrafficReport {
  private static final DateTimeFormatter MINUTE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);
  private static final List<String> SPLIT = List.of("business", "noise");
  private static final List<String> SPLIT_COLORS = List.of("#4878a8", "#e0a030");

  /** Minutes listed in the terminal before it shows the busiest ones only. */
  static final int TERMINAL_MINUTES = 30;

  private TrafficReport() {}

  /**
   * The overview's figures, in the order both reports print them: lines, requests, business, noise,
   * noise share, skipped lines, not JSON, other JSON; then {@code more}.
   */
  private static Object[] overview(TrafficAnalysis a, Object... more) {
    Object[] head = {
      a.lines(),
      a.requests(),
      a.business(),
      a.noise(),
      percent(a.noise(), a.requests()),
      a.notJson() + a.notAccess(),
      a.notJson(),
      a.notAccess()
    };
    Object[] all = java.util.Arrays.copyOf(head, head.length + more.length);
    System.arraycopy(more, 0, all, head.length, more.length);
    return all;
  }

  /** The terminal report; at most {@code topRoutes} routes are listed. */
  public static String text(TrafficAnalysis a, int topRoutes) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%d lines: %d requests (%d business, %d noise = %s), %d skipped (%d not JSON, %d other"
                + " JSON)%n",
            overview(a)));
    if (a.sampledLines() > 0) {
      b.append(
          String.format(
              Locale.ROOT,
              "%d sampled lines (\"sample\":n) counted as the requests they stand for%n",
              a.sampledLines()));
    }
    if (a.limited() + a.shed() > 0) {
      b.append(String.format(Locale.ROOT, "rate-limited %d, shed %d%n", a.limited(), a.shed()));
    }

    b.append("\nBusiness traffic by route\n");
    TextTable routes =
        new TextTable(
            "route",
            "requests",
            "share",
            "4xx",
            "5xx",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "db q/req",
            "cache hit");
    List<TrafficAnalysis.RouteRow> rows = a.routes();
    for (TrafficAnalysis.RouteRow r : rows.subList(0, Math.min(topRoutes, rows.size()))) {
      routes.row(
          r.route(),
          String.valueOf(r.count()),
          percent(r.count(), a.business()),
          String.valueOf(r.clientErrors()),
          String.valueOf(r.serverErrors()),
          ms(r.p50()),
          ms(r.p95()),
          ms(r.p99()),
          String.format(Locale.ROOT, "%.2f", r.meanDbQueries()),
          percent(Math.round(r.cacheHitRatio() * 1000), 1000));
    }
    b.append(routes);
    if (rows.size() > topRoutes) {
      b.append("  ... and ").append(rows.size() - topRoutes).append(" more routes\n");
    }

    b.append("\nStatus classes\n").append(splitTable("status", a.statusClasses()));
    b.append("\nPayload types (request Content-Type)\n")
        .append(splitTable("content type", a.payloadTypes()));
    TextTable bands = new TextTable("latency", "business", "noise", "share");
    a.latencyBands()
        .forEach(
            (band, s) ->
                bands.row(
                    band.label(),
                    String.valueOf(s.business()),
                    String.valueOf(s.noise()),
                    percent(s.total(), a.requests())));
    b.append("\nLatency bands\n").append(bands);

    b.append("\nNoise (kept apart from business traffic)\n");
    TextTable noise = new TextTable("kind", "requests", "top sources");
    for (TrafficAnalysis.NoiseRow n : a.noiseKinds(3)) {
      List<String> sources = new ArrayList<>();
      n.sources().forEach(e -> sources.add(e.getKey() + " (" + e.getValue() + ")"));
      noise.row(n.kind().description(), String.valueOf(n.count()), String.join(", ", sources));
    }
    b.append(noise);

    List<TrafficAnalysis.MinuteRow> minutes = a.minutes();
    if (!minutes.isEmpty()) {
      List<TrafficAnalysis.MinuteRow> shown = minutes;
      String heading = "\nPer minute (UTC)\n";
      if (minutes.size() > TERMINAL_MINUTES) {
        heading =
            "\nPer minute (UTC): the "
                + TERMINAL_MINUTES
                + " busiest of "
                + minutes.size()
                + " minutes (all of them in the HTML page)\n";
        shown =
            minutes.stream()
                .sorted(
                    Comparator.comparingLong(
                            (TrafficAnalysis.MinuteRow m) -> m.business() + m.noise())
                        .reversed())
                .limit(TERMINAL_MINUTES)
                .sorted(Comparator.comparing(TrafficAnalysis.MinuteRow::minute))
                .toList();
      }
      TextTable perMinute = new TextTable("minute", "business", "noise", "5xx");
      for (TrafficAnalysis.MinuteRow m : shown) {
        perMinute.row(
            MINUTE.format(m.minute()),
            String.valueOf(m.business()),
            String.valueOf(m.noise()),
            String.valueOf(m.serverErrors()));
      }
      b.append(heading).append(perMinute);
    }
    return b.toString();
  }

  private static TextTable splitTable(String first, Map<String, TrafficAnalysis.Split> splits) {
    TextTable t = new TextTable(first, "business", "noise", "total");
    splits.forEach(
        (k, s) ->
            t.row(
                k,
                String.valueOf(s.business()),
                String.valueOf(s.noise()),
                String.valueOf(s.total())));
    return t;
  }

  /** A page with the tables and inline SVG charts; {@code source} names the log. */
  public static String html(TrafficAnalysis a, String source) {
    StringBuilder b = new StringBuilder();
    b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(SvgCharts.esc("Traffic of " + source))
        .append("</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}")
        .append("table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;")
        .append(
            "padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}")
        .append(
            "figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}</style></head><body>");
    b.append("<h1>Traffic of ").append(SvgCharts.esc(source)).append("</h1>");
    b.append(
        String.format(
            Locale.ROOT,
            "<p>%d lines: <b>%d requests</b>, of which %d business and %d noise (%s); %d lines"
                + " skipped (%d not JSON, %d other JSON). Rate-limited %d, shed %d; %d sampled lines"
                + " counted as the requests they stand for.</p>",
            overview(a, a.limited(), a.shed(), a.sampledLines())));

    List<SvgCharts.Bar> minuteBars = new ArrayList<>();
    for (TrafficAnalysis.MinuteRow m : a.minutes()) {
      minuteBars.add(
          new SvgCharts.Bar(CLOCK.format(m.minute()), new long[] {m.business(), m.noise()}));
    }
    b.append("<h2>Over time</h2>")
        .append(SvgCharts.columns("Requests per minute (UTC)", SPLIT, SPLIT_COLORS, minuteBars));

    b.append("<h2>Routes (business traffic)</h2>");
    List<SvgCharts.Bar> routeBars = new ArrayList<>();
    List<TrafficAnalysis.RouteRow> routes = a.routes();
    for (TrafficAnalysis.RouteRow r : routes.subList(0, Math.min(30, routes.size()))) {
      routeBars.add(
          new SvgCharts.Bar(
              r.route(),
              new long[] {
                r.count() - r.clientErrors() - r.serverErrors(), r.clientErrors(), r.serverErrors()
              }));
    }
    b.append(
        SvgCharts.horizontal(
            "Requests per route",
            List.of("2xx/3xx", "4xx", "5xx"),
            List.of("#4878a8", "#e0a030", "#c03030"),
            routeBars));
    b.append("<table><tr><th>route</th><th>requests</th><th>share</th><th>4xx</th><th>5xx</th>")
        .append("<th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>db queries/req</th>")
        .append("<th>cache hit</th><th>bytes</th></tr>");
    for (TrafficAnalysis.RouteRow r : routes) {
      b.append("<tr><td>")
          .append(SvgCharts.esc(r.route()))
          .append("</td><td>")
          .append(r.count())
          .append("</td><td>")
          .append(percent(r.count(), a.business()))
          .append("</td><td>")
          .append(r.clientErrors())
          .append("</td><td>")
          .append(r.serverErrors())
          .append("</td><td>")
          .append(ms(r.p50()))
          .append("</td><td>")
          .append(ms(r.p95()))
          .append("</td><td>")
          .append(ms(r.p99()))
          .append("</td><td>")
          .append(String.format(Locale.ROOT, "%.2f", r.meanDbQueries()))
          .append("</td><td>")
          .append(percent(Math.round(r.cacheHitRatio() * 1000), 1000))
          .append("</td><td>")
          .append(r.bytes())
          .append("</td></tr>");
    }
    b.append("</table>");

    b.append("<h2>Status, payload and latency</h2>");
    b.append(
        SvgCharts.columns("Status classes", SPLIT, SPLIT_COLORS, splitBars(a.statusClasses())));
    b.append(
        SvgCharts.horizontal(
            "Payload types (request Content-Type)",
            SPLIT,
            SPLIT_COLORS,
            splitBars(a.payloadTypes())));
    List<SvgCharts.Bar> bandBars = new ArrayList<>();
    a.latencyBands()
        .forEach(
            (band, s) ->
                bandBars.add(
                    new SvgCharts.Bar(band.label(), new long[] {s.business(), s.noise()})));
    b.append(SvgCharts.columns("Latency bands", SPLIT, SPLIT_COLORS, bandBars));

    b.append("<h2>Noise</h2>");
    List<SvgCharts.Bar> noiseBars = new ArrayList<>();
    List<TrafficAnalysis.NoiseRow> kinds = a.noiseKinds(10);
    for (TrafficAnalysis.NoiseRow n : kinds) {
      noiseBars.add(new SvgCharts.Bar(n.kind().key(), new long[] {n.count()}));
    }
    b.append(
        SvgCharts.horizontal("Noise by kind", List.of("requests"), List.of("#e0a030"), noiseBars));
    b.append("<table><tr><th>kind</th><th>requests</th><th>top sources</th></tr>");
    for (TrafficAnalysis.NoiseRow n : kinds) {
      b.append("<tr><td>")
          .append(SvgCharts.esc(n.kind().description()))
          .append("</td><td>")
          .append(n.count())
          .append("</td><td style=\"text-align:left\">");
      n.sources()
          .forEach(
              e ->
                  b.append(SvgCharts.esc(e.getKey()))
                      .append(" (")
                      .append(e.getValue())
                      .append(")<br>"));
      b.append("</td></tr>");
    }
    b.append("</table></body></html>\n");
    return b.toString();
  }

  private static List<SvgCharts.Bar> splitBars(Map<String, TrafficAnalysis.Split> splits) {
    List<SvgCharts.Bar> bars = new ArrayList<>();
    splits.forEach((k, s) -> bars.add(new SvgCharts.Bar(k, new long[] {s.business(), s.noise()})));
    return bars;
  }

  /** Whole from 100 ms, one decimal from 1 ms, two significant digits below (0.41, 0.012). */
  static String ms(double ms) {
    if (ms >= 100) {
      return String.format(Locale.ROOT, "%.0f", ms);
    }
    if (ms >= 1 || ms == 0) {
      return String.format(Locale.ROOT, "%.1f", ms);
    }
    return new java.math.BigDecimal(ms)
        .round(new java.math.MathContext(2))
        .stripTrailingZeros()
        .toPlainString();
  }

  private static String percent(long part, long whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }
}
