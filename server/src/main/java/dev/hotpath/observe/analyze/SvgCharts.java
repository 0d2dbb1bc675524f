package dev.hotpath.observe.analyze;

import java.util.List;
import java.util.Locale;

/**
 * Small stacked bar charts as inline SVG: no script, no fonts or files to fetch, so the page works
 * offline. Each bar is a label and one value per series.
 */
final class SvgCharts {
  /** One bar: its label and one value per series. */
  record Bar(String label, long[] values) {
    long total() {
      long t = 0;
      for (long v : values) {
        t += v;
      }
      return t;
    }
  }

  private SvgCharts() {}

  /** Horizontal stacked bars, one row per bar, the label on the left. */
  static String horizontal(String title, List<String> series, List<String> colors, List<Bar> bars) {
    int labelW = 260;
    int barW = 460;
    int rowH = 22;
    int top = 28;
    int h = top + rowH * Math.max(1, bars.size()) + 30;
    long max = Math.max(1, bars.stream().mapToLong(Bar::total).max().orElse(1));
    StringBuilder b = open(title, labelW + barW + 90, h);
    for (int i = 0; i < bars.size(); i++) {
      Bar bar = bars.get(i);
      double y = top + i * rowH;
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%s</text>",
              labelW - 6,
              y + 14,
              esc(shorten(bar.label(), 40))));
      double x = labelW;
      for (int s = 0; s < bar.values().length; s++) {
        double w = barW * (double) bar.values()[s] / max;
        if (w > 0) {
          b.append(
              String.format(
                  Locale.ROOT,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                      + "<title>%s: %d</title></rect>",
                  x,
                  y + 3,
                  w,
                  rowH - 6,
                  colors.get(s),
                  esc(series.get(s)),
                  bar.values()[s]));
        }
        x += w;
      }
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%d</text>",
              x + 4,
              y + 14,
              bar.total()));
    }
    legend(b, series, colors, 10, h - 10);
    return b.append("</svg></figure>").toString();
  }

  /** Vertical stacked columns, labels below (thinned out when there are many columns). */
  static String columns(String title, List<String> series, List<String> colors, List<Bar> bars) {
    int w = 820;
    int h = 300;
    int left = 56;
    int bottom = 60;
    int top = 28;
    double plotW = w - left - 10;
    double plotH = h - top - bottom;
    long max = Math.max(1, bars.stream().mapToLong(Bar::total).max().orElse(1));
    StringBuilder b = open(title, w, h);
    b.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\"/>",
            left,
            top,
            left,
            top + plotH));
    for (int t = 0; t <= 4; t++) {
      double y = top + plotH - plotH * t / 4;
      b.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%d</text>",
              left - 4,
              y + 3,
              Math.round(max * t / 4.0)));
    }
    int n = Math.max(1, bars.size());
    double slot = plotW / n;
    int labelEvery = Math.max(1, (int) Math.ceil(n / 16.0));
    for (int i = 0; i < bars.size(); i++) {
      Bar bar = bars.get(i);
      double x = left + i * slot;
      double y = top + plotH;
      for (int s = 0; s < bar.values().length; s++) {
        double hh = plotH * bar.values()[s] / max;
        if (hh > 0) {
          y -= hh;
          b.append(
              String.format(
                  Locale.ROOT,
                  "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
                      + "<title>%s %s: %d</title></rect>",
                  x + slot * 0.1,
                  y,
                  Math.max(0.5, slot * 0.8),
                  hh,
                  colors.get(s),
                  esc(bar.label()),
                  esc(series.get(s)),
                  bar.values()[s]));
        }
      }
      if (i % labelEvery == 0) {
        b.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>",
                x + slot / 2,
                top + plotH + 14,
                esc(bar.label())));
      }
    }
    legend(b, series, colors, left, h - 12);
    return b.append("</svg></figure>").toString();
  }

  private static StringBuilder open(String title, int w, int h) {
    return new StringBuilder()
        .append("<figure><figcaption>")
        .append(esc(title))
        .append("</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"")
        .append(w)
        .append("\" height=\"")
        .append(h)
        .append("\" role=\"img\" aria-label=\"")
        .append(esc(title))
        .append("\">");
  }

  private static void legend(
      StringBuilder b, List<String> series, List<String> colors, int x, int y) {
    for (int s = 0; s < series.size(); s++) {
      int at = x + s * 170;
      b.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                  + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
              at,
              y - 9,
              colors.get(s),
              at + 14,
              y,
              esc(series.get(s))));
    }
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  static String esc(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
