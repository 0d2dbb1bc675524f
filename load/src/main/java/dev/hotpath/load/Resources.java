package dev.hotpath.load;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Reads the target's resources out of the metrics samples of a time window and says which one was
 * saturated. Every resource is scored so that 1.0 is its saturation point: CPU at 85% (process) or
 * 90% (machine), a mean pool wait of 5 ms per acquisition, one request waiting for a connection on
 * average, a pool 95% in use (when its size is exposed), a job queue that grew past 100.
 */
public final class Resources {
  /** One resource in a window; {@code exposed} false when the target has no such metric. */
  public record Reading(String name, String metric, boolean exposed, String value, double score) {
    public boolean saturated() {
      return exposed && score >= 1.0;
    }
  }

  private Resources() {}

  /** Samples taken between {@code fromMillis} and {@code toMillis}, widened to at least two. */
  public static List<MetricsSampler.Sample> window(
      List<MetricsSampler.Sample> all, long fromMillis, long toMillis) {
    List<MetricsSampler.Sample> in =
        all.stream().filter(s -> s.atMillis() >= fromMillis && s.atMillis() <= toMillis).toList();
    if (in.size() >= 2 || all.size() < 2) {
      return in.isEmpty() ? nearest(all, toMillis) : in;
    }
    List<MetricsSampler.Sample> sorted =
        all.stream()
            .sorted(
                Comparator.comparingLong(s -> Math.abs(s.atMillis() - (fromMillis + toMillis) / 2)))
            .limit(2)
            .sorted(Comparator.comparingLong(MetricsSampler.Sample::atMillis))
            .toList();
    return sorted;
  }

  private static List<MetricsSampler.Sample> nearest(List<MetricsSampler.Sample> all, long at) {
    return all.stream()
        .min(Comparator.comparingLong(s -> Math.abs(s.atMillis() - at)))
        .map(List::of)
        .orElse(List.of());
  }

  /** The target's resources in {@code window} (samples in time order). */
  public static List<Reading> read(List<MetricsSampler.Sample> window) {
    List<Reading> out = new ArrayList<>();
    out.add(ratio(window, "CPU (process)", "process_cpu_usage", 0.85));
    out.add(ratio(window, "CPU (machine)", "system_cpu_usage", 0.90));
    out.add(poolWait(window));
    out.add(gauge(window, "DB pool waiters", "hotpath_db_pool_waiting", 1.0));
    out.add(poolInUse(window));
    out.add(queue(window, "Job queue depth", "hotpath_jobs_depth"));
    return out;
  }

  /** The most saturated of {@code readings}, if any is at or past its saturation point. */
  public static Optional<Reading> saturated(List<Reading> readings) {
    return readings.stream()
        .filter(Reading::saturated)
        .max(Comparator.comparingDouble(Reading::score));
  }

  /** The load generator's own CPU in {@code window}: above 85% the results are suspect. */
  public static double loadGeneratorCpu(List<MetricsSampler.Sample> window) {
    return window.stream().mapToDouble(MetricsSampler.Sample::loadGeneratorCpu).max().orElse(0);
  }

  private static boolean has(List<MetricsSampler.Sample> w, String metric) {
    return w.stream().anyMatch(s -> s.values().containsKey(metric));
  }

  private static double mean(List<MetricsSampler.Sample> w, String metric) {
    return w.stream()
        .filter(s -> s.values().containsKey(metric))
        .mapToDouble(s -> s.values().get(metric))
        .average()
        .orElse(0);
  }

  private static Reading missing(String name, String metric) {
    return new Reading(name, metric, false, "not exposed", 0);
  }

  private static Reading ratio(
      List<MetricsSampler.Sample> w, String name, String metric, double saturation) {
    if (!has(w, metric)) {
      return missing(name, metric);
    }
    double m = mean(w, metric);
    return new Reading(
        name, metric, true, String.format(Locale.ROOT, "%.0f%%", m * 100), m / saturation);
  }

  private static Reading gauge(
      List<MetricsSampler.Sample> w, String name, String metric, double saturation) {
    if (!has(w, metric)) {
      return missing(name, metric);
    }
    double m = mean(w, metric);
    return new Reading(name, metric, true, String.format(Locale.ROOT, "%.1f", m), m / saturation);
  }

  private static Reading poolWait(List<MetricsSampler.Sample> w) {
    String name = "DB pool wait";
    String count = "db_pool_wait_seconds_count";
    String sum = "db_pool_wait_seconds_sum";
    if (has(w, count) && has(w, sum) && w.size() >= 2) {
      double dCount = delta(w, count);
      double meanMs = dCount > 0 ? delta(w, sum) / dCount * 1000 : 0;
      return new Reading(
          name,
          "db_pool_wait_seconds",
          true,
          String.format(Locale.ROOT, "%.2f ms per acquisition", meanMs),
          meanMs / 5.0);
    }
    if (has(w, "db_pool_wait_seconds_max")) {
      double maxMs = mean(w, "db_pool_wait_seconds_max") * 1000;
      return new Reading(
          name,
          "db_pool_wait_seconds_max",
          true,
          String.format(Locale.ROOT, "%.2f ms (max)", maxMs),
          maxMs / 50.0);
    }
    return missing(name, "db_pool_wait_seconds");
  }

  private static Reading poolInUse(List<MetricsSampler.Sample> w) {
    String metric = "hotpath_db_pool_in_use";
    if (!has(w, metric)) {
      return missing("DB pool in use", metric);
    }
    double inUse = mean(w, metric);
    for (String size : new String[] {"hotpath_db_pool_max", "hotpath_db_pool_size"}) {
      if (has(w, size) && mean(w, size) > 0) {
        double ratio = inUse / mean(w, size);
        return new Reading(
            "DB pool in use",
            metric,
            true,
            String.format(Locale.ROOT, "%.1f of %.0f", inUse, mean(w, size)),
            ratio / 0.95);
      }
    }
    return new Reading(
        "DB pool in use", metric, true, String.format(Locale.ROOT, "%.1f", inUse), 0);
  }

  private static Reading queue(List<MetricsSampler.Sample> w, String name, String metric) {
    if (!has(w, metric)) {
      return missing(name, metric);
    }
    ToDoubleFunction<MetricsSampler.Sample> v = s -> s.values().getOrDefault(metric, 0.0);
    List<MetricsSampler.Sample> with =
        w.stream().filter(s -> s.values().containsKey(metric)).toList();
    double first = v.applyAsDouble(with.get(0));
    double last = v.applyAsDouble(with.get(with.size() - 1));
    double score = last > first && last >= 100 ? last / 100 : 0;
    return new Reading(
        name, metric, true, String.format(Locale.ROOT, "%.0f -> %.0f", first, last), score);
  }

  private static double delta(List<MetricsSampler.Sample> w, String metric) {
    List<MetricsSampler.Sample> with =
        w.stream().filter(s -> s.values().containsKey(metric)).toList();
    return with.get(with.size() - 1).values().get(metric) - with.get(0).values().get(metric);
  }
}
