package dev.hotpath.store.seed;

import static dev.hotpath.store.seed.Ascii.ascii;
import static dev.hotpath.store.seed.Ascii.bytes;

/**
 * A country of the generated addresses: its code, share, cities, regions, streets and postal codes.
 */
record Country(
    byte[] code,
    int cumulativePercent,
    byte[][] cities,
    byte[][] regions,
    byte[][] streets,
    boolean numberFirst,
    byte[] postalPattern) {

  static Country of(
      String code,
      int cumulativePercent,
      String[] cities,
      String[] regions,
      String[] streets,
      boolean numberFirst,
      String postalPattern) {
    return new Country(
        ascii(code),
        cumulativePercent,
        bytes(cities),
        regions == null ? null : bytes(regions),
        bytes(streets),
        numberFirst,
        ascii(postalPattern));
  }
}
