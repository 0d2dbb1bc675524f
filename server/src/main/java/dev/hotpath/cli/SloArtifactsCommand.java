package dev.hotpath.cli;

import dev.hotpath.http.Contract;
import dev.hotpath.observe.SloArtifacts;
import dev.hotpath.observe.Slos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hotpath slo-artifacts}: writes the Prometheus alert rules and Grafana dashboard. */
@Command(
    name = "slo-artifacts",
    mixinStandardHelpOptions = true,
    description =
        "Generate ops/prometheus/alerts.yaml and ops/grafana/hotpath.json from ops/slo.yaml.")
public final class SloArtifactsCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      defaultValue = "ops",
      description = "Folder to write into (default ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    SloArtifacts artifacts = new SloArtifacts(Slos.load(), Contract.load().document());
    Files.createDirectories(out.resolve("prometheus"));
    Files.createDirectories(out.resolve("grafana"));
    Files.writeString(out.resolve("prometheus/alerts.yaml"), artifacts.alertRules());
    Files.writeString(out.resolve("grafana/hotpath.json"), artifacts.dashboard());
    System.out.println(
        "wrote "
            + out.resolve("prometheus/alerts.yaml")
            + " and "
            + out.resolve("grafana/hotpath.json"));
    return 0;
  }
}
