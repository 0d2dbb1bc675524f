package dev.hotpath.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hotpath.ingest.IdempotencyStore.Claim;
import dev.hotpath.ingest.IdempotencyStore.Key;
import dev.hotpath.ingest.IdempotencyStore.Stored;
import dev.hotpath.support.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The key row is written once, by the save that rides with the COMMIT; the claim only takes the
 * lock and reads. These tests hold what makes that safe: a save that finds a live row under its key
 * (committed after the claim's snapshot) fails and writes nothing, and an expired row is taken
 * over.
 */
class IdempotencyStoreTest {
  private final TestServer server = TestServer.get();
  private final IdempotencyStore keys = new IdempotencyStore(Duration.ofHours(24));
  private Vertx vertx;
  private Pool pool;

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool()
            .with(new PoolOptions().setMaxSize(1))
            .connectingTo(server.database().connectOptions(1))
            .using(vertx)
            .build();
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Stored created(String location) {
    return Stored.created(location, Buffer.buffer("{\"id\":1}"), "o1.1");
  }

  private long rows(Key key) {
    return server.queryLong(
        "SELECT count(*) FROM idempotency_keys WHERE client_id = '"
            + key.client()
            + "' AND key = '"
            + key.key()
            + "'");
  }

  @Test
  void aSaveThatFindsALiveRowFailsAndWritesNothing() throws Exception {
    Key key = new Key("store-test", UUID.randomUUID().toString());
    byte[] fp = IdempotencyStore.fingerprint("POST", "/v1/orders", Buffer.buffer("{}"));
    SqlConnection conn = await(pool.getConnection());
    try {
      await(conn.query("BEGIN").execute());
      Claim claim = await(keys.claim(conn, key));
      assertThat(claim.gotLock()).isTrue();
      assertThat(claim.ours()).isTrue();
      assertThat(rows(key)).isZero();
      // the first request's row commits after the claim looked (as when the lock's holder commits
      // between the claim's snapshot and its lock)
      server.execute(
          "INSERT INTO idempotency_keys (client_id, key, fingerprint, status, location,"
              + " content_type, body, expires_at) VALUES ('"
              + key.client()
              + "', '"
              + key.key()
              + "', '\\x00'::bytea, 201, '/v1/orders/first', 'application/json', '{}'::bytea,"
              + " now() + interval '1 hour')");
      Throwable failure =
          assertThrows(
              ExecutionException.class,
              () -> await(keys.save(conn, key, fp, created("/v1/orders/second"))));
      assertThat(IdempotencyStore.taken(failure.getCause())).as(failure.toString()).isTrue();
      await(conn.query("ROLLBACK").execute());
    } finally {
      await(conn.close());
    }
    assertThat(
            server
                .queryText("SELECT location FROM idempotency_keys WHERE key = '" + key.key() + "'")
                .strip())
        .isEqualTo("/v1/orders/first");
  }

  @Test
  void aSaveTakesOverAnExpiredRowAndAClaimSeesALiveOne() throws Exception {
    Key key = new Key("store-test", UUID.randomUUID().toString());
    byte[] fp = IdempotencyStore.fingerprint("POST", "/v1/orders", Buffer.buffer("{\"a\":1}"));
    server.execute(
        "INSERT INTO idempotency_keys (client_id, key, fingerprint, status, location,"
            + " content_type, body, expires_at) VALUES ('"
            + key.client()
            + "', '"
            + key.key()
            + "', '\\x00'::bytea, 201, '/v1/orders/old', 'application/json', '{}'::bytea,"
            + " now() - interval '1 second')");
    SqlConnection conn = await(pool.getConnection());
    try {
      await(conn.query("BEGIN").execute());
      assertThat(await(keys.claim(conn, key)).ours()).isTrue();
      await(keys.save(conn, key, fp, created("/v1/orders/new")));
      await(conn.query("COMMIT").execute());
      assertThat(rows(key)).isEqualTo(1);
      assertThat(
              server
                  .queryText(
                      "SELECT location || ' ' || status || ' ' || (expires_at > now())"
                          + " FROM idempotency_keys WHERE key = '"
                          + key.key()
                          + "'")
                  .strip())
          .isEqualTo("/v1/orders/new 201 true");
      // now live: the next claim finds it (and takes the lock, which the commit released)
      await(conn.query("BEGIN").execute());
      Claim again = await(keys.claim(conn, key));
      assertThat(again.gotLock()).isTrue();
      assertThat(again.ours()).isFalse();
      assertThat(await(keys.lookup(conn, key)).orElseThrow().fingerprint()).isEqualTo(fp);
      await(conn.query("ROLLBACK").execute());
    } finally {
      await(conn.close());
    }
  }
}
