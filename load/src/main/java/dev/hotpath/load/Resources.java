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
 * average, a pool 95% in use (when its size is exposed), requests in flight at 95% of the admission
 * limit, any request shed. Each is looked up under the name hotpath publishes ({@link #WATCHED}); a
 * test resolves every one against a real server's {@code /metrics}.
 */
public final class Resources {
  /** One resource in a window; {@code exposed} false when the target has no such metric. */
  public record Reading(String name, String metric, boolean exposed, String value, double score) {
    public boolean saturated() {
      return exposed && score >= 1.0;
    }
  }

  /** The metric behind each resource, as the server's {@code /metrics} names it. */
  static final String PROCESS_CPU = "process_cpu_usage";

  static final String MACHINE_CPU = "system_cpu_usage";
  static final String POOL_WAIT = "hotpath_db_pool_wait_seconds";
  static final String POOL_WAITING = "hotpath_db_pool_waiting";
  static final String POOL_IN_USE = "hotpath_db_pool_in_use";
  static final String POOL_MAX = "hotpath_db_pool_max";
  static final String IN_FLIGHT = "hotpath_admission_in_flight";
  static final String ADMISSION_LIMIT = "hotpath_admission_limit";
  static final String SHED = "hotpath_admission_shed_total";

  /** Every metric the readings use. */
  static final List<String> WATCHED =
      List.of(
          PROCESS_CPU,
          MACHINE_CPU,
          POOL_WAIT + "_count",
          POOL_WAIT + "_sum",
          POOL_WAIT + "_max",
          POOL_WAITING,
          POOL_IN_USE,
          POOL_MAX,
          IN_FLIGHT,
          ADMISSION_LIMIT,
          SHED);

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
    out.add(ratio(window, "CPU (process)", PROCESS_CPU, 0.85));
    out.add(ratio(window, "CPU (machine)", MACHINE_CPU, 0.90));
    out.add(poolWait(window));
    out.add(gauge(window, "DB pool waiters", POOL_WAITING, 1.0));
    out.add(poolInUse(window));
    out.add(admission(window));
    out.add(shed(window));
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
    String count = POOL_WAIT + "_count";
    String sum = POOL_WAIT + "_sum";
    if (has(w, count) && has(w, sum) && w.size() >= 2) {
      double dCount = delta(w, count);
      double meanMs = dCount > 0 ? delta(w, sum) / dCount * 1000 : 0;
      return new Reading(
          name,
          POOL_WAIT,
          true,
          String.format(Locale.ROOT, "%.2f ms per acquisition", meanMs),
          meanMs / 5.0);
    }
    if (has(w, POOL_WAIT + "_max")) {
      double maxMs = mean(w, POOL_WAIT + "_max") * 1000;
      return new Reading(
          name,
          POOL_WAIT + "_max",
          true,
          String.format(Locale.ROOT, "%.2f ms (max)", maxMs),
          maxMs / 50.0);
    }
    return missing(name, POOL_WAIT);
  }

  private static Reading poolInUse(List<MetricsSampler.Sample> w) {
    return share(w, "DB pool in use", POOL_IN_USE, POOL_MAX);
  }

  /** Requests in flight against the admission limit (what the server admits at once). */
  private static Reading admission(List<MetricsSampler.Sample> w) {
    return share(w, "Admission (in flight of limit)", IN_FLIGHT, ADMISSION_LIMIT);
  }

  /** {@code metric} as a share of {@code bound}, saturated at 95%. */
  private static Reading share(
      List<MetricsSampler.Sample> w, String name, String metric, String bound) {
    if (!has(w, metric)) {
      return missing(name, metric);
    }
    double used = mean(w, metric);
    if (has(w, bound) && mean(w, bound) > 0) {
      double of = mean(w, bound);
      return new Reading(
          name,
          metric,
          true,
          String.format(Locale.ROOT, "%.1f of %.0f", used, of),
          used / of / 0.95);
    }
    return new Reading(name, metric, true, String.format(Locale.ROOT, "%.1f", used), 0);
  }

  /** Requests refused by load shedding in the window: any at all is saturation. */
  private static Reading shed(List<MetricsSampler.Sample> w) {
    String name = "Requests shed";
    if (!has(w, SHED)) {
      return missing(name, SHED);
    }
    ToDoubleFunction<MetricsSampler.Sample> v = s -> s.values().getOrDefault(SHED, 0.0);
    List<MetricsSampler.Sample> with =
        w.stream().filter(s -> s.values().containsKey(SHED)).toList();
    double shed = v.applyAsDouble(with.get(with.size() - 1)) - v.applyAsDouble(with.get(0));
    return new Reading(
        name, SHED, true, String.format(Locale.ROOT, "%.0f", shed), shed > 0 ? 1 : 0);
  }

  private static double delta(List<MetricsSampler.Sample> w, String metric) {
    List<MetricsSampler.Sample> with =
        w.stream().filter(s -> s.values().containsKey(metric)).toList();
    return with.get(with.size() - 1).values().get(metric) - with.get(0).values().get(metric);
  }
}
