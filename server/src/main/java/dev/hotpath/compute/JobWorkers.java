package dev.hotpath.compute;

import dev.hotpath.config.ComputeSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs up to {@link ComputeSettings#jobWorkers} jobs at once in this process: claims as many ready
 * jobs as it has free slots, runs each under its timeout, records success or failure, and claims
 * again as slots free up; idle, it polls. A periodic reaper returns attempts lost by dead workers
 * (on any instance). Confined to the event loop of the compute verticle (no locks needed).
 */
final class JobWorkers {
  private static final Logger log = LoggerFactory.getLogger(JobWorkers.class);

  private final Vertx vertx;
  private final Pool pool;
  private final JobQueue queue;
  private final JobHandlers handlers;
  private final String worker;
  private final ComputeSettings settings;
  private final Promise<Void> finished = Promise.promise();
  private int running;
  private boolean claiming;
  private boolean stopped;
  private long pollTimer = -1;
  private long reapTimer = -1;

  JobWorkers(
      Vertx vertx,
      Pool pool,
      JobQueue queue,
      JobHandlers handlers,
      String worker,
      ComputeSettings settings) {
    this.vertx = vertx;
    this.pool = pool;
    this.queue = queue;
    this.handlers = handlers;
    this.worker = worker;
    this.settings = settings;
  }

  void start() {
    reapTimer =
        vertx.setPeriodic(
            Math.max(1_000, settings.jobPoll().toMillis() * 5),
            t ->
                queue
                    .reap(pool)
                    .onSuccess(
                        n -> {
                          if (n > 0) {
                            log.warn("reaped {} job attempt(s) whose worker was lost", n);
                            pump();
                          }
                        }));
    pump();
  }

  /** Claims no more; completes when the running jobs have finished. */
  Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(reapTimer);
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
    }
    maybeFinished();
    return finished.future();
  }

  private void pump() {
    if (stopped || claiming) {
      return;
    }
    int free = settings.jobWorkers() - running;
    List<String> kinds = handlers.kinds();
    if (free <= 0) {
      return;
    }
    if (kinds.isEmpty()) {
      later();
      return;
    }
    claiming = true;
    queue
        .claim(pool, worker, free, kinds)
        .onComplete(
            ar -> {
              claiming = false;
              if (ar.failed()) {
                log.warn("claiming jobs failed: {}", ar.cause().toString());
                later();
              } else {
                ar.result().forEach(this::run);
                if (ar.result().size() == free) {
                  pump();
                } else {
                  later();
                }
              }
              maybeFinished();
            });
  }

  private void later() {
    if (pollTimer < 0 && !stopped) {
      pollTimer =
          vertx.setTimer(
              settings.jobPoll().toMillis(),
              t -> {
                pollTimer = -1;
                pump();
              });
    }
  }

  private void run(JobQueue.Claimed job) {
    running++;
    Attempt attempt = new Attempt(job);
    Future<String> result;
    try {
      result =
          handlers
              .get(job.kind())
              .map(h -> h.handle(attempt))
              .orElseGet(() -> Future.failedFuture("no handler for job kind " + job.kind()));
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result
        .timeout(job.timeoutMs(), TimeUnit.MILLISECONDS)
        .transform(
            ar ->
                ar.succeeded()
                    ? (attempt.completedIn
                            ? queue.completedIn(pool, job)
                            : queue.complete(pool, job, worker, ar.result()))
                        .mapEmpty()
                    : queue.fail(pool, job, worker, describe(ar.cause(), job)).mapEmpty())
        .onComplete(
            done -> {
              running--;
              if (done.failed()) {
                // the row stays running; the reaper returns it after its timeout
                log.warn(
                    "could not record the end of job {}: {}", job.id(), done.cause().toString());
              }
              maybeFinished();
              pump();
            });
  }

  private static String describe(Throwable cause, JobQueue.Claimed job) {
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return "attempt " + job.attempt() + " timed out after " + job.timeoutMs() + " ms";
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private void maybeFinished() {
    if (stopped && running == 0 && !claiming) {
      finished.tryComplete();
    }
  }

  private final class Attempt implements Job {
    private final JobQueue.Claimed job;

    /** Whether the handler completed the attempt in its own transaction ({@link #completeIn}). */
    private boolean completedIn;

    Attempt(JobQueue.Claimed job) {
      this.job = job;
    }

    @Override
    public long id() {
      return job.id();
    }

    @Override
    public String kind() {
      return job.kind();
    }

    @Override
    public String payload() {
      return job.payload();
    }

    @Override
    public int attempt() {
      return job.attempt();
    }

    @Override
    public Future<Void> progress(int percent) {
      return queue.progress(pool, job, worker, percent);
    }

    @Override
    public Future<Void> completeIn(SqlConnection conn, String result) {
      return queue
          .completeIn(conn, job, worker, result)
          .map(
              done -> {
                completedIn = done;
                return null;
              });
    }

    @Override
    public Pool pool() {
      return pool;
    }

    @Override
    public Vertx vertx() {
      return vertx;
    }
  }
}
