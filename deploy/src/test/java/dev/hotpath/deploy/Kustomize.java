package dev.hotpath.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of kustomize that deploy/k8s uses, so that {@code ./mvnw verify} renders the overlays
 * without a kustomize binary: {@code resources} (files and folders), {@code namespace}, {@code
 * labels} (metadata only) and {@code patches} by {@code path} (strategic merge: maps merged, lists
 * of named items merged by name, other lists replaced). A kustomization using anything else fails,
 * so the rendering cannot silently differ from kustomize's. {@code KubernetesManifestsTest} also
 * compares it with {@code kubectl kustomize} where kubectl is installed.
 */
final class Kustomize {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> KEYS =
      Set.of("apiVersion", "kind", "resources", "namespace", "labels", "patches");
  private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace");

  private Kustomize() {}

  /** The resources the kustomization in {@code dir} produces, in order. */
  static List<ObjectNode> render(Path dir) {
    ObjectNode k = (ObjectNode) readAll(dir.resolve("kustomization.yaml")).getFirst();
    k.fieldNames()
        .forEachRemaining(
            key -> {
              if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(
                    dir + "/kustomization.yaml uses " + key + ", which this renderer lacks");
              }
            });
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path path = dir.resolve(r.asText()).normalize();
      out.addAll(Files.isDirectory(path) ? render(path) : readAll(path));
    }
    for (JsonNode p : k.path("patches")) {
      if (p.size() != 1 || !p.has("path")) {
        throw new IllegalArgumentException(dir + ": only patches by path are rendered: " + p);
      }
      for (ObjectNode patch : readAll(dir.resolve(p.get("path").asText()))) {
        ObjectNode target =
            out.stream()
                .filter(o -> id(o).equals(id(patch)))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(dir + ": patch of no resource " + id(patch)));
        merge(target, patch);
      }
    }
    for (JsonNode l : k.path("labels")) {
      if (l.size() != 1 || !l.has("pairs")) {
        throw new IllegalArgumentException(dir + ": only labels with pairs are rendered: " + l);
      }
      for (ObjectNode o : out) {
        ObjectNode labels = ((ObjectNode) o.get("metadata")).withObject("labels");
        l.get("pairs").properties().forEach(e -> labels.set(e.getKey(), e.getValue()));
      }
    }
    if (k.has("namespace")) {
      for (ObjectNode o : out) {
        if (!CLUSTER_SCOPED.contains(o.path("kind").asText())) {
          ((ObjectNode) o.get("metadata")).put("namespace", k.get("namespace").asText());
        }
      }
    }
    return out;
  }

  /** Kind and name: how kustomize finds a patch's target (one namespace, one version each here). */
  static String id(JsonNode o) {
    return o.path("kind").asText() + "/" + o.path("metadata").path("name").asText();
  }

  static List<ObjectNode> readAll(Path file) {
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      List<ObjectNode> docs = new ArrayList<>();
      Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isEmpty()) {
          docs.add((ObjectNode) doc);
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException(file.toString(), e);
    }
  }

  static List<ObjectNode> readAll(String yaml) {
    try (var parser = YAML.getFactory().createParser(yaml)) {
      List<ObjectNode> docs = new ArrayList<>();
      YAML.readValues(parser, JsonNode.class)
          .forEachRemaining(
              doc -> {
                if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                  docs.add((ObjectNode) doc);
                }
              });
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void merge(ObjectNode target, ObjectNode patch) {
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      JsonNode have = target.get(e.getKey());
      JsonNode want = e.getValue();
      if (have instanceof ObjectNode h && want instanceof ObjectNode w) {
        merge(h, w);
      } else if (have instanceof ArrayNode h && want instanceof ArrayNode w && named(h, w)) {
        for (JsonNode item : w) {
          ObjectNode match = null;
          for (JsonNode existing : h) {
            if (existing.get("name").equals(item.get("name"))) {
              match = (ObjectNode) existing;
            }
          }
          if (match == null) {
            h.add(item.deepCopy());
          } else {
            merge(match, (ObjectNode) item);
          }
        }
      } else {
        target.set(e.getKey(), want.deepCopy());
      }
    }
  }

  private static boolean named(ArrayNode... lists) {
    for (ArrayNode list : lists) {
      for (JsonNode item : list) {
        if (!item.isObject() || !item.has("name")) {
          return false;
        }
      }
    }
    return true;
  }
}
