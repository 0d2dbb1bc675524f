package dev.hotpath.store.seed;

import java.util.Arrays;

/**
 * A growable byte buffer with allocation-free number and timestamp formatting (COPY text format).
 */
final class Sink {
  byte[] buf;
  int len;

  Sink(int capacity) {
    buf = new byte[capacity];
  }

  void reset() {
    len = 0;
  }

  private void room(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length << 1, len + extra));
    }
  }

  Sink raw(byte[] bytes) {
    room(bytes.length);
    System.arraycopy(bytes, 0, buf, len, bytes.length);
    len += bytes.length;
    return this;
  }

  /** Appends a copy of this buffer's bytes {@code [from, to)}. */
  Sink copy(int from, int to) {
    int n = to - from;
    room(n);
    System.arraycopy(buf, from, buf, len, n);
    len += n;
    return this;
  }

  /** Appends a string known to be ASCII without tab, newline or backslash. */
  Sink ascii(String s) {
    int n = s.length();
    room(n);
    for (int i = 0; i < n; i++) {
      buf[len++] = (byte) s.charAt(i);
    }
    return this;
  }

  Sink ch(char c) {
    room(1);
    buf[len++] = (byte) c;
    return this;
  }

  Sink tab() {
    return ch('\t');
  }

  Sink nl() {
    return ch('\n');
  }

  Sink num(long v) {
    room(20);
    if (v < 0) {
      if (v == Long.MIN_VALUE) {
        return ascii(Long.toString(v));
      }
      buf[len++] = '-';
      v = -v;
    }
    int digits = 1;
    for (long x = v; x >= 10; x /= 10) {
      digits++;
    }
    int p = len + digits;
    len = p;
    do {
      buf[--p] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    } while (v != 0);
    return this;
  }

  private void two(int v) {
    buf[len++] = (byte) ('0' + v / 10);
    buf[len++] = (byte) ('0' + v % 10);
  }

  /** {@code yyyy-mm-dd hh:mm:ss.ffffff+00} for microseconds since the epoch (years 1000..9999). */
  Sink ts(long epochMicros) {
    room(32);
    int fraction = dateTime(epochMicros, ' ');
    buf[len++] = '.';
    two(fraction / 10_000);
    two(fraction / 100 % 100);
    two(fraction % 100);
    buf[len++] = '+';
    buf[len++] = '0';
    buf[len++] = '0';
    return this;
  }

  /**
   * {@code yyyy-mm-ddThh:mm:ss[.f]+00:00}, the fraction without trailing zeros: how PostgreSQL
   * writes a {@code timestamptz} into JSON in a session whose time zone is UTC.
   */
  Sink isoTs(long epochMicros) {
    room(32);
    int fraction = dateTime(epochMicros, 'T');
    if (fraction != 0) {
      buf[len++] = '.';
      int digits = 6;
      while (fraction % 10 == 0) {
        fraction /= 10;
        digits--;
      }
      for (int i = digits - 1, p = len; i >= 0; i--) {
        buf[p + i] = (byte) ('0' + fraction % 10);
        fraction /= 10;
      }
      len += digits;
    }
    buf[len++] = '+';
    two(0);
    buf[len++] = ':';
    two(0);
    return this;
  }

  /** Writes date, separator and time to the second; returns the microseconds of the second. */
  private int dateTime(long epochMicros, char separator) {
    long days = Math.floorDiv(epochMicros, 86_400_000_000L);
    long micros = epochMicros - days * 86_400_000_000L;
    // civil-from-days (H. Hinnant)
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int day = (int) (doy - (153 * mp + 2) / 5 + 1);
    int month = (int) (mp < 10 ? mp + 3 : mp - 9);
    int year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
    two(year / 100);
    two(year % 100);
    buf[len++] = '-';
    two(month);
    buf[len++] = '-';
    two(day);
    buf[len++] = (byte) separator;
    int seconds = (int) (micros / 1_000_000);
    two(seconds / 3600);
    buf[len++] = ':';
    two(seconds / 60 % 60);
    buf[len++] = ':';
    two(seconds % 60);
    return (int) (micros % 1_000_000);
  }
}
