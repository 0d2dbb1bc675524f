package dev.hotpath.observe.analyze;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts per key with a bound on distinct keys: past {@code capacity} keys, new ones are counted
 * under {@value #OTHER}, so hostile input (random scanner paths) cannot grow it without end.
 */
final class TopCounter {
  static final String OTHER = "(other)";

  private final int capacity;
  private final Map<String, Long> counts = new HashMap<>();

  TopCounter(int capacity) {
    this.capacity = capacity;
  }

  void add(String key) {
    add(key, 1);
  }

  void add(String key, long n) {
    if (counts.containsKey(key) || counts.size() < capacity) {
      counts.merge(key, n, Long::sum);
    } else {
      counts.merge(OTHER, n, Long::sum);
    }
  }

  /** The {@code n} largest counts, largest first (ties by key). */
  List<Map.Entry<String, Long>> top(int n) {
    return counts.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()))
        .limit(n)
        .toList();
  }
}
