package dev.hotpath.config;

import java.time.Duration;

/**
 * How long data that only grows is kept, and how far ahead the monthly partitions are made (see
 * docs/data-at-scale.md). The maintenance job applies it.
 *
 * @param partitionsAhead months after the current one whose partitions of orders, order lines and
 *     the outbox exist ahead of their first row
 * @param outboxMonths full months of outbox partitions kept before the current one; an older
 *     partition is dropped once every consumer (and the relay, when it runs) has passed its last
 *     event. 0: the outbox is never dropped (a rebuild of the read models replays the whole log)
 * @param outboxEvents how long an outbox event is kept: an older one is deleted, row by row in
 *     bounded batches, once every consumer (and the relay, when it runs) has passed it. Zero: no
 *     event is deleted row by row
 * @param finishedJobs how long a succeeded job is kept after it finished, with its report rows and
 *     import lines (deleted with it)
 * @param maintenanceInterval the pause between two runs of the maintenance job
 */
public record RetentionSettings(
    int partitionsAhead,
    int outboxMonths,
    Duration outboxEvents,
    Duration finishedJobs,
    Duration maintenanceInterval) {

  public RetentionSettings {
    if (partitionsAhead < 1 || partitionsAhead > 24) {
      throw new IllegalArgumentException(
          "partitions ahead must be between 1 and 24 months, was " + partitionsAhead);
    }
    if (outboxMonths < 0 || outboxMonths > 120) {
      throw new IllegalArgumentException(
          "outbox retention must be between 0 and 120 months, was " + outboxMonths);
    }
    if (outboxEvents.isNegative()) {
      throw new IllegalArgumentException(
          "outbox events must be kept zero (off) or a positive time, was " + outboxEvents);
    }
    if (finishedJobs.isNegative() || finishedJobs.isZero()) {
      throw new IllegalArgumentException(
          "finished jobs must be kept a positive time, was " + finishedJobs);
    }
    if (maintenanceInterval.isNegative() || maintenanceInterval.isZero()) {
      throw new IllegalArgumentException(
          "the maintenance interval must be positive, was " + maintenanceInterval);
    }
  }

  /** Whether old outbox partitions are dropped. */
  public boolean dropsOutbox() {
    return outboxMonths > 0;
  }

  /** Whether old outbox events are deleted row by row. */
  public boolean purgesOutboxEvents() {
    return !outboxEvents.isZero();
  }

  /**
   * The settings as the environment gives them: HOTPATH_PARTITIONS_AHEAD (months, default 3),
   * HOTPATH_OUTBOX_RETAIN_MONTHS (default 0: keep the whole log), HOTPATH_OUTBOX_RETAIN_S (default
   * 0: no row purge), HOTPATH_JOBS_RETAIN_S (default 7 days), HOTPATH_MAINTENANCE_INTERVAL_S
   * (default 300).
   */
  static RetentionSettings from(EnvReader r) {
    return new RetentionSettings(
        r.integer("PARTITIONS_AHEAD", 3, 1, 24),
        r.integer("OUTBOX_RETAIN_MONTHS", 0, 0, 120),
        r.seconds("OUTBOX_RETAIN_S", 0, 0, 3_650 * 86_400),
        r.seconds("JOBS_RETAIN_S", 7 * 86_400, 1, 3_650 * 86_400),
        r.seconds("MAINTENANCE_INTERVAL_S", 300, 1, 86_400));
  }
}
