package dev.hotpath.observe.analyze;

/** The latency bands of the traffic breakdown. */
public enum LatencyBand {
  UNDER_10(10),
  UNDER_50(50),
  UNDER_100(100),
  UNDER_250(250),
  UNDER_1000(1000),
  OVER_1000(Integer.MAX_VALUE);

  /** Milliseconds the band stops below; the last band has no bound. */
  private final int below;

  LatencyBand(int below) {
    this.below = below;
  }

  /** {@code <10 ms} for a bounded band; {@code >=1000 ms} for the last, from the one before it. */
  public String label() {
    return this == OVER_1000 ? ">=" + UNDER_1000.below + " ms" : "<" + below + " ms";
  }

  public static LatencyBand of(double ms) {
    for (LatencyBand b : values()) {
      if (ms < b.below) {
        return b;
      }
    }
    return OVER_1000;
  }
}
