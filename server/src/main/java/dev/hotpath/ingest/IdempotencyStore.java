package dev.hotpath.ingest;

import dev.hotpath.edge.auth.ClientIdentity;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.store.Statements;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code idempotency_keys} table: what an {@code Idempotency-Key} (scoped per client, {@link
 * ClientIdentity}) has claimed and the response saved under it. Every statement runs on the
 * connection of the write's own transaction ({@link WriteTransaction} decides when); this class
 * knows the rows, not the protocol.
 *
 * <p>A request still running holds a transaction-level advisory lock on the hash of (client, key)
 * ({@link #lockKey}); its row is written once, with the response, in the round trip of the
 * transaction's COMMIT (the claim only reads), so no other request ever sees a row without its
 * response, and the row costs one insert, not an insert and an update. Keys expire after {@code
 * ttl}: an expired row is taken over by the next save under its key, and the purge job deletes the
 * rest.
 *
 * <p>Thread-safe and immutable.
 */
public final class IdempotencyStore {
  public static final String HEADER = "Idempotency-Key";
  public static final String REPLAYED = "Idempotent-Replayed";
  public static final int MAX_KEY_LENGTH = 255;

  /**
   * Takes the lock without waiting and, when it got it, looks for a live row under the key. Returns
   * (lock taken, key free: no live row). It writes nothing: the row is written once, with the
   * response, by {@link #SAVE}. The statement's snapshot is taken before the lock, so a row
   * committed by the lock's previous holder in between may be missed here; {@link #SAVE} then finds
   * it and fails ({@link #TAKEN}), and the transaction rolls back.
   */
  static final String CLAIM = "WITH " + claimCte(1) + " SELECT got, free FROM claim";

  /**
   * The claim of {@link #CLAIM} as common table expressions for a command's own first statement
   * ({@link WriteTransaction.ClaimingCommand}), so that the claim costs the write no statement of
   * its own: they define {@code claim (got, free)}, one row, from the parameters {@code $first} to
   * {@code $first + 2} ({@link #addClaim}). The lock is taken once whatever the statement around it
   * does: a CTE with a volatile function is evaluated once, never inlined.
   */
  static String claimCte(int first) {
    return "claim_lock AS (SELECT pg_try_advisory_xact_lock($"
        + first
        + ") AS got), claim AS (SELECT got, got AND NOT EXISTS (SELECT 1 FROM idempotency_keys"
        + " WHERE client_id = $"
        + (first + 1)
        + " AND key = $"
        + (first + 2)
        + " AND expires_at > now()) AS free FROM claim_lock)";
  }

  /** Adds the three parameters of {@link #claimCte} for {@code key} to {@code args}. */
  static Tuple addClaim(Tuple args, Key key) {
    return args.addLong(lockKey(key)).addString(key.client()).addString(key.key());
  }

  /** The claim read from {@code row}: {@code got} at {@code column}, {@code free} after it. */
  static Claim claimOf(Row row, int column) {
    return new Claim(row.getBoolean(column), row.getBoolean(column + 1));
  }

  /**
   * Writes the key's row with the response, taking over an expired row. When a live row holds the
   * key (the claim's snapshot missed it), nothing is written and the statement fails with division
   * by zero ({@link #TAKEN}), so the COMMIT pipelined behind it rolls the transaction back: the
   * write never commits without its key row, nor twice under one key.
   */
  private static final String SAVE =
      "WITH s AS (INSERT INTO idempotency_keys"
          + " (client_id, key, fingerprint, status, location, content_type, body, etag, expires_at)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))"
          + " ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
          + " status = EXCLUDED.status, location = EXCLUDED.location,"
          + " content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag,"
          + " created_at = now(), expires_at = EXCLUDED.expires_at"
          + " WHERE idempotency_keys.expires_at <= now() RETURNING 1)"
          + " SELECT 1 / (SELECT count(*)::int FROM s)";

  /** The SQLSTATE of {@link #SAVE} finding the key taken (division_by_zero). */
  static final String TAKEN = "22012";

  private static final String LOOKUP =
      "SELECT fingerprint, status, location, content_type, body, etag FROM idempotency_keys"
          + " WHERE client_id = $1 AND key = $2 AND expires_at > now()";

  private final double ttlSeconds;

  public IdempotencyStore(Duration ttl) {
    this.ttlSeconds = ttl.toMillis() / 1000.0;
  }

  /** How long a saved response lives, in seconds. */
  double ttlSeconds() {
    return ttlSeconds;
  }

  /** The key and client of one request, read before its body is validated. */
  public record Key(String client, String key) {}

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

    /** A 202 for work accepted as the job {@code jobId}, whose representation is {@code body}. */
    public static Stored accepted(long jobId, Buffer body) {
      return new Stored(202, Optional.of("/v1/jobs/" + jobId), "application/json", body);
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

  /** What a claim found: whether the lock was free, and whether the row is now this request's. */
  record Claim(boolean gotLock, boolean ours) {}

  /** A response saved by an earlier request with the same key, and that request's fingerprint. */
  record Saved(byte[] fingerprint, Stored stored) {}

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

  /** Takes the key's lock without waiting and finds whether a live row holds the key. */
  Future<Claim> claim(SqlConnection conn, Key key) {
    return conn.preparedQuery(CLAIM)
        .execute(addClaim(Tuple.tuple(), key))
        .map(rows -> claimOf(rows.iterator().next(), 0));
  }

  /**
   * Writes the key's row with the response and fingerprint {@code fp}; send it with the COMMIT.
   * Fails with {@link #TAKEN} when a live row already holds the key.
   */
  Future<RowSet<Row>> save(SqlConnection conn, Key key, byte[] fp, Stored stored) {
    return conn.preparedQuery(SAVE)
        .execute(
            Tuple.of(
                key.client(),
                key.key(),
                Buffer.buffer(fp),
                (short) stored.status(),
                stored.location().orElse(null),
                stored.contentType(),
                stored.body().copy(),
                stored.etag().orElse(null),
                ttlSeconds));
  }

  /** Whether {@code failure} is {@link #SAVE} finding the key held by a live row. */
  static boolean taken(Throwable failure) {
    return failure instanceof PgException e && TAKEN.equals(e.getSqlState());
  }

  /** The response saved under the key, unless it expired (or was purged). */
  Future<Optional<Saved>> lookup(SqlConnection conn, Key key) {
    return conn.preparedQuery(LOOKUP)
        .execute(Tuple.of(key.client(), key.key()))
        .map(
            rows ->
                Statements.first(rows)
                    .map(
                        row ->
                            new Saved(
                                row.getBuffer(0).getBytes(),
                                new Stored(
                                    row.getShort(1),
                                    Optional.ofNullable(row.getString(2)),
                                    row.getString(3),
                                    row.getBuffer(4),
                                    Optional.ofNullable(row.getString(5))))));
  }

  /** SHA-256 over method, path and the exact body bytes. */
  static byte[] fingerprint(String method, String path, Buffer body) {
    MessageDigest digest = fingerprintStart(method, path);
    if (body != null && body.length() > 0) {
      digest.update(body.getBytes());
    }
    return digest.digest();
  }

  /**
   * A new SHA-256 fed with what precedes the body in a fingerprint; one of its own (not this
   * thread's), since a streamed body feeds it across many callbacks.
   */
  static MessageDigest fingerprintStart(String method, String path) {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    digest.update(method.getBytes(StandardCharsets.US_ASCII));
    digest.update((byte) 0);
    digest.update(path.getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    return digest;
  }

  /** 64 bits of SHA-256(client, key); a collision only makes a retry wait (409), never merges. */
  static long lockKey(Key key) {
    MessageDigest digest = sha256();
    digest.update(key.client().getBytes(StandardCharsets.UTF_8));
    digest.update((byte) 0);
    digest.update(key.key().getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.wrap(digest.digest()).getLong();
  }

  /**
   * This thread's SHA-256, reset: {@code MessageDigest.getInstance} looks its provider up, checks
   * the algorithm's constraints and builds the digest reflectively, which was most of the cost of
   * the three digests an order takes (JFR under create-order.lua: 1 sample of 26 in the hashing
   * itself). The caller uses it to its {@code digest()} before it asks for another.
   */
  static MessageDigest sha256() {
    MessageDigest digest = SHA256.get();
    digest.reset();
    return digest;
  }

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
          });
}
