package dev.hotpath.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The SLOs per route class, from ops/slo.yaml (the one file they live in). */
public record Slos(Map<String, Objective> classes, java.util.Optional<RelayObjective> relay) {
  public static final String RESOURCE = "ops/slo.yaml";

  /** Latency objectives of one route class. */
  public record Objective(Duration p95, Duration p99) {}

  /**
   * Objectives of the outbox relay to Kafka: 99% of events acknowledged by the broker within {@code
   * lagP99} of their write; alert when the oldest unpublished event is older than {@code alertLag}.
   */
  public record RelayObjective(Duration lagP99, Duration alertLag) {}

  public static Slos load() {
    try (InputStream in = Slos.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the class path");
      }
      return parse(new YAMLMapper().readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Slos parse(JsonNode doc) {
    Map<String, Objective> classes = new LinkedHashMap<>();
    doc.path("classes")
        .fields()
        .forEachRemaining(
            e ->
                classes.put(
                    e.getKey(),
                    new Objective(
                        Duration.ofMillis(e.getValue().path("p95_ms").asLong()),
                        Duration.ofMillis(e.getValue().path("p99_ms").asLong()))));
    if (classes.isEmpty()) {
      throw new IllegalStateException(RESOURCE + " declares no classes");
    }
    JsonNode relay = doc.path("relay");
    java.util.Optional<RelayObjective> relayObjective =
        relay.isObject()
            ? java.util.Optional.of(
                new RelayObjective(
                    Duration.ofMillis(relay.path("lag_p99_ms").asLong()),
                    Duration.ofSeconds(relay.path("alert_lag_s").asLong())))
            : java.util.Optional.empty();
    return new Slos(java.util.Collections.unmodifiableMap(classes), relayObjective);
  }

  /** p99 bound per class: traces slower than this are always kept. */
  public Map<String, Duration> p99ByClass() {
    Map<String, Duration> out = new LinkedHashMap<>();
    classes.forEach((k, v) -> out.put(k, v.p99()));
    return out;
  }
}
