package dev.hotpath.config;

import java.util.Optional;

/**
 * Metrics, Server-Timing and tracing.
 *
 * @param enabled metrics, access log, Server-Timing and tracing on (the default) or off ({@code
 *     HOTPATH_OBSERVABILITY})
 * @param traceSampleRate share of traces kept by head sampling (0..1)
 * @param otlpEndpoint OTLP/HTTP collector for traces; empty means traces are not exported
 */
public record ObservabilitySettings(
    boolean enabled, double traceSampleRate, Optional<String> otlpEndpoint) {
  public ObservabilitySettings {
    new Rules().fraction("TRACE_SAMPLE_RATE", traceSampleRate).enforce();
  }

  /** HOTPATH_OBSERVABILITY, _TRACE_SAMPLE_RATE, _OTLP_ENDPOINT. */
  static ObservabilitySettings from(EnvReader r) {
    return new ObservabilitySettings(
        r.bool("OBSERVABILITY", true),
        r.fraction("TRACE_SAMPLE_RATE", 0.01),
        r.optionalString("OTLP_ENDPOINT"));
  }
}
