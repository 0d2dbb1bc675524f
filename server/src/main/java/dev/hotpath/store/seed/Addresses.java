package dev.hotpath.store.seed;

/**
 * Addresses as JSON, derived from a hash of (seed, customer id) rather than the main random stream,
 * so the orders phase can recompute a customer's address without keeping it in memory.
 */
final class Addresses {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private final long seed;
  private long state;

  Addresses(long seed) {
    this.seed = mix(seed);
  }

  /** Writes the customer's address, or nothing and returns false for the ~2% without one. */
  boolean customerAddress(Sink sink, long customerId) {
    reset(customerId, 0x5EEDL);
    if (below(100) < 2) {
      return false;
    }
    write(sink);
    return true;
  }

  /** The customer's address, or a generated one when the customer has none. */
  void shippingAddress(Sink sink, long customerId) {
    if (!customerAddress(sink, customerId)) {
      reset(customerId, 0xADD4E55L);
      write(sink);
    }
  }

  private void reset(long id, long salt) {
    state = seed ^ mix(id * GOLDEN + salt);
  }

  private long next() {
    state += GOLDEN;
    return mix(state);
  }

  private int below(int bound) {
    return (int) (((next() >>> 32) * bound) >>> 32);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private void write(Sink sink) {
    int pick = below(100);
    Country country = Words.COUNTRIES[Words.COUNTRIES.length - 1];
    for (Country c : Words.COUNTRIES) {
      if (pick < c.cumulativePercent()) {
        country = c;
        break;
      }
    }
    int city = below(country.cities().length);
    byte[] street = country.streets()[below(country.streets().length)];
    int number = 1 + below(country.numberFirst() ? 9_999 : 199);
    sink.raw(Words.J_LINE1);
    if (country.numberFirst()) {
      sink.num(number).ch(' ').raw(street);
    } else {
      sink.raw(street).ch(' ').num(number);
    }
    if (below(100) < 15) {
      sink.raw(Words.J_LINE2).num(1 + below(999));
    }
    sink.raw(Words.J_CITY).raw(country.cities()[city]);
    if (country.regions() != null) {
      sink.raw(Words.J_REGION).raw(country.regions()[city]);
    }
    sink.raw(Words.J_POSTAL);
    byte[] pattern = country.postalPattern();
    for (byte p : pattern) {
      if (p == '9') {
        sink.ch((char) ('0' + below(10)));
      } else if (p == 'A') {
        sink.ch((char) ('A' + below(26)));
      } else {
        sink.ch((char) p);
      }
    }
    sink.raw(Words.J_COUNTRY).raw(country.code()).raw(Words.J_END);
  }
}
