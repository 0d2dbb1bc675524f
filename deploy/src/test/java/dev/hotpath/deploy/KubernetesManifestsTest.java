package dev.hotpath.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.config.Settings;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/k8s rendered per overlay (as kustomize does) and read strictly into the Kubernetes model,
 * then checked against what the server needs: its settings, its probes, its drain, its memory.
 */
class KubernetesManifestsTest {
  static final Path REPO = Path.of(System.getProperty("hotpath.repository", "..")).normalize();
  static final Path K8S = REPO.resolve("deploy/k8s");
  static final String IMAGE = "hotpath:" + System.getProperty("hotpath.version", "0.1.0-SNAPSHOT");

  /** The largest peak RSS measured without the cache warm (README, "Against the baselines"). */
  static final long MEASURED_PEAK_RSS_MIB = 488;

  /** The heap's share of the memory limit, -XX:MaxRAMPercentage of the image's entrypoint. */
  static final int MAX_RAM_PERCENT = 50;

  static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(DATABASE_URL|SECRET|PASSWORD|TOKEN|KEY)$");

  record Rendered(List<HasMetadata> objects) {
    <T extends HasMetadata> List<T> all(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
      return all(type).stream()
          .filter(o -> o.getMetadata().getName().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
    }
  }

  static Rendered render(String dir) {
    return new Rendered(
        Kustomize.render(K8S.resolve(dir)).stream().map(StrictModel::parse).toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/demo", "overlays/cluster"})
  void everyManifestIsAValidKubernetesObject(String dir) throws IOException {
    try (Stream<Path> files = Files.walk(K8S.resolve(dir), 1)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        for (ObjectNode doc : Kustomize.readAll(f)) {
          // patches too: each holds a part of an object, and each part must be valid
          if (!doc.path("kind").asText().equals("Kustomization")) {
            assertThat(StrictModel.parse(doc)).as(f.toString()).isNotNull();
          }
        }
      }
    }
    assertThat(render(dir).objects()).isNotEmpty();
  }

  @Test
  void anUnknownFieldOrAWrongTypeFailsTheValidation() {
    ObjectNode deployment =
        Kustomize.render(K8S.resolve("base")).stream()
            .filter(o -> o.path("kind").asText().equals("Deployment"))
            .findFirst()
            .orElseThrow();
    ObjectNode typo = deployment.deepCopy();
    ((ObjectNode) typo.get("spec")).put("replica", 2);
    assertThatThrownBy(() -> StrictModel.parse(typo)).hasMessageContaining("replica");
    ObjectNode nested = deployment.deepCopy();
    ((ObjectNode) nested.at("/spec/template/spec/containers/0")).put("livenesProbe", "x");
    assertThatThrownBy(() -> StrictModel.parse(nested)).hasMessageContaining("livenesProbe");
    ObjectNode wrongType = deployment.deepCopy();
    ((ObjectNode) wrongType.get("spec")).put("replicas", "two");
    assertThatThrownBy(() -> StrictModel.parse(wrongType)).hasMessageContaining("replicas");
    ObjectNode quoted = deployment.deepCopy();
    ((ObjectNode) quoted.get("spec")).put("replicas", "2");
    assertThatThrownBy(() -> StrictModel.parse(quoted)).hasMessageContaining("replicas");
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/demo", "overlays/cluster"})
  void theServerAcceptsEverySettingAndNoSecretIsInTheConfigMap(String overlay) throws IOException {
    Rendered r = render(overlay);
    Map<String, String> config = r.one(ConfigMap.class, "hotpath-settings").getData();
    String readme = Files.readString(REPO.resolve("README.md"));
    for (String key : config.keySet()) {
      assertThat(key).startsWith(Settings.PREFIX).doesNotMatch(SECRET_NAME);
      assertThat(readme).as("README documents " + key).contains("`" + key + "`");
    }
    Map<String, String> env = new HashMap<>(config);
    env.putAll(secrets(r, overlay));
    Settings settings = Settings.fromEnvironment(env);
    assertThat(settings.database().url())
        .as("an instance uses the cluster's PostgreSQL")
        .isPresent();
    assertThat(settings.server().port()).isEqualTo(8080);
  }

  /**
   * The demo ships its Secret; the cluster's is made by the operator (README, "Deploy") with the
   * keys the demo's has, so its values here are stand-ins of the right shape.
   */
  private static Map<String, String> secrets(Rendered r, String overlay) {
    Secret demo = render("overlays/demo").one(Secret.class, "hotpath-secrets");
    Map<String, String> values = new TreeMap<>(demo.getStringData());
    Optional.ofNullable(demo.getData())
        .orElse(Map.of())
        .forEach(
            (k, v) ->
                values.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    if (overlay.endsWith("cluster")) {
      assertThat(r.all(Secret.class)).as("no secret of the cluster in the repository").isEmpty();
      values.replaceAll(
          (k, v) ->
              k.equals("HOTPATH_DATABASE_URL")
                  ? "postgresql://hotpath:stand-in@db.example:5432/hotpath"
                  : "stand-in-of-the-operators-secret");
    }
    values.keySet().removeIf(k -> !k.startsWith(Settings.PREFIX));
    return values;
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/demo", "overlays/cluster"})
  void theDeploymentProbesDrainsAndIsSizedAsTheServerNeeds(String overlay) {
    Rendered r = render(overlay);
    Deployment d = r.one(Deployment.class, "hotpath");
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().getFirst();
    assertThat(c.getImage()).isEqualTo(IMAGE);
    assertThat(c.getArgs()).containsExactly("serve");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
    Map<String, String> config = r.one(ConfigMap.class, "hotpath-settings").getData();
    Settings settings = Settings.fromEnvironment(withSecrets(config, r, overlay));
    // the API on the server's port; probes and scrapes on the operations listener's when it is
    // set (issue #18: answered while clients hold every API connection), else on the API's
    Map<String, Integer> ports =
        c.getPorts().stream()
            .collect(Collectors.toMap(p -> p.getName(), p -> p.getContainerPort()));
    assertThat(ports).containsEntry("http", settings.server().port());
    String probed = settings.ops().enabled() ? "ops" : "http";
    if (settings.ops().enabled()) {
      assertThat(ports).containsEntry("ops", settings.ops().port()).hasSize(2);
    } else {
      assertThat(ports).hasSize(1);
    }
    for (var probe : List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
      assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo(probed);
    }
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", Integer.toString(ports.get(probed)));

    // the drain: preStop pause, then the server's delay and grace, then a margin to exit
    long preStop = c.getLifecycle().getPreStop().getSleep().getSeconds();
    long drain =
        preStop
            + settings.server().shutdownDelay().toSeconds()
            + settings.server().shutdownGrace().toSeconds();
    assertThat(preStop).isPositive();
    assertThat(pod.getTerminationGracePeriodSeconds()).isBetween(drain + 5, drain + 30);

    // memory: the request covers the measured peak, the heap (a share of the limit) holds the cache
    long request = mib(c.getResources().getRequests().get("memory"));
    long limit = mib(c.getResources().getLimits().get("memory"));
    assertThat(request).isGreaterThanOrEqualTo(MEASURED_PEAK_RSS_MIB);
    assertThat(limit).isGreaterThanOrEqualTo(request);
    long heap = limit * MAX_RAM_PERCENT / 100;
    assertThat(settings.cache().maxBytes() / (1024 * 1024)).isLessThanOrEqualTo(heap / 4);
    assertThat(c.getResources().getRequests()).containsKey("cpu");

    // non-root, read-only root: every folder the server writes is a volume
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    List<String> mounts = c.getVolumeMounts().stream().map(m -> m.getMountPath()).toList();
    assertThat(mounts).contains("/tmp", settings.database().dataDir().toString());

    assertThat(c.getEnvFrom())
        .extracting(e -> e.getConfigMapRef() != null ? "config" : e.getSecretRef().getName())
        .containsExactly("config", "hotpath-secrets");
  }

  private static Map<String, String> withSecrets(
      Map<String, String> config, Rendered r, String overlay) {
    Map<String, String> env = new HashMap<>(config);
    env.putAll(secrets(r, overlay));
    return env;
  }

  private static long mib(Quantity q) {
    return Quantity.getAmountInBytes(q).longValue() / (1024 * 1024);
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/demo", "overlays/cluster"})
  void serviceBudgetScalerPolicyAndMigrationJobSelectTheServer(String overlay) {
    Rendered r = render(overlay);
    Deployment d = r.one(Deployment.class, "hotpath");
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();

    Service s = r.one(Service.class, "hotpath");
    assertThat(podLabels).containsAllEntriesOf(s.getSpec().getSelector());
    // the API only: the operations listener is for probes, scrapers and operators, not clients
    assertThat(s.getSpec().getPorts())
        .extracting(p -> p.getTargetPort().getStrVal())
        .containsExactly("http");

    PodDisruptionBudget pdb = r.one(PodDisruptionBudget.class, "hotpath");
    assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isLessThan(d.getSpec().getReplicas());

    HorizontalPodAutoscaler hpa = r.one(HorizontalPodAutoscaler.class, "hotpath");
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("hotpath");
    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(d.getSpec().getReplicas());
    assertThat(hpa.getSpec().getMaxReplicas()).isGreaterThan(hpa.getSpec().getMinReplicas());

    NetworkPolicy np = r.one(NetworkPolicy.class, "hotpath");
    assertThat(podLabels).containsAllEntriesOf(np.getSpec().getPodSelector().getMatchLabels());
    assertThat(np.getSpec().getIngress())
        .flatExtracting(i -> i.getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .containsExactly(8080, 8081);
    assertThat(np.getSpec().getEgress())
        .flatExtracting(e -> e.getPorts())
        .extracting(p -> p.getPort().getIntVal())
        .contains(53, 5432);

    Job job = r.one(Job.class, "hotpath-migrate");
    Container migrate = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(migrate.getImage()).isEqualTo(IMAGE);
    assertThat(migrate.getArgs()).containsExactly("migrate");
    assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("OnFailure");

    String namespace = overlay.endsWith("demo") ? "hotpath-demo" : "hotpath";
    assertThat(r.objects())
        .filteredOn(o -> !o.getKind().equals("Namespace"))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo(namespace));
  }

  /** The renderer above against kustomize itself, where kubectl is installed (it is in CI). */
  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/demo", "overlays/cluster"})
  void theRenderingIsKustomizes(String dir) throws Exception {
    Optional<Path> kubectl =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .map(p -> Path.of(p, "kubectl"))
            .filter(Files::isExecutable)
            .findFirst();
    if (kubectl.isEmpty()) {
      System.err.println("kubectl not installed: the rendering is not compared with kustomize's");
      return;
    }
    Process p =
        new ProcessBuilder(kubectl.get().toString(), "kustomize", K8S.resolve(dir).toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(byId(Kustomize.readAll(out))).isEqualTo(byId(Kustomize.render(K8S.resolve(dir))));
  }

  private static Map<String, JsonNode> byId(List<ObjectNode> objects) {
    return objects.stream()
        .collect(Collectors.toMap(Kustomize::id, o -> o, (a, b) -> a, TreeMap::new));
  }
}
