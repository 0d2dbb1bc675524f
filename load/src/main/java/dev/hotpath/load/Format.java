package dev.hotpath.load;

import java.util.Locale;

/** Number formatting shared by the reports (not on any hot path). */
final class Format {
  private Format() {}

  /**
   * A duration in milliseconds with the precision it deserves: whole from 100 ms (and for whole
   * values), one decimal from 1 ms, two significant digits below ({@code 0.01 ms}, {@code 0.45
   * ms}), never a bare {@code 0.0} for a value that is not zero.
   */
  static String ms(double ms) {
    return number(ms) + " ms";
  }

  /** {@link #ms} without the unit. */
  static String number(double ms) {
    if (ms >= 100 || ms == Math.rint(ms)) {
      return String.format(Locale.ROOT, "%.0f", ms);
    }
    if (ms >= 1) {
      return String.format(Locale.ROOT, "%.1f", ms);
    }
    return new java.math.BigDecimal(ms)
        .round(new java.math.MathContext(2))
        .stripTrailingZeros()
        .toPlainString();
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
