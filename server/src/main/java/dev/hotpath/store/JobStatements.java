package dev.hotpath.store;

/**
 * How a job is enqueued, for every place that enqueues one in its own statement (the queue, and the
 * payment jobs that join the write that needs them): the columns, then a {@code VALUES} list or a
 * {@code SELECT} of eight, then {@link #UNLESS_PENDING}.
 */
public final class JobStatements {
  private JobStatements() {}

  /**
   * The columns of an enqueue: {@code created_by} is the token's subject, or NULL for the server.
   */
  public static final String INSERT =
      "INSERT INTO jobs (kind, payload, priority, run_at, max_attempts, timeout_ms, dedupe_key,"
          + " created_by)";

  /** A job whose dedupe key is queued or running already is not enqueued twice. */
  public static final String UNLESS_PENDING =
      " ON CONFLICT (dedupe_key) WHERE status IN ('queued', 'running') DO NOTHING";
}
