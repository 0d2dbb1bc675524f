package dev.hotpath.load;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Everything a run needs, validated, frozen. */
public record LoadPlan(
    URI target,
    Profile profile,
    List<Step> steps,
    Mix mix,
    IdSpace ids,
    List<String> categories,
    SloSet slos,
    String sloSource,
    double errorBudget,
    Path resultsDir,
    Duration requestTimeout,
    Duration metricsEvery) {

  public LoadPlan {
    steps = List.copyOf(steps);
    categories = List.copyOf(categories);
    if (steps.isEmpty()) {
      throw new IllegalArgumentException("a run needs at least one step");
    }
    if (categories.isEmpty()) {
      throw new IllegalArgumentException("no product categories: is the target's catalogue empty?");
    }
    if (!"http".equals(target.getScheme()) && !"https".equals(target.getScheme())) {
      throw new IllegalArgumentException("--target must be an http(s) URL, was " + target);
    }
  }

  /** Length of the whole run if no SLO stops it early. */
  public Duration duration() {
    Step last = steps.get(steps.size() - 1);
    return last.end();
  }
}
