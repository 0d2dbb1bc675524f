package dev.hotpath.load;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one request class did in one step. Percentiles (nearest rank, milliseconds) are over the
 * answered requests, business refusals included; errors are counted apart. {@code statuses} counts
 * every status seen (0 = no answer).
 */
public record ClassStats(
    long count,
    long ok,
    long business,
    long errors,
    double rate,
    double p50,
    double p95,
    double p99,
    double max,
    Map<Integer, Long> statuses) {

  public ClassStats {
    statuses = Map.copyOf(statuses);
  }

  /** Stats of {@code latenciesMs} (answered requests) plus counts, over {@code seconds}. */
  public static ClassStats of(
      int[] latenciesMs,
      long ok,
      long business,
      long errors,
      double seconds,
      Map<Integer, Long> statuses) {
    int[] sorted = latenciesMs.clone();
    Arrays.sort(sorted);
    long count = ok + business + errors;
    return new ClassStats(
        count,
        ok,
        business,
        errors,
        seconds > 0 ? count / seconds : 0,
        percentile(sorted, 0.50),
        percentile(sorted, 0.95),
        percentile(sorted, 0.99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1],
        new TreeMap<>(statuses));
  }

  /** Stats from percentiles already known (for tests and synthetic results). */
  public static ClassStats synthetic(long count, long errors, double rate, double p95, double p99) {
    return new ClassStats(count, count - errors, 0, errors, rate, p95 / 2, p95, p99, p99, Map.of());
  }

  static double percentile(int[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }

  /** Errors per request, 0 when nothing was sent. */
  public double errorRatio() {
    return count == 0 ? 0 : (double) errors / count;
  }
}
