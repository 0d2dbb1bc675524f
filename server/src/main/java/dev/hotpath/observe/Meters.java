package dev.hotpath.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/** Registration shorthands for the meters every part of the server declares. */
public final class Meters {
  private Meters() {}

  /**
   * Registers the gauge {@code name}, read from {@code state} by {@code value} when scraped (the
   * registry holds {@code state} weakly, so the owner keeps it alive).
   */
  public static <T> void gauge(
      MeterRegistry registry, String name, String description, T state, ToDoubleFunction<T> value) {
    Gauge.builder(name, state, value).description(description).register(registry);
  }
}
