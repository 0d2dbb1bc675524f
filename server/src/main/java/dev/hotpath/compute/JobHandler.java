package dev.hotpath.compute;

import io.vertx.core.Future;

/**
 * Runs jobs of one kind. Delivery is at least once (a worker can die after the work and before the
 * job is marked done, or an attempt can time out and run again), so handlers must be idempotent:
 * running a job twice has the effect of running it once. The future's value is the job's result, a
 * JSON object as text; a failed future is a failed attempt, retried with backoff until the job is
 * dead. Handlers run on an event loop and must not block it.
 */
@FunctionalInterface
public interface JobHandler {
  Future<String> handle(Job job);
}
