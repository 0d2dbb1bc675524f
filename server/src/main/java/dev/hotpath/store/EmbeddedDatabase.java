package dev.hotpath.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by this process from binaries shipped on the class path. The cluster
 * lives in a folder that survives restarts; the server stops when {@link #close} is called or the
 * JVM exits, also when it is killed ({@link PostmasterWatchdog}); a server a killed process left
 * running anyway is stopped before the next start on its folder ({@link StalePostmaster}).
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

  /** zonky's lock on a data folder, held by the process whose server runs on it. */
  private static final String LOCK_FILE = "epg-lock";

  private final EmbeddedPostgres postgres;
  private final Optional<PostmasterWatchdog> watchdog;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Optional<PostmasterWatchdog> watchdog) {
    this.postgres = postgres;
    this.watchdog = watchdog;
  }

  /**
   * Starts (and on first use initialises) a cluster in {@code dataDir}.
   *
   * @throws EmbeddedDatabaseException with a one-line instruction when the server cannot start
   */
  public static EmbeddedDatabase start(Path dataDir, int port) {
    try {
      Files.createDirectories(dataDir);
      stopStaleServer(dataDir);
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
      return new EmbeddedDatabase(pg, PostmasterWatchdog.watch(dataDir));
    } catch (EmbeddedDatabaseException e) {
      throw e;
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

  /**
   * Stops the server a dead process left on {@code dataDir}. Only when the folder's lock is free:
   * the server of a live process (another hotpath on the same folder) is never touched; that case
   * is refused with its own message.
   */
  private static void stopStaleServer(Path dataDir) throws IOException {
    if (!Files.exists(dataDir.resolve("postmaster.pid"))) {
      return; // no server ran here, or it stopped cleanly (and a new folder must stay empty)
    }
    try (FileChannel channel =
            FileChannel.open(
                dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock()) {
      if (lock == null) {
        throw new EmbeddedDatabaseException(
            "another process runs the embedded PostgreSQL in "
                + dataDir.toAbsolutePath()
                + "; stop it, or give this one another HOTPATH_DATA_DIR",
            null);
      }
      StalePostmaster.stop(dataDir);
    } catch (OverlappingFileLockException e) {
      throw new EmbeddedDatabaseException(
          "this process already runs the embedded PostgreSQL in " + dataDir.toAbsolutePath(), e);
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
    // stops the server if the stop above failed; otherwise just exits
    watchdog.ifPresent(PostmasterWatchdog::close);
  }

  /** The embedded server could not start; the message says what to do instead. */
  public static final class EmbeddedDatabaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EmbeddedDatabaseException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
