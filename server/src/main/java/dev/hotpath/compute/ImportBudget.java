package dev.hotpath.compute;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * What bulk imports may hold in memory at once, across every import of the process, however many
 * are uploaded or run: {@code chunks} permits, one per chunk in flight (a part of at most {@link
 * ImportParts#PART_BYTES} bytes and {@code HOTPATH_IMPORT_CHUNK_LINES} lines, from the moment it is
 * read from the database until its transaction ended), handed out first come first served; and one
 * pool of {@code workers} parser threads that every import shares. An import asks for its chunks'
 * permits in input order, so the chunk it applies next always holds one or is first in line:
 * imports wait for each other, they cannot deadlock. Uploads are bounded apart ({@code uploads}
 * received at once, each holding at most a part): a slow client must not hold a chunk's permit
 * while it sends.
 */
public final class ImportBudget {
  private final int chunks;
  private final int uploads;
  private final java.util.concurrent.atomic.AtomicInteger receiving =
      new java.util.concurrent.atomic.AtomicInteger();
  private final ExecutorService parsers;
  private final Deque<Waiter> waiting = new ArrayDeque<>();
  private int held;
  private int peak;

  private record Waiter(Context context, Promise<Void> promise) {}

  /** Where uploads write their parts: the compute pool, from the compute verticle's context. */
  private record Writer(Pool pool, Context context) {}

  private final Promise<Writer> writer = Promise.promise();

  public ImportBudget(int chunks, int workers, int uploads) {
    this.chunks = chunks;
    this.uploads = uploads;
    this.parsers =
        Executors.newFixedThreadPool(
            workers, Thread.ofPlatform().name("hotpath-import-", 0).daemon(true).factory());
  }

  /** Names the compute pool and its context, once the compute verticle has started. */
  public void attach(Pool pool, Context context) {
    writer.tryComplete(new Writer(pool, context));
  }

  /**
   * Runs {@code work} on the compute pool from the compute context, and completes on {@code
   * caller}: an upload's parts are background work (as the import that reads them), so they take
   * none of the connections of the API's requests, and are not counted as the request's queries.
   */
  public Future<Void> background(Function<Pool, Future<?>> work, Context caller) {
    Promise<Void> done = Promise.promise();
    writer
        .future()
        .onSuccess(
            w ->
                w.context()
                    .runOnContext(
                        v ->
                            work.apply(w.pool())
                                .onComplete(
                                    ar ->
                                        caller.runOnContext(
                                            x -> {
                                              if (ar.succeeded()) {
                                                done.complete();
                                              } else {
                                                done.fail(ar.cause());
                                              }
                                            }))));
    return done.future();
  }

  /** The shared parser threads. */
  public ExecutorService parsers() {
    return parsers;
  }

  /** Chunks that may be in flight at once. */
  public int chunks() {
    return chunks;
  }

  /** A permit for one chunk; completes on {@code context} once one is free. */
  public Future<Void> acquire(Context context) {
    Promise<Void> promise = Promise.promise();
    synchronized (this) {
      if (held < chunks && waiting.isEmpty()) {
        held++;
        peak = Math.max(peak, held);
      } else {
        waiting.add(new Waiter(context, promise));
        return promise.future();
      }
    }
    promise.complete();
    return promise.future();
  }

  /** Gives a permit back (to the first in line, when any). */
  public void release() {
    Waiter next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        held--;
        return;
      }
    }
    next.context().runOnContext(v -> next.promise().complete());
  }

  /**
   * Room for one more upload being received (at most {@code uploads} at once, each holding one part
   * of at most {@link ImportParts#PART_BYTES} bytes plus a line); false when there is none. Give it
   * back with {@link #uploadEnded}.
   */
  public boolean uploadStarts() {
    if (receiving.incrementAndGet() > uploads) {
      receiving.decrementAndGet();
      return false;
    }
    return true;
  }

  /** An upload taken by {@link #uploadStarts} has ended, whichever way. */
  public void uploadEnded() {
    receiving.decrementAndGet();
  }

  /** Permits held now. */
  public synchronized int held() {
    return held;
  }

  /** The most permits ever held at once. */
  public synchronized int peak() {
    return peak;
  }

  /** Requests for a permit waiting now. */
  public synchronized int waiting() {
    return waiting.size();
  }

  /**
   * Registers {@code hotpath_import_chunks_in_flight}, {@code _peak} and {@code
   * hotpath_import_chunks_waiting}.
   */
  public void bind(MeterRegistry registry) {
    Gauge.builder("hotpath_import_chunks_in_flight", this, ImportBudget::held)
        .description(
            "Chunks of bulk imports held in memory now, every import of the process together"
                + " (at most HOTPATH_IMPORT_CHUNKS)")
        .register(registry);
    Gauge.builder("hotpath_import_chunks_in_flight_peak", this, ImportBudget::peak)
        .description("The most chunks of bulk imports ever held in memory at once")
        .register(registry);
    Gauge.builder("hotpath_import_chunks_waiting", this, ImportBudget::waiting)
        .description("Chunks of bulk imports waiting for room in HOTPATH_IMPORT_CHUNKS")
        .register(registry);
  }

  /** Stops the parser threads. */
  public void close() {
    parsers.shutdownNow();
  }
}
