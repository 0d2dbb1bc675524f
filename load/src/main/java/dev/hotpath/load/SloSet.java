package dev.hotpath.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * The SLOs of {@code ops/slo.yaml}: {@code classes: { reads: { p95_ms: 100, p99_ms: 200 }, ...}}. A
 * class without an entry is measured but never judged.
 */
public final class SloSet {
  private final Map<RequestClass, Slo> byClass;

  public SloSet(Map<RequestClass, Slo> byClass) {
    this.byClass = Map.copyOf(byClass);
  }

  /**
   * Reads an SLO file.
   *
   * @throws IllegalArgumentException naming the file and what is wrong in it
   */
  public static SloSet load(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read SLO file " + file + ": " + e.getMessage(), e);
    }
    JsonNode classes = root == null ? null : root.get("classes");
    if (classes == null || !classes.isObject()) {
      throw new IllegalArgumentException(file + ": expected a top-level 'classes:' mapping");
    }
    Map<RequestClass, Slo> slos = new EnumMap<>(RequestClass.class);
    for (Iterator<Map.Entry<String, JsonNode>> it = classes.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      try {
        RequestClass c = RequestClass.fromKey(e.getKey());
        slos.put(c, new Slo(c, number(e.getValue(), "p95_ms"), number(e.getValue(), "p99_ms")));
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(file + ": " + bad.getMessage(), bad);
      }
    }
    return new SloSet(slos);
  }

  private static double number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException("'" + field + "' must be a number, was " + v);
    }
    return v.asDouble();
  }

  public Optional<Slo> of(RequestClass c) {
    return Optional.ofNullable(byClass.get(c));
  }
}
