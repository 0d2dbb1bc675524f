package dev.hotpath.edge;

import java.util.concurrent.atomic.AtomicBoolean;

/** Process-wide readiness: migrations applied, and not draining. Shared by all event loops. */
public final class Readiness {
  private final AtomicBoolean migrated = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();

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
