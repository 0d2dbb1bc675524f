package dev.hotpath.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by this process from binaries shipped on the class path. The cluster
 * lives in a folder that survives restarts; the server stops when {@link #close} is called or the
 * JVM exits.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /**
   * Starts (and on first use initialises) a cluster in {@code dataDir}.
   *
   * @throws EmbeddedDatabaseException with a one-line instruction when the server cannot start
   */
  public static EmbeddedDatabase start(Path dataDir, int port) {
    try {
      Files.createDirectories(dataDir);
      var builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir.toAbsolutePath())
              .setCleanDataDirectory(false)
              .setServerConfig("max_connections", "200")
              .setServerConfig("shared_buffers", "256MB")
              .setServerConfig("synchronous_commit", "on")
              .setServerConfig("fsync", "on")
              .setServerConfig("max_wal_size", "2GB")
              .setServerConfig("checkpoint_timeout", "15min")
              .setServerConfig("work_mem", "16MB")
              .setServerConfig("maintenance_work_mem", "256MB");
      if (port > 0) {
        builder.setPort(port);
      }
      long started = System.nanoTime();
      EmbeddedPostgres pg = builder.start();
      log.info(
          "embedded PostgreSQL on port {} with data in {} ({} ms)",
          pg.getPort(),
          dataDir.toAbsolutePath(),
          (System.nanoTime() - started) / 1_000_000);
      return new EmbeddedDatabase(pg);
    } catch (IOException | RuntimeException e) {
      throw new EmbeddedDatabaseException(
          "embedded PostgreSQL could not start in "
              + dataDir.toAbsolutePath()
              + " ("
              + rootCause(e)
              + "); if this machine forbids user namespaces for root, run as a normal user or set HOTPATH_DATABASE_URL to an external PostgreSQL",
          e);
    }
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  public DatabaseCoordinates coordinates() {
    return new DatabaseCoordinates(
        "localhost", postgres.getPort(), "postgres", "postgres", "postgres");
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
    }
  }

  /** The embedded server could not start; the message says what to do instead. */
  public static final class EmbeddedDatabaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EmbeddedDatabaseException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
