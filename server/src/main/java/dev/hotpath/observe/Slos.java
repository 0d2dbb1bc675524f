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
public record Slos(Map<String, Objective> classes) {
  public static final String RESOURCE = "ops/slo.yaml";

  /** Latency objectives of one route class. */
  public record Objective(Duration p95, Duration p99) {}

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
    return new Slos(java.util.Collections.unmodifiableMap(classes));
  }

  /** p99 bound per class: traces slower than this are always kept. */
  public Map<String, Duration> p99ByClass() {
    Map<String, Duration> out = new LinkedHashMap<>();
    classes.forEach((k, v) -> out.put(k, v.p99()));
    return out;
  }
}
