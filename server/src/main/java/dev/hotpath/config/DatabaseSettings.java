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
 * @param poolSize database connections in total, split over the event loops
 * @param pipeliningLimit commands in flight on one connection
 */
public record DatabaseSettings(
    Optional<URI> url, Path dataDir, int embeddedPort, int poolSize, int pipeliningLimit) {
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
        .atLeast("DB_PIPELINING", pipeliningLimit, 1)
        .enforce();
  }

  /** HOTPATH_DATABASE_URL, _DATA_DIR, _PG_PORT, _DB_POOL_SIZE, _DB_PIPELINING. */
  static DatabaseSettings from(EnvReader r) {
    int cores = Runtime.getRuntime().availableProcessors();
    return new DatabaseSettings(
        r.postgresUrl("DATABASE_URL"),
        dataDir(r),
        r.integer("PG_PORT", 0, 0, 65535),
        r.integer("DB_POOL_SIZE", Math.max(4, cores * 2), 1, 1000),
        r.integer("DB_PIPELINING", 256, 1, 4096));
  }

  /** HOTPATH_DATA_DIR as {@code env} gives it ({@code data} when unset). */
  public static Path dataDir(Map<String, String> env) {
    return dataDir(new EnvReader(env));
  }

  private static Path dataDir(EnvReader r) {
    return Path.of(r.string("DATA_DIR", "data"));
  }

  DatabaseSettings withUrl(Optional<URI> newUrl) {
    return new DatabaseSettings(newUrl, dataDir, embeddedPort, poolSize, pipeliningLimit);
  }

  DatabaseSettings withDataDir(Path dir) {
    return new DatabaseSettings(url, dir, embeddedPort, poolSize, pipeliningLimit);
  }
}
