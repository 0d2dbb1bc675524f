package dev.hotpath.config;

import java.time.Duration;

/**
 * Bounds of the compute flow, the work done off the request path (idempotency, outbox, jobs).
 *
 * @param idempotencyTtl how long a stored idempotent response is replayed (then purged)
 * @param poolSize database connections of the background workers of one process
 * @param outboxBatch events one consumer applies per transaction
 * @param outboxPoll pause of an idle consumer before it looks at the log again
 * @param jobWorkers jobs one process runs at once
 * @param jobPoll pause of an idle job worker
 * @param jobMaxAttempts attempts before a job is dead
 * @param jobBackoffBase first retry delay bound (full jitter: uniform in [0, bound))
 * @param jobBackoffCap largest retry delay bound
 * @param jobTimeout how long one attempt may run before it counts as failed
 * @param importWorkers parser threads of the process, shared by its bulk imports (and an import's
 *     default of chunks parsed ahead)
 * @param importChunkLines lines per parsed chunk of a bulk import (a chunk also ends at 1 MiB)
 * @param importBodyLimit largest bulk import body in bytes
 * @param importChunks chunks of bulk imports in memory at once, every import of the process
 *     together (read from the database, parsed, being written)
 * @param importUploads bulk import uploads received at once by the process (another is answered 503
 *     with Retry-After)
 * @param readyMaxLag largest lag of an outbox consumer at which the process is still ready (0: no
 *     bound)
 */
public record ComputeSettings(
    Duration idempotencyTtl,
    int poolSize,
    int outboxBatch,
    Duration outboxPoll,
    int jobWorkers,
    Duration jobPoll,
    int jobMaxAttempts,
    Duration jobBackoffBase,
    Duration jobBackoffCap,
    Duration jobTimeout,
    int importWorkers,
    int importChunkLines,
    long importBodyLimit,
    int importChunks,
    int importUploads,
    Duration readyMaxLag) {
  public ComputeSettings {
    new Rules()
        .positive("IDEMPOTENCY_TTL_S", idempotencyTtl)
        .atLeast("COMPUTE_POOL_SIZE", poolSize, 2)
        .atLeast("OUTBOX_BATCH", outboxBatch, 1)
        .positive("OUTBOX_POLL_MS", outboxPoll)
        .atLeast("JOB_WORKERS", jobWorkers, 1)
        .positive("JOB_POLL_MS", jobPoll)
        .atLeast("JOB_MAX_ATTEMPTS", jobMaxAttempts, 1)
        .positive("JOB_BACKOFF_BASE_MS", jobBackoffBase)
        .require(
            jobBackoffBase.compareTo(jobBackoffCap) <= 0,
            EnvReader.var("JOB_BACKOFF_BASE_MS")
                + " must not exceed "
                + EnvReader.var("JOB_BACKOFF_CAP_MS"))
        .positive("JOB_TIMEOUT_MS", jobTimeout)
        .atLeast("IMPORT_WORKERS", importWorkers, 1)
        .atLeast("IMPORT_CHUNK_LINES", importChunkLines, 1)
        .atLeast("IMPORT_BODY_LIMIT", importBodyLimit, 1)
        .atLeast("IMPORT_CHUNKS", importChunks, 1)
        .atLeast("IMPORT_UPLOADS", importUploads, 1)
        .notNegative("READY_MAX_LAG_MS", readyMaxLag)
        .enforce();
  }

  /**
   * HOTPATH_IDEMPOTENCY_TTL_S, _COMPUTE_POOL_SIZE, _OUTBOX_*, _JOB_*, _IMPORT_*, _READY_MAX_LAG_MS.
   */
  static ComputeSettings from(EnvReader r) {
    return new ComputeSettings(
        r.seconds("IDEMPOTENCY_TTL_S", 86_400, 1, 30 * 86_400),
        r.integer("COMPUTE_POOL_SIZE", 4, 2, 100),
        r.integer("OUTBOX_BATCH", 5_000, 1, 100_000),
        r.millis("OUTBOX_POLL_MS", 100, 1, 60_000),
        r.integer("JOB_WORKERS", 4, 1, 256),
        r.millis("JOB_POLL_MS", 200, 1, 60_000),
        r.integer("JOB_MAX_ATTEMPTS", 5, 1, 100),
        r.millis("JOB_BACKOFF_BASE_MS", 1_000, 1, 3_600_000),
        r.millis("JOB_BACKOFF_CAP_MS", 300_000, 1, 86_400_000),
        r.millis("JOB_TIMEOUT_MS", 120_000, 10, 86_400_000),
        r.integer("IMPORT_WORKERS", Runtime.getRuntime().availableProcessors(), 1, 64),
        r.integer("IMPORT_CHUNK_LINES", 10_000, 1, 1_000_000),
        r.integer("IMPORT_BODY_LIMIT", 256 * 1024 * 1024, 1024, Integer.MAX_VALUE),
        r.integer("IMPORT_CHUNKS", 4, 1, 1024),
        r.integer("IMPORT_UPLOADS", 4, 1, 1024),
        r.millis("READY_MAX_LAG_MS", 5_000, 0, 3_600_000));
  }
}
