package dev.hotpath.http;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Process-wide readiness: migrations applied, not draining, and every {@link Check} required of the
 * process holds. Shared by all event loops.
 */
public final class Readiness {
  private final AtomicBoolean migrated = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final List<Check> checks = new CopyOnWriteArrayList<>();

  /** A further condition of readiness, named in {@code /health/ready}'s {@code checks}. */
  public interface Check {
    String name();

    /** Whether it holds now; cheap and non-blocking (called on an event loop). */
    boolean ok();

    /** What {@code /health/ready} shows for it. */
    String state();
  }

  public void require(Check check) {
    checks.add(check);
  }

  public List<Check> checks() {
    return checks;
  }

  public void markMigrated() {
    migrated.set(true);
  }

  public void markDraining() {
    draining.set(true);
  }

  public boolean migrated() {
    return migrated.get();
  }

  public boolean draining() {
    return draining.get();
  }
}
