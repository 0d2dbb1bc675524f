package dev.hotpath.ingest;

import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Responses;
import dev.hotpath.ingest.IdempotencyStore.Claim;
import dev.hotpath.ingest.IdempotencyStore.Key;
import dev.hotpath.ingest.IdempotencyStore.Stored;
import dev.hotpath.store.DatabaseTimeoutException;
import dev.hotpath.store.GuardedPool;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One idempotent write, in one transaction: the key's claim ({@link IdempotencyStore}), the
 * command's rows and the outbox event its statement appends, and the saved response, all committed
 * together or not at all. Idempotency keys are run as Stripe runs them
 * (draft-ietf-httpapi-idempotency-key-header).
 *
 * <p>The key row rides in the write's own transaction: BEGIN and the claim are pipelined with the
 * command's first query (or ride in it: {@link ClaimingCommand}), and the response is saved in the
 * same round trip as the COMMIT, so idempotency adds no round trip to a write. So the stored
 * response exists exactly when the effect does — a crash or a database error leaves neither, and
 * the retry simply runs again. A concurrent retry that cannot take the key's lock gets 409 without
 * waiting. Once the first transaction ends, a retry takes the lock, finds the row and replays it
 * (same status, Location, Content-Type and body bytes, plus {@code Idempotent-Replayed: true}), or
 * gets 422 when its fingerprint (SHA-256 of method, path and body bytes) differs. Business refusals
 * (4xx problems raised by the command before it writes) are stored like successes; requests that
 * fail validation never reach this class and store nothing.
 *
 * <p>Thread-safe; one instance per event loop (it holds that loop's pool).
 */
public record WriteTransaction(Pool pool, IdempotencyStore keys) {
  /** Bodies above this are hashed on a worker thread, not the event loop. */
  static final int HASH_ON_LOOP_LIMIT = 64 * 1024;

  /**
   * Opens the write's transaction. Its statements run with generic plans: the request connections
   * are opened with {@code plan_cache_mode=force_generic_plan} (the HTTP verticle's connect
   * options), so a {@code SET LOCAL} here, as there was, only cost every order one more statement
   * to parse and run. The commands' statements (CTEs over unnest()ed arrays) were otherwise
   * re-planned on every execution (measured here, planning was ~180 µs of ~330 µs for the order
   * insert); a generic plan must reach its rows through their keys, which the plan tests hold.
   */
  private static final String BEGIN = "BEGIN";

  /**
   * The transactional part of an idempotent write. It runs on {@code conn} inside the transaction
   * that holds the key, may start reading and locking rows at once (its first query is pipelined
   * behind the claim; a failed claim rolls the locks back), but must not write before {@code
   * claimed} has succeeded; {@code claimed} fails when the key belongs to another request, and the
   * transaction is then rolled back. A {@link ProblemException} below 500 becomes the stored
   * response, so it must be raised before any write.
   */
  @FunctionalInterface
  public interface Command {
    Future<Stored> run(SqlConnection conn, Future<Void> claimed);
  }

  /**
   * A command whose first statement also claims the key, so that the claim costs no statement of
   * its own (an order's transaction is five statements, not six): that statement carries {@link
   * IdempotencyStore#claimCte} with its parameters ({@link IdempotencyStore#addClaim}), and the
   * command completes {@code found} with the claim it read ({@link IdempotencyStore#claimOf}), or
   * fails it with the statement's failure. Otherwise as {@link Command}: it must not write before
   * {@code claimed} has succeeded, and its refusals must come before any write.
   */
  @FunctionalInterface
  interface ClaimingCommand {
    Future<Stored> run(SqlConnection conn, Promise<Claim> found, Future<Void> claimed);
  }

  /** Runs {@code command} under {@code key} and answers the request (first time or replay). */
  public void execute(RoutingContext ctx, Key key, Command command) {
    execute(ctx, key, command, Future::succeededFuture);
  }

  /**
   * As {@link #execute(RoutingContext, Key, Command)}, running {@code committed} after the
   * command's transaction committed; the response is sent once the future it returns completes
   * (e.g. when what the write changed is evicted from the caches, the shared one included). Not run
   * for replays or refusals.
   */
  public void execute(RoutingContext ctx, Key key, Command command, Supplier<Future<?>> committed) {
    answer(ctx, key, command, null, committed, null);
  }

  /**
   * As {@link #execute(RoutingContext, Key, Command)} for a request whose body was not buffered (it
   * was streamed elsewhere as it arrived): {@code fingerprint} is {@link
   * IdempotencyStore#fingerprint} of its method, path and body, computed as it arrived ({@link
   * #fingerprintDigest}).
   */
  void execute(RoutingContext ctx, Key key, byte[] fingerprint, Command command) {
    answer(ctx, key, command, null, Future::succeededFuture, fingerprint);
  }

  /**
   * A digest fed with the request's method and path: feeding it the body as it arrives, then {@code
   * digest()}, gives the request's fingerprint.
   */
  static java.security.MessageDigest fingerprintDigest(String method, String path) {
    return IdempotencyStore.fingerprintStart(method, path);
  }

  /**
   * As {@link #execute(RoutingContext, Key, Command, Supplier)}, for a command that claims the key
   * in its own first statement. The result completes (never fails) once the transaction has ended
   * and its connection is back in the pool.
   */
  Future<Void> executeClaiming(
      RoutingContext ctx, Key key, ClaimingCommand command, Supplier<Future<?>> committed) {
    return answer(ctx, key, null, command, committed, null);
  }

  /**
   * Runs one of {@code command} and {@code claiming} under {@code key} and answers; the result
   * completes when the transaction has ended.
   */
  private Future<Void> answer(
      RoutingContext ctx,
      Key key,
      @Nullable Command command,
      @Nullable ClaimingCommand claiming,
      Supplier<Future<?>> committed,
      byte @Nullable [] given) {
    String method = ctx.request().method().name();
    String path = ctx.request().path();
    Future<byte[]> fingerprint;
    if (given != null) {
      fingerprint = Future.succeededFuture(given);
    } else {
      Buffer body = ctx.body().buffer();
      fingerprint =
          body != null && body.length() > HASH_ON_LOOP_LIMIT
              ? ctx.vertx()
                  .executeBlocking(() -> IdempotencyStore.fingerprint(method, path, body), false)
              : Future.succeededFuture(IdempotencyStore.fingerprint(method, path, body));
    }
    Future<Outcome> outcome = fingerprint.compose(fp -> run(key, fp, path, command, claiming));
    outcome.onComplete(
        ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          respond(ctx, ar.result(), committed);
        });
    return outcome.<Void>mapEmpty().otherwiseEmpty();
  }

  /**
   * Answers the request with what its transaction came to: a fresh outcome (after {@code committed}
   * for a success), a replay, or the key's refusal (in use, reused).
   */
  static void respond(RoutingContext ctx, Outcome outcome, Supplier<Future<?>> committed) {
    switch (outcome.kind) {
      case FRESH -> {
        Stored stored = Objects.requireNonNull(outcome.stored);
        if (stored.status() < 300) {
          committed.get().onComplete(done -> send(ctx, stored, false));
        } else {
          send(ctx, stored, false);
        }
      }
      case REPLAY -> send(ctx, Objects.requireNonNull(outcome.stored), true);
      case IN_USE ->
          ctx.fail(
              new ProblemException(
                  ProblemType.IDEMPOTENCY_KEY_IN_USE,
                  "The first request with this Idempotency-Key has not finished; retry"
                      + " after it has"));
      case MISMATCH ->
          ctx.fail(
              new ProblemException(
                  ProblemType.IDEMPOTENCY_KEY_REUSED,
                  "This Idempotency-Key was first used with a different method, path or"
                      + " body; use a new key for a new request"));
    }
  }

  enum Kind {
    FRESH,
    REPLAY,
    IN_USE,
    MISMATCH
  }

  /** What the transaction came to; {@code stored} is null for a refusal (in use, mismatch). */
  record Outcome(Kind kind, @Nullable Stored stored) {}

  /** Signals a command that the key is not its to use; never reaches a client. */
  private static final class NotOurs extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final NotOurs INSTANCE = new NotOurs();

    private NotOurs() {
      super("idempotency key held by another request", null, false, false);
    }
  }

  private Future<Outcome> run(
      Key key,
      byte[] fp,
      String path,
      @Nullable Command command,
      @Nullable ClaimingCommand claiming) {
    return pool.getConnection()
        .compose(
            conn -> inTransaction(conn, key, fp, path, command, claiming).eventually(conn::close));
  }

  /**
   * BEGIN, COMMIT and ROLLBACK are sent as plain statements rather than through Vert.x's {@code
   * Transaction}, whose commit waits for every pending query to answer before it is sent: this way
   * BEGIN goes out with the claim and the command's first query, and COMMIT with the saved
   * response. Every path that does not commit rolls back before the connection returns to the pool.
   */
  private Future<Outcome> inTransaction(
      SqlConnection conn,
      Key key,
      byte[] fp,
      String path,
      @Nullable Command command,
      @Nullable ClaimingCommand claiming) {
    Future<RowSet<Row>> begin = conn.query(BEGIN).execute();
    Promise<Claim> found = Promise.promise();
    Future<Claim> claim = claiming == null ? keys.claim(conn, key) : found.future();
    Future<Void> claimed =
        Future.all(begin, claim)
            .compose(
                c ->
                    claim.result().ours()
                        ? Future.succeededFuture()
                        : Future.failedFuture(NotOurs.INSTANCE));
    Future<Stored> result;
    try {
      result =
          claiming == null
              ? Objects.requireNonNull(command).run(conn, claimed)
              : claiming.run(conn, found, claimed);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    if (claiming != null) {
      // a command that ended without reading its claim: the claim is unknown, so nothing commits
      result.onComplete(
          ar ->
              found.tryFail(
                  ar.failed()
                      ? ar.cause()
                      : new IllegalStateException("the command did not read its key's claim")));
    }
    Future<Stored> outcome =
        result.recover(
            e ->
                e instanceof ProblemException p && p.type().status() < 500
                    ? Future.succeededFuture(Stored.problem(p, path))
                    : Future.failedFuture(e));
    return Future.join(begin, claim, outcome)
        .transform(
            done -> {
              if (begin.failed() || claim.failed()) {
                Throwable cause = begin.failed() ? begin.cause() : claim.cause();
                return rollback(conn).transform(r -> Future.failedFuture(cause));
              }
              Claim c = claim.result();
              if (!c.ours()) {
                return rollback(conn)
                    .compose(
                        r ->
                            c.gotLock()
                                ? replay(conn, key, fp)
                                : Future.succeededFuture(new Outcome(Kind.IN_USE, null)));
              }
              if (outcome.failed()) {
                return rollback(conn).transform(r -> Future.failedFuture(outcome.cause()));
              }
              Stored stored = outcome.result();
              if (!GuardedPool.committing(conn)) {
                // answered 503 at the deadline meanwhile: that answer must stay true
                return rollback(conn)
                    .transform(
                        r ->
                            Future.failedFuture(
                                new DatabaseTimeoutException(
                                    "the request's deadline passed before its COMMIT")));
              }
              // Saved in the same round trip as the COMMIT: if the save fails, PostgreSQL turns
              // the COMMIT into a rollback, and the failure of either fails the request. A save
              // that finds the key taken (the first request committed between the claim's
              // snapshot and its lock) has written nothing: that request's response is replayed.
              Future<RowSet<Row>> save = keys.save(conn, key, fp, stored);
              Future<RowSet<Row>> commit = conn.query("COMMIT").execute();
              return Future.all(save, commit)
                  .transform(
                      saved -> {
                        if (saved.succeeded()) {
                          return Future.succeededFuture(new Outcome(Kind.FRESH, stored));
                        }
                        Future<Void> rolledBack = rollback(conn);
                        return save.failed() && IdempotencyStore.taken(save.cause())
                            ? rolledBack.compose(r -> replay(conn, key, fp))
                            : rolledBack.transform(r -> Future.failedFuture(saved.cause()));
                      });
            });
  }

  /** Ends the transaction without effect; harmless when there is none. */
  static Future<Void> rollback(SqlConnection conn) {
    return conn.query("ROLLBACK").execute().<Void>mapEmpty().otherwiseEmpty();
  }

  /** After the first request ended: replay its response, or refuse a different request. */
  Future<Outcome> replay(SqlConnection conn, Key key, byte[] fp) {
    return keys.lookup(conn, key)
        .map(
            saved -> {
              if (saved.isEmpty()) {
                // expired and purged between our claim and this read: let the client retry
                return new Outcome(Kind.IN_USE, null);
              }
              if (!Arrays.equals(saved.get().fingerprint(), fp)) {
                return new Outcome(Kind.MISMATCH, null);
              }
              return new Outcome(Kind.REPLAY, saved.get().stored());
            });
  }

  static void send(RoutingContext ctx, Stored stored, boolean replayed) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      // the request's deadline passed and it has been answered (503): the outcome is stored under
      // its key all the same, and a retry with the key gets it
      return;
    }
    response.setStatusCode(stored.status()).putHeader(Responses.CONTENT_TYPE, stored.contentType());
    stored.location().ifPresent(l -> response.putHeader(Responses.LOCATION, l));
    stored.etag().ifPresent(t -> response.putHeader("ETag", "\"" + t + "\""));
    if (stored.status() >= 400) {
      response.putHeader("Cache-Control", "no-store");
    }
    if (replayed) {
      response.putHeader(IdempotencyStore.REPLAYED, "true");
    }
    response.end(stored.body());
  }
}
