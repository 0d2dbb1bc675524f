package dev.hotpath.ingest;

import dev.hotpath.edge.auth.ClientIdentity;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Idempotency keys on creating POSTs (draft-ietf-httpapi-idempotency-key-header, run as Stripe runs
 * them), scoped per client ({@link ClientIdentity}).
 *
 * <p>The key row rides in the write's own transaction: BEGIN and the claim are pipelined with the
 * command's first query, and the response is saved in the same round trip as the COMMIT, so
 * idempotency adds no round trip to a write. So the stored response exists exactly when the effect
 * does — a crash or a database error leaves neither, and the retry simply runs again. A request
 * still running holds a transaction-level advisory lock on the hash of (client, key); a concurrent
 * retry that cannot take the lock gets 409 without waiting. Once the first transaction ends, a
 * retry takes the lock, finds the row and replays it (same status, Location, Content-Type and body
 * bytes, plus {@code Idempotent-Replayed: true}), or gets 422 when its fingerprint (SHA-256 of
 * method, path and body bytes) differs. Business refusals (4xx problems raised by the command
 * before it writes) are stored like successes; requests that fail validation never reach this class
 * and store nothing. Keys expire after {@code ttl}: an expired row is taken over by the next
 * request, and the purge job deletes the rest.
 *
 * <p>Thread-safe; one instance per event loop (it holds that loop's pool).
 */
public final class IdempotencyKeys {
  public static final String HEADER = "Idempotency-Key";
  public static final String REPLAYED = "Idempotent-Replayed";
  public static final int MAX_KEY_LENGTH = 255;

  /** Bodies above this are hashed on a worker thread, not the event loop. */
  static final int HASH_ON_LOOP_LIMIT = 64 * 1024;

  /**
   * Takes the lock without waiting, then inserts the placeholder row (or takes over an expired
   * one). Returns (lock taken, row is ours). The placeholder is never visible to others: the same
   * transaction overwrites it before it commits.
   */
  private static final String CLAIM =
      "WITH l AS (SELECT pg_try_advisory_xact_lock($1) AS got),"
          + " ins AS (INSERT INTO idempotency_keys"
          + " (client_id, key, fingerprint, status, content_type, body, expires_at)"
          + " SELECT $2, $3, $4, 0, '', ''::bytea, now() + make_interval(secs => $5) FROM l WHERE l.got"
          + " ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
          + " status = 0, location = NULL, content_type = '', body = ''::bytea, etag = NULL,"
          + " created_at = now(), expires_at = EXCLUDED.expires_at"
          + " WHERE idempotency_keys.expires_at <= now() RETURNING 1)"
          + " SELECT l.got, EXISTS (SELECT 1 FROM ins) FROM l";

  /**
   * Opens the write's transaction with generic plans: the commands' statements (CTEs over
   * unnest()ed arrays) were otherwise re-planned on every execution, because their custom plans
   * look cheaper than a generic one; measured here, planning was ~180 µs of ~330 µs for the order
   * insert, and the generic plans are the same index plans.
   */
  private static final String BEGIN = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

  private static final String SAVE =
      "UPDATE idempotency_keys SET status = $3, location = $4, content_type = $5, body = $6,"
          + " etag = $7 WHERE client_id = $1 AND key = $2";

  private static final String LOOKUP =
      "SELECT fingerprint, status, location, content_type, body, etag FROM idempotency_keys"
          + " WHERE client_id = $1 AND key = $2 AND expires_at > now()";

  private final Pool pool;
  private final double ttlSeconds;

  public IdempotencyKeys(Pool pool, Duration ttl) {
    this.pool = pool;
    this.ttlSeconds = ttl.toMillis() / 1000.0;
  }

  /** A completed response: what is sent the first time and replayed on every retry. */
  public record Stored(
      int status,
      Optional<String> location,
      String contentType,
      Buffer body,
      Optional<String> etag) {
    public Stored(int status, Optional<String> location, String contentType, Buffer body) {
      this(status, location, contentType, body, Optional.empty());
    }

    /**
     * A 201 with the entity tag of the representation in {@code body} ({@code opaqueTag}, without
     * quotes), sent as {@code ETag} the first time and on every replay.
     */
    public static Stored created(String location, Buffer body, String opaqueTag) {
      return new Stored(
          201, Optional.of(location), "application/json", body, Optional.of(opaqueTag));
    }

    public static Stored ok(Buffer body) {
      return new Stored(200, Optional.empty(), "application/json", body);
    }

    static Stored problem(ProblemException problem, String instance) {
      return new Stored(
          problem.type().status(),
          Optional.empty(),
          Problems.CONTENT_TYPE,
          Problems.encode(problem, instance));
    }
  }

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

  /** The key and client of one request, read before its body is validated. */
  public record Key(String client, String key) {}

  /**
   * Reads the {@code Idempotency-Key} and client of the request.
   *
   * @throws ProblemException 400 when the key is missing or malformed
   */
  public static Key key(RoutingContext ctx) {
    String key = ctx.request().getHeader(HEADER);
    if (key == null) {
      throw new ProblemException(
          ProblemType.IDEMPOTENCY_KEY_MISSING,
          "Send an Idempotency-Key header (a fresh UUID per logical request) so that a retry is"
              + " safe");
    }
    if (!ClientIdentity.printable(key, MAX_KEY_LENGTH)) {
      throw ProblemException.invalid(
          HEADER, "must be 1 to " + MAX_KEY_LENGTH + " printable ASCII characters");
    }
    return new Key(ClientIdentity.of(ctx), key);
  }

  /** Runs {@code command} under {@code key} and answers the request (first time or replay). */
  public void execute(RoutingContext ctx, Key key, Command command) {
    execute(ctx, key, command, () -> {});
  }

  /**
   * As {@link #execute(RoutingContext, Key, Command)}, running {@code committed} after the
   * command's transaction committed and before the response is sent (e.g. to evict what the write
   * changed from this instance's cache). Not run for replays or refusals.
   */
  public void execute(RoutingContext ctx, Key key, Command command, Runnable committed) {
    Buffer body = ctx.body().buffer();
    String method = ctx.request().method().name();
    String path = ctx.request().path();
    Future<byte[]> fingerprint =
        body != null && body.length() > HASH_ON_LOOP_LIMIT
            ? ctx.vertx().executeBlocking(() -> fingerprint(method, path, body), false)
            : Future.succeededFuture(fingerprint(method, path, body));
    fingerprint
        .compose(fp -> run(key, fp, path, command))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
              }
              Outcome outcome = ar.result();
              switch (outcome.kind) {
                case FRESH -> {
                  if (outcome.stored.status() < 300) {
                    committed.run();
                  }
                  send(ctx, outcome.stored, false);
                }
                case REPLAY -> send(ctx, outcome.stored, true);
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
            });
  }

  private enum Kind {
    FRESH,
    REPLAY,
    IN_USE,
    MISMATCH
  }

  private record Outcome(Kind kind, Stored stored) {}

  private record Claim(boolean gotLock, boolean ours) {}

  /** Signals a command that the key is not its to use; never reaches a client. */
  private static final class NotOurs extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final NotOurs INSTANCE = new NotOurs();

    private NotOurs() {
      super("idempotency key held by another request", null, false, false);
    }
  }

  private Future<Outcome> run(Key key, byte[] fp, String path, Command command) {
    return pool.getConnection()
        .compose(conn -> inTransaction(conn, key, fp, path, command).eventually(conn::close));
  }

  /**
   * BEGIN, COMMIT and ROLLBACK are sent as plain statements rather than through Vert.x's {@code
   * Transaction}, whose commit waits for every pending query to answer before it is sent: this way
   * BEGIN goes out with the claim and the command's first query, and COMMIT with the saved
   * response. Every path that does not commit rolls back before the connection returns to the pool.
   */
  private Future<Outcome> inTransaction(
      SqlConnection conn, Key key, byte[] fp, String path, Command command) {
    Future<RowSet<Row>> begin = conn.query(BEGIN).execute();
    Tuple claimArgs =
        Tuple.of(lockKey(key), key.client(), key.key(), Buffer.buffer(fp), ttlSeconds);
    Future<Claim> claim =
        conn.preparedQuery(CLAIM)
            .execute(claimArgs)
            .map(
                rows -> {
                  Row row = rows.iterator().next();
                  return new Claim(row.getBoolean(0), row.getBoolean(1));
                });
    Future<Void> claimed =
        Future.all(begin, claim)
            .compose(
                c ->
                    claim.result().ours()
                        ? Future.succeededFuture()
                        : Future.failedFuture(NotOurs.INSTANCE));
    Future<Stored> result;
    try {
      result = command.run(conn, claimed);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
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
                                ? lookup(conn, key, fp)
                                : Future.succeededFuture(new Outcome(Kind.IN_USE, null)));
              }
              if (outcome.failed()) {
                return rollback(conn).transform(r -> Future.failedFuture(outcome.cause()));
              }
              Stored stored = outcome.result();
              // Saved in the same round trip as the COMMIT: if the save fails, PostgreSQL turns
              // the COMMIT into a rollback, and the failure of either fails the request.
              Future<RowSet<Row>> save =
                  conn.preparedQuery(SAVE)
                      .execute(
                          Tuple.of(
                              key.client(),
                              key.key(),
                              (short) stored.status(),
                              stored.location().orElse(null),
                              stored.contentType(),
                              stored.body().copy(),
                              stored.etag().orElse(null)));
              Future<RowSet<Row>> commit = conn.query("COMMIT").execute();
              return Future.all(save, commit)
                  .transform(
                      saved ->
                          saved.succeeded()
                              ? Future.succeededFuture(new Outcome(Kind.FRESH, stored))
                              : rollback(conn).transform(r -> Future.failedFuture(saved.cause())));
            });
  }

  /** Ends the transaction without effect; harmless when there is none. */
  private static Future<Void> rollback(SqlConnection conn) {
    return conn.query("ROLLBACK").execute().<Void>mapEmpty().otherwiseEmpty();
  }

  /** After the first request ended: replay its response, or refuse a different request. */
  private static Future<Outcome> lookup(SqlConnection conn, Key key, byte[] fp) {
    return conn.preparedQuery(LOOKUP)
        .execute(Tuple.of(key.client(), key.key()))
        .map(
            rows -> {
              if (rows.size() == 0) {
                // expired and purged between our claim and this read: let the client retry
                return new Outcome(Kind.IN_USE, null);
              }
              Row row = rows.iterator().next();
              if (!Arrays.equals(row.getBuffer(0).getBytes(), fp)) {
                return new Outcome(Kind.MISMATCH, null);
              }
              return new Outcome(
                  Kind.REPLAY,
                  new Stored(
                      row.getShort(1),
                      Optional.ofNullable(row.getString(2)),
                      row.getString(3),
                      row.getBuffer(4),
                      Optional.ofNullable(row.getString(5))));
            });
  }

  private static void send(RoutingContext ctx, Stored stored, boolean replayed) {
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
      response.putHeader(REPLAYED, "true");
    }
    response.end(stored.body());
  }

  /** SHA-256 over method, path and the exact body bytes. */
  static byte[] fingerprint(String method, String path, Buffer body) {
    MessageDigest digest = sha256();
    digest.update(method.getBytes(StandardCharsets.US_ASCII));
    digest.update((byte) 0);
    digest.update(path.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    if (body != null && body.length() > 0) {
      digest.update(body.getBytes());
    }
    return digest.digest();
  }

  /** 64 bits of SHA-256(client, key); a collision only makes a retry wait (409), never merges. */
  static long lockKey(Key key) {
    MessageDigest digest = sha256();
    digest.update(key.client().getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    digest.update(key.key().getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.wrap(digest.digest()).getLong();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
