package dev.hotpath.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shapes of a run. Every profile starts with a warm-up at the base rate (JIT, pools, caches)
 * that is reported but not judged; arrivals are open-model (users per second, independent of how
 * fast the server answers), so a slow server cannot slow the offered load down.
 */
public enum Profile {
  /** A short run at a constant modest rate: does everything answer within its SLO? */
  SMOKE,
  /** +{@code growth} (10%) per step until a step breaks an SLO or {@code maxSteps} is reached. */
  RAMP,
  /** A long run at a constant rate, judged per window, to see drift (leaks, bloat, queues). */
  SOAK,
  /** Base rate, then {@code spikeFactor} (5x) at once, then base rate again to see recovery. */
  SPIKE;

  public static Profile fromName(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown profile '" + name + "' (known: smoke, ramp, soak, spike)", e);
    }
  }

  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the run stops as soon as a step breaks an SLO. */
  public boolean stopsOnBreach() {
    return this == RAMP;
  }

  /** Shape parameters; which ones a profile uses is said on each constant. */
  public record Shape(
      double rate,
      Duration warmup,
      Duration duration,
      Duration step,
      double growth,
      int maxSteps,
      double spikeFactor) {
    public Shape {
      if (!(rate > 0)) {
        throw new IllegalArgumentException("--rate must be > 0, was " + rate);
      }
      if (warmup.isNegative()) {
        throw new IllegalArgumentException("--warmup must be >= 0, was " + warmup);
      }
      if (!(growth > 0)) {
        throw new IllegalArgumentException("--growth must be > 0, was " + growth);
      }
      if (maxSteps < 1) {
        throw new IllegalArgumentException("--max-steps must be >= 1, was " + maxSteps);
      }
      if (!(spikeFactor > 1)) {
        throw new IllegalArgumentException("--spike-factor must be > 1, was " + spikeFactor);
      }
    }
  }

  /** The steps of a run of this profile, contiguous, starting at offset 0. */
  public List<Step> steps(Shape shape) {
    List<Step> steps = new ArrayList<>();
    Duration at = Duration.ZERO;
    if (!shape.warmup().isZero()) {
      steps.add(new Step(0, "warm-up", shape.rate(), at, shape.warmup(), false));
      at = at.plus(shape.warmup());
    }
    switch (this) {
      case SMOKE ->
          steps.add(new Step(steps.size(), "smoke", shape.rate(), at, shape.duration(), true));
      case RAMP -> {
        double rate = shape.rate();
        for (int i = 1; i <= shape.maxSteps(); i++) {
          steps.add(new Step(steps.size(), "step " + i, rate, at, shape.step(), true));
          at = at.plus(shape.step());
          rate = rate * (1 + shape.growth());
        }
      }
      case SOAK -> {
        Duration left = shape.duration();
        int window = 1;
        while (!left.isZero()) {
          Duration d = left.compareTo(shape.step()) < 0 ? left : shape.step();
          steps.add(new Step(steps.size(), "window " + window++, shape.rate(), at, d, true));
          at = at.plus(d);
          left = left.minus(d);
        }
      }
      case SPIKE -> {
        steps.add(new Step(steps.size(), "base", shape.rate(), at, shape.step(), true));
        at = at.plus(shape.step());
        double peak = shape.rate() * shape.spikeFactor();
        steps.add(new Step(steps.size(), "spike", peak, at, shape.step(), true));
        at = at.plus(shape.step());
        steps.add(new Step(steps.size(), "recovery", shape.rate(), at, shape.step(), true));
      }
    }
    return List.copyOf(steps);
  }
}
