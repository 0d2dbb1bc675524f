package dev.hotpath.store.seed;

import java.io.PrintStream;

/**
 * A {@link Progress} for terminals: redraws one line per phase, e.g. {@code orders
 * [#########...........] 45% 450000/1000000 112k rows/s}, at most ten times a second, and ends the
 * line when the phase completes.
 */
public final class ProgressBar implements Progress {
  private static final int WIDTH = 20;
  private static final long MIN_REDRAW_NANOS = 100_000_000L;

  private final PrintStream out;
  private String phase;
  private boolean lineOpen;
  private long phaseStartNanos;
  private long lastDrawNanos;
  private int lastLength;

  public ProgressBar(PrintStream out) {
    this.out = out;
  }

  @Override
  public synchronized void update(String phase, long done, long total) {
    long now = System.nanoTime();
    if (!phase.equals(this.phase)) {
      if (lineOpen) {
        out.println();
      }
      this.phase = phase;
      this.phaseStartNanos = now;
      this.lastDrawNanos = 0;
      this.lastLength = 0;
      this.lineOpen = false;
    }
    boolean complete = done >= total;
    if (!complete && lineOpen && now - lastDrawNanos < MIN_REDRAW_NANOS) {
      return;
    }
    draw(done, total, now);
    lastDrawNanos = now;
    lineOpen = true;
    if (complete) {
      out.println();
      out.flush();
      lineOpen = false;
      this.phase = null;
    }
  }

  private void draw(long done, long total, long now) {
    double fraction = total <= 0 ? 1.0 : Math.min(1.0, (double) done / total);
    int filled = (int) (fraction * WIDTH);
    StringBuilder line = new StringBuilder(96);
    line.append('\r').append(phase);
    for (int i = phase.length(); i < 10; i++) {
      line.append(' ');
    }
    line.append('[');
    for (int i = 0; i < WIDTH; i++) {
      line.append(i < filled ? '#' : '.');
    }
    line.append("]  ");
    int percent = (int) (fraction * 100);
    if (percent < 100) {
      line.append(' ');
    }
    if (percent < 10) {
      line.append(' ');
    }
    line.append(percent).append("%  ").append(done).append('/').append(total);
    double seconds = (now - phaseStartNanos) / 1e9;
    if (seconds > 0.05 && done > 0) {
      line.append("  ").append(humanRate(done / seconds)).append(" rows/s");
    }
    int length = line.length();
    for (int i = length; i < lastLength; i++) {
      line.append(' ');
    }
    lastLength = length;
    out.print(line);
    out.flush();
  }

  static String humanRate(double perSecond) {
    if (perSecond >= 10_000_000) {
      return Math.round(perSecond / 1_000_000) + "M";
    }
    if (perSecond >= 1_000_000) {
      return Math.round(perSecond / 100_000) / 10.0 + "M";
    }
    if (perSecond >= 10_000) {
      return Math.round(perSecond / 1_000) + "k";
    }
    return Long.toString(Math.round(perSecond));
  }
}
