package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

/**
 * One attempt at a claimed job, as its handler sees it. {@link #progress} records how far it is
 * (shown by {@code GET /v1/jobs/{id}}); it is fenced by the attempt, so a worker that lost the job
 * cannot write over the attempt that replaced it.
 */
public interface Job {
  long id();

  String kind();

  /** The job's payload, a JSON object as text. */
  String payload();

  /** 1 for the first attempt. */
  int attempt();

  /** Records progress in percent (0 to 100). */
  Future<Void> progress(int percent);

  /**
   * Completes this attempt with {@code result} in the handler's own transaction on {@code conn}, so
   * that the job is done exactly when its change commits, and its worker records nothing after: one
   * statement in a transaction the handler commits anyway, instead of a transaction of its own. A
   * handler that calls it must return its future only once that transaction has committed (a
   * rollback undoes the completion, and the attempt's failure is recorded as usual).
   */
  Future<Void> completeIn(SqlConnection conn, String result);

  /** The compute flow's pool, for the handler's own queries. */
  Pool pool();

  Vertx vertx();
}
