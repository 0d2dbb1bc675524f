package dev.hotpath.store.seed;

import java.nio.charset.StandardCharsets;

/** Text as the bytes the COPY rows are written with. */
final class Ascii {
  private Ascii() {}

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[][] bytes(String[] values) {
    byte[][] out = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      out[i] = ascii(values[i]);
    }
    return out;
  }
}
