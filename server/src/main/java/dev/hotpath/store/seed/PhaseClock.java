package dev.hotpath.store.seed;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Milliseconds per phase of a seed, each phase measured from the end of the one before. */
final class PhaseClock {
  private final Map<String, Long> phases = new LinkedHashMap<>();
  private long since = System.nanoTime();

  void lap(String phase) {
    long now = System.nanoTime();
    phases.merge(phase, (now - since) / 1_000_000, Long::sum);
    since = now;
  }

  Map<String, Long> phases() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(phases));
  }
}
