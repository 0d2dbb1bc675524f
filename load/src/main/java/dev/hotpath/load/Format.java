package dev.hotpath.load;

import java.util.Locale;

/** Number formatting shared by the reports (not on any hot path). */
final class Format {
  private Format() {}

  static String ms(double ms) {
    return ms >= 100 || ms == Math.rint(ms)
        ? String.format(Locale.ROOT, "%.0f ms", ms)
        : String.format(Locale.ROOT, "%.1f ms", ms);
  }

  static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%.1f req/s", perSecond);
  }

  static String percent(double ratio) {
    return String.format(Locale.ROOT, "%.2f%%", ratio * 100);
  }

  static String num0(double value) {
    return value == Math.rint(value)
        ? String.valueOf((long) value)
        : String.format(Locale.ROOT, "%.1f", value);
  }
}
