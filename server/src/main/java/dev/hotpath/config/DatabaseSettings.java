package dev.hotpath.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The database: an external PostgreSQL or the embedded one, and the connections to it.
 *
 * @param url external PostgreSQL ({@code postgresql://user:pass@host:port/db}); empty means
 *     embedded
 * @param dataDir folder of the embedded PostgreSQL cluster (kept across restarts)
 * @param embeddedPort port of the embedded PostgreSQL; 0 picks a free one
 * @param poolSize connections for transactions in total, split over the event loops
 * @param readPoolSize connections of the pipelined read side in total, split over the event loops
 * @param pipeliningLimit commands in flight on one connection
 * @param orderGroupMax the most orders placed in one transaction by group commit (orders that
 *     waited for a transaction connection go together); 1 places each order in its own
 */
public record DatabaseSettings(
    Optional<URI> url,
    Path dataDir,
    int embeddedPort,
    int poolSize,
    int readPoolSize,
    int pipeliningLimit,
    int orderGroupMax) {
  public DatabaseSettings {
    new Rules()
        .require(
            url.isEmpty()
                || ("postgresql".equals(url.get().getScheme())
                        || "postgres".equals(url.get().getScheme()))
                    && url.get().getHost() != null,
            EnvReader.var("DATABASE_URL")
                + " must look like postgresql://user:password@host:5432/database")
        .range("PG_PORT", embeddedPort, 0, 65535)
        .atLeast("DB_POOL_SIZE", poolSize, 1)
        .atLeast("DB_READ_POOL_SIZE", readPoolSize, 1)
        .atLeast("DB_PIPELINING", pipeliningLimit, 1)
        .range("ORDER_GROUP_MAX", orderGroupMax, 1, MAX_ORDER_GROUP)
        .enforce();
  }

  /**
   * HOTPATH_DATABASE_URL, _DATA_DIR, _PG_PORT, _DB_POOL_SIZE, _DB_READ_POOL_SIZE, _DB_PIPELINING,
   * _ORDER_GROUP_MAX.
   */
  static DatabaseSettings from(EnvReader r) {
    int cores = Runtime.getRuntime().availableProcessors();
    int poolSize = r.integer("DB_POOL_SIZE", defaultTransactionPool(cores), 1, 1000);
    // a pool size that is set sizes the read side too, as it did before the two were apart
    int readPoolSize =
        r.integer(
            "DB_READ_POOL_SIZE",
            r.isSet("DB_POOL_SIZE") ? poolSize : Math.max(4, cores * 2),
            1,
            1000);
    return new DatabaseSettings(
        r.postgresUrl("DATABASE_URL"),
        dataDir(r),
        r.integer("PG_PORT", 0, 0, 65535),
        poolSize,
        readPoolSize,
        r.integer("DB_PIPELINING", 256, 1, 4096),
        r.integer("ORDER_GROUP_MAX", DEFAULT_ORDER_GROUP, 1, MAX_ORDER_GROUP));
  }

  /**
   * HOTPATH_ORDER_GROUP_MAX's default: group commit on, at most 16 orders per transaction (on
   * PostgreSQL's side, pgbench on the order's statements: 16 per transaction cost 263-364 us per
   * order against 774-928 alone and 418-485 at 4; bench/pgbench, README "Measuring writes").
   */
  public static final int DEFAULT_ORDER_GROUP = 16;

  /** The bound of HOTPATH_ORDER_GROUP_MAX. */
  static final int MAX_ORDER_GROUP = 64;

  /**
   * Transaction connections by default: 16, or 2 x cores where that is more. An order holds its
   * connection for three round trips, and between them it waits for its event loop to read the
   * answer and send the next batch: with 2 x cores connections (4 on 2 cores) under wrk's 64
   * connections, 32-48 requests waited for a transaction connection on average while PostgreSQL
   * found those connections idle in their transaction, waiting for the server, in 83-98 % of its
   * samples (README, "Sizing the pools"). The read side is pipelined and keeps 2 x cores (at least
   * 4).
   */
  static int defaultTransactionPool(int cores) {
    return Math.max(16, 2 * cores);
  }

  /** HOTPATH_DATA_DIR as {@code env} gives it ({@code data} when unset). */
  public static Path dataDir(Map<String, String> env) {
    return dataDir(new EnvReader(env));
  }

  private static Path dataDir(EnvReader r) {
    return Path.of(r.string("DATA_DIR", "data"));
  }

  DatabaseSettings withUrl(Optional<URI> newUrl) {
    return new DatabaseSettings(
        newUrl, dataDir, embeddedPort, poolSize, readPoolSize, pipeliningLimit, orderGroupMax);
  }

  DatabaseSettings withDataDir(Path dir) {
    return new DatabaseSettings(
        url, dir, embeddedPort, poolSize, readPoolSize, pipeliningLimit, orderGroupMax);
  }
}
