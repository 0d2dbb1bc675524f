package dev.hotpath.observe.analyze;

/** The latency bands of the traffic breakdown. */
public enum LatencyBand {
  UNDER_10("<10 ms", 10),
  UNDER_50("<50 ms", 50),
  UNDER_100("<100 ms", 100),
  UNDER_250("<250 ms", 250),
  UNDER_1000("<1000 ms", 1000),
  OVER_1000(">=1000 ms", Double.POSITIVE_INFINITY);

  private final String label;
  private final double below;

  LatencyBand(String label, double below) {
    this.label = label;
    this.below = below;
  }

  public String label() {
    return label;
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
