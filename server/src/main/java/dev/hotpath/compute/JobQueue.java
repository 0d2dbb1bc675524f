package dev.hotpath.compute;

import dev.hotpath.config.ComputeSettings;
import dev.hotpath.store.JobStatements;
import dev.hotpath.store.Statements;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The job queue's operations over the {@code jobs} table: enqueue, claim ({@code FOR UPDATE SKIP
 * LOCKED}, so concurrent workers on any number of instances never take the same job), complete,
 * fail with backoff and full jitter, dead-letter after the last attempt, reap attempts whose worker
 * vanished, retry from the dead-letter list, and the numbers an operator watches. Every state
 * change of a claimed job is fenced by (worker, attempt): a worker that lost its job (timeout,
 * reaped) cannot complete or fail the attempt that replaced it. Thread-safe; one per process.
 */
public final class JobQueue {
  /** What to enqueue. {@code priority}: higher runs first. */
  public record Spec(
      String kind,
      String payload,
      int priority,
      Duration delay,
      int maxAttempts,
      Duration timeout,
      Optional<String> dedupeKey) {
    public Spec withDedupeKey(String key) {
      return new Spec(kind, payload, priority, delay, maxAttempts, timeout, Optional.of(key));
    }

    public Spec withDelay(Duration newDelay) {
      return new Spec(kind, payload, priority, newDelay, maxAttempts, timeout, dedupeKey);
    }

    public Spec withPriority(int newPriority) {
      return new Spec(kind, payload, newPriority, delay, maxAttempts, timeout, dedupeKey);
    }

    public Spec withAttempts(int attempts) {
      return new Spec(kind, payload, priority, delay, attempts, timeout, dedupeKey);
    }

    public Spec withTimeout(Duration newTimeout) {
      return new Spec(kind, payload, priority, delay, maxAttempts, newTimeout, dedupeKey);
    }
  }

  /** A job claimed for one attempt. */
  public record Claimed(
      long id, String kind, String payload, int attempt, int maxAttempts, int timeoutMs) {}

  /** Queue depth and health, from the table, plus this process's counters. */
  public record Stats(
      long ready,
      long scheduled,
      long running,
      long dead,
      long oldestReadyAgeMs,
      long claimed,
      long succeeded,
      long failedAttempts,
      long deadLettered) {}

  private static final String STATUS = "SELECT status FROM jobs WHERE id = $1";
  private static final String ENQUEUE =
      JobStatements.INSERT
          + " VALUES ($1, $2::text::jsonb, $3, now() + make_interval(secs => $4), $5, $6, $7, $8)"
          + JobStatements.UNLESS_PENDING
          + " RETURNING id";

  private static final String CLAIM =
      "WITH next AS (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now()"
          + " AND kind = ANY($3) ORDER BY priority DESC, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
          + " UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, locked_by = $1,"
          + " locked_until = now() + make_interval(secs => j.timeout_ms / 1000.0), updated_at = now()"
          + " FROM next WHERE j.id = next.id"
          + " RETURNING j.id, j.kind, j.payload::text, j.attempts, j.max_attempts, j.timeout_ms";

  private static final String FENCE =
      " WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'";

  private static final String COMPLETE =
      "UPDATE jobs SET status = 'succeeded', progress = 100, result = $4::text::jsonb,"
          + " finished_at = now(), locked_by = NULL, locked_until = NULL, last_error = NULL,"
          + " updated_at = now()"
          + FENCE
          + " RETURNING dedupe_key";

  private static final String FAIL =
      "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
          + " run_at = now() + make_interval(secs => $4 / 1000.0), last_error = $5,"
          + " locked_by = NULL, locked_until = NULL, updated_at = now(),"
          + " finished_at = CASE WHEN attempts >= max_attempts THEN now() END"
          + FENCE
          + " RETURNING status";

  private static final String PROGRESS =
      "UPDATE jobs SET progress = $4, updated_at = now()" + FENCE;

  /** Attempts whose worker died or hung past the timeout go back to the queue (or die). */
  private static final String REAP =
      "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,"
          + " run_at = now(), last_error = 'attempt ' || attempts || ' timed out after '"
          + " || timeout_ms || ' ms (worker ' || locked_by || ' lost it)',"
          + " locked_by = NULL, locked_until = NULL, updated_at = now(),"
          + " finished_at = CASE WHEN attempts >= max_attempts THEN now() END"
          + " WHERE status = 'running' AND locked_until < now() RETURNING id, status, kind";

  private static final String STATS =
      "SELECT count(*) FILTER (WHERE status = 'queued' AND run_at <= now()),"
          + " count(*) FILTER (WHERE status = 'queued' AND run_at > now()),"
          + " count(*) FILTER (WHERE status = 'running'),"
          + " count(*) FILTER (WHERE status = 'dead'),"
          + " coalesce((extract(epoch FROM now() - min(run_at)"
          + " FILTER (WHERE status = 'queued' AND run_at <= now())) * 1000)::bigint, 0)"
          + " FROM jobs WHERE status IN ('queued', 'running', 'dead')";

  public static final String JOB_COLUMNS =
      "id, kind, status, priority, attempts, max_attempts, progress, last_error, result::text,"
          + " run_at, created_at, updated_at, finished_at";

  private static final String DEAD =
      "SELECT "
          + JOB_COLUMNS
          + " FROM jobs WHERE status = 'dead' ORDER BY updated_at DESC, id DESC LIMIT $1";

  private static final String RETRY =
      "UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), last_error = NULL,"
          + " finished_at = NULL, progress = 0, updated_at = now(),"
          // a dead recurring run whose successor is already pending runs once more without its key
          + " dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM jobs p WHERE p.dedupe_key ="
          + " jobs.dedupe_key AND p.status IN ('queued', 'running')) THEN NULL ELSE dedupe_key END"
          + " WHERE id = $1 AND status = 'dead'"
          + " RETURNING "
          + JOB_COLUMNS;

  private final ComputeSettings settings;
  private final Backoff backoff;
  private final Map<String, Duration> recurring = new ConcurrentHashMap<>();
  private final AtomicLong claimed = new AtomicLong();
  private final AtomicLong succeeded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();

  public JobQueue(ComputeSettings settings) {
    this.settings = settings;
    this.backoff = new Backoff(settings.jobBackoffBase(), settings.jobBackoffCap());
  }

  public Backoff backoff() {
    return backoff;
  }

  /** A job of {@code kind} with the default priority (0), attempts and timeout, ready now. */
  public Spec spec(String kind, String payload) {
    return new Spec(
        kind,
        payload,
        0,
        Duration.ZERO,
        settings.jobMaxAttempts(),
        settings.jobTimeout(),
        Optional.empty());
  }

  /**
   * Enqueues a job; with a dedupe key that a queued or running job already holds, enqueues nothing
   * and returns empty. Runs on {@code client}, so it can join the caller's transaction.
   */
  public Future<Optional<Long>> enqueue(SqlClient client, Spec spec) {
    return enqueue(client, spec, Optional.empty());
  }

  /**
   * Like {@link #enqueue(SqlClient, Spec)}, for a job a client asked for: {@code createdBy} (the
   * token's subject) may read it later, as may an admin.
   */
  public Future<Optional<Long>> enqueue(SqlClient client, Spec spec, Optional<String> createdBy) {
    return client
        .preparedQuery(ENQUEUE)
        .execute(
            Tuple.of(
                    spec.kind(),
                    spec.payload(),
                    (short) spec.priority(),
                    spec.delay().toMillis() / 1000.0,
                    spec.maxAttempts(),
                    (int) spec.timeout().toMillis(),
                    spec.dedupeKey().orElse(null))
                .addString(createdBy.orElse(null)))
        .map(
            rows ->
                rows.size() == 0
                    ? Optional.empty()
                    : Optional.of(rows.iterator().next().getLong(0)));
  }

  /**
   * Makes {@code kind} recurring: each run that ends, whether it succeeded or died after its last
   * attempt, enqueues the next one {@code every} later (deduped by kind, so one run is pending at a
   * time across all instances). A dead run stays in the dead-letter list for an operator; the
   * schedule does not die with it.
   */
  public void recurring(String kind, Duration every) {
    recurring.put(kind, every);
  }

  public boolean isRecurring(String kind) {
    return recurring.containsKey(kind);
  }

  public Spec recurringSpec(String kind) {
    return spec(kind, "{}").withDedupeKey("recurring:" + kind);
  }

  /** Claims up to {@code limit} ready jobs of the given kinds for {@code worker}. */
  public Future<List<Claimed>> claim(
      SqlClient client, String worker, int limit, List<String> kinds) {
    return client
        .preparedQuery(CLAIM)
        .execute(Tuple.of(worker, limit).addArrayOfString(kinds.toArray(new String[0])))
        .map(
            rows -> {
              List<Claimed> jobs = new ArrayList<>(rows.size());
              for (Row r : rows) {
                jobs.add(
                    new Claimed(
                        r.getLong(0),
                        r.getString(1),
                        r.getString(2),
                        r.getInteger(3),
                        r.getInteger(4),
                        r.getInteger(5)));
              }
              claimed.addAndGet(jobs.size());
              return jobs;
            });
  }

  /** Marks the attempt done with {@code result}; false when the worker no longer owned it. */
  public Future<Boolean> complete(SqlClient client, Claimed job, String worker, String result) {
    return client
        .preparedQuery(COMPLETE)
        .execute(Tuple.of(job.id(), worker, job.attempt(), result))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture(false);
              }
              succeeded.incrementAndGet();
              return next(client, job.kind()).map(true);
            });
  }

  /**
   * Marks the attempt done with {@code result} in the caller's transaction on {@code client}; true
   * when the worker still owned it. Once that transaction has committed, the worker reports it with
   * {@link #completedIn} instead of calling {@link #complete}.
   */
  Future<Boolean> completeIn(SqlClient client, Claimed job, String worker, String result) {
    return client
        .preparedQuery(COMPLETE)
        .execute(Tuple.of(job.id(), worker, job.attempt(), result))
        .map(rows -> rows.size() > 0);
  }

  /** Counts an attempt completed by {@link #completeIn} and enqueues the next run if recurring. */
  Future<Boolean> completedIn(SqlClient client, Claimed job) {
    succeeded.incrementAndGet();
    return next(client, job.kind()).map(true);
  }

  /** The next run of {@code kind} when it is recurring; nothing otherwise. */
  private Future<?> next(SqlClient client, String kind) {
    Duration every = recurring.get(kind);
    return every == null
        ? Future.succeededFuture()
        : enqueue(client, recurringSpec(kind).withDelay(every));
  }

  /**
   * Records a failed attempt: back to the queue after a full-jitter backoff, or dead after the last
   * attempt. Returns the job's new status (empty when the worker no longer owned it).
   */
  public Future<Optional<String>> fail(SqlClient client, Claimed job, String worker, String error) {
    long delay = backoff.delayMillis(job.attempt(), ThreadLocalRandom.current());
    String message = error.length() > 2000 ? error.substring(0, 2000) : error;
    return client
        .preparedQuery(FAIL)
        .execute(Tuple.of(job.id(), worker, job.attempt(), (double) delay, message))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture(Optional.<String>empty());
              }
              failed.incrementAndGet();
              String status = rows.iterator().next().getString(0);
              if (!"dead".equals(status)) {
                return Future.succeededFuture(Optional.of(status));
              }
              deadLettered.incrementAndGet();
              return next(client, job.kind()).map(Optional.of(status));
            });
  }

  public Future<Void> progress(SqlClient client, Claimed job, String worker, int percent) {
    return client
        .preparedQuery(PROGRESS)
        .execute(
            Tuple.of(job.id(), worker, job.attempt(), (short) Math.max(0, Math.min(100, percent))))
        .mapEmpty();
  }

  /** Returns lost attempts to the queue; the number of jobs reaped. */
  public Future<Integer> reap(SqlClient client) {
    return client
        .preparedQuery(REAP)
        .execute()
        .compose(
            rows -> {
              List<Future<?>> next = new ArrayList<>();
              for (Row r : rows) {
                if ("dead".equals(r.getString(1))) {
                  deadLettered.incrementAndGet();
                  next.add(next(client, r.getString(2)));
                }
              }
              return Future.all(next).map(rows.size());
            });
  }

  public Future<Stats> stats(SqlClient client) {
    return client
        .query(STATS)
        .execute()
        .map(
            rows -> {
              Row r = rows.iterator().next();
              return new Stats(
                  r.getLong(0),
                  r.getLong(1),
                  r.getLong(2),
                  r.getLong(3),
                  r.getLong(4),
                  claimed.get(),
                  succeeded.get(),
                  failed.get(),
                  deadLettered.get());
            });
  }

  /** The dead-letter list, most recently dead first; rows of {@link #JOB_COLUMNS}. */
  public Future<RowSet<Row>> dead(SqlClient client, int limit) {
    return client.preparedQuery(DEAD).execute(Tuple.of(limit));
  }

  /** Puts a dead job back in the queue with fresh attempts; empty when it is not dead. */
  public Future<Optional<Row>> retry(SqlClient client, long id) {
    return client.preparedQuery(RETRY).execute(Tuple.of(id)).map(Statements::first);
  }

  /** The job's status; empty when there is no such job. */
  public Future<Optional<String>> status(SqlClient client, long id) {
    return client
        .preparedQuery(STATUS)
        .execute(Tuple.of(id))
        .map(rows -> Statements.first(rows).map(row -> row.getString(0)));
  }
}
