package dev.hotpath.store.seed;

/** Receives progress from {@link DataGenerator#seed}, once per batch of each phase. */
@FunctionalInterface
public interface Progress {
  /** Ignores every update. */
  Progress NONE = (phase, done, total) -> {};

  /**
   * @param phase "customers", "products" or "orders"
   * @param done rows of this phase written so far
   * @param total rows this phase will write; {@code done == total} marks the phase complete
   */
  void update(String phase, long done, long total);
}
