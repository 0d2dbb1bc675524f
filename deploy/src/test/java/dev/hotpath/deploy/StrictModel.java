package dev.hotpath.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads a manifest into fabric8's Kubernetes model and refuses what Kubernetes would refuse or
 * silently drop: a kind or apiVersion not listed here, a field the model does not know (fabric8
 * keeps those in {@code additionalProperties}; any non-empty one fails), a value of the wrong type
 * (no coercion of scalars: {@code replicas: "2"} fails as {@code replicas: two} does).
 */
final class StrictModel {
  private static final Map<String, Class<? extends HasMetadata>> KINDS =
      Map.of(
          "v1/ConfigMap", ConfigMap.class,
          "v1/Secret", Secret.class,
          "v1/Service", Service.class,
          "v1/Namespace", Namespace.class,
          "apps/v1/Deployment", Deployment.class,
          "batch/v1/Job", Job.class,
          "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
          "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
          "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class);

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();

  private StrictModel() {}

  static HasMetadata parse(JsonNode manifest) {
    String key = manifest.path("apiVersion").asText() + "/" + manifest.path("kind").asText();
    Class<? extends HasMetadata> type = KINDS.get(key);
    if (type == null) {
      throw new IllegalArgumentException(
          "no model for " + key + " (" + Kustomize.id(manifest) + ")");
    }
    HasMetadata parsed;
    try {
      parsed = STRICT.treeToValue(manifest, type);
    } catch (Exception e) {
      throw new IllegalArgumentException(Kustomize.id(manifest) + ": " + e.getMessage(), e);
    }
    List<String> unknown = new ArrayList<>();
    collectUnknown(parsed, Kustomize.id(manifest), unknown);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("fields Kubernetes does not know: " + unknown);
    }
    return parsed;
  }

  private static void collectUnknown(Object value, String path, List<String> unknown) {
    if (value == null) {
      return;
    }
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        collectUnknown(item, path + "[" + i++ + "]", unknown);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> collectUnknown(v, path + "." + k, unknown));
      return;
    }
    if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method m : value.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || Modifier.isStatic(m.getModifiers())
          || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object child;
      try {
        child = m.invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      String name = path + "." + m.getName().substring(3);
      if (m.getName().equals("getAdditionalProperties")) {
        if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(k -> unknown.add(path + "." + k));
        }
      } else {
        collectUnknown(child, name, unknown);
      }
    }
  }
}
