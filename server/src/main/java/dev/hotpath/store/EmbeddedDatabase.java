package dev.hotpath.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by this process from binaries shipped on the class path. The cluster
 * lives in a folder that survives restarts; the server stops when {@link #close} is called or the
 * JVM exits.
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

  /** Written into the data folder while this process runs its server: who holds the folder. */
  static final String OWNER_FILE = "hotpath.pid";

  /** zonky's lock on a data folder, held by the process whose server runs on it. */
  private static final String LOCK_FILE = "epg-lock";

  private final EmbeddedPostgres postgres;
  private final Path ownerFile;
  private final Optional<PostmasterWatchdog> watchdog;

  private EmbeddedDatabase(
      EmbeddedPostgres postgres, Path ownerFile, Optional<PostmasterWatchdog> watchdog) {
    this.postgres = postgres;
    this.ownerFile = ownerFile;
    this.watchdog = watchdog;
  }

  /**
   * Starts (and on first use initialises) a cluster in {@code dataDir}.
   *
   * @throws EmbeddedDatabaseException with a one-line instruction when the server cannot start,
   *     among them when another process runs a server on the same folder
   */
  public static EmbeddedDatabase start(Path dataDir, int port) {
    if (ownerAlive(dataDir)) {
      throw new EmbeddedDatabaseException(heldBy(dataDir).orElseThrow(), null);
    }
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
      Path owner = dataDir.resolve(OWNER_FILE);
      Files.writeString(owner, ProcessHandle.current().pid() + "\n");
      return new EmbeddedDatabase(pg, owner, PostmasterWatchdog.watch(dataDir));
    } catch (EmbeddedDatabaseException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      Optional<String> holder = heldBy(dataDir); // it may have started while this one tried
      if (holder.isPresent()) {
        throw new EmbeddedDatabaseException(holder.get(), e);
      }
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
   * Stops the server a dead process left on {@code dataDir} (after a kill -9 the embedded
   * PostgreSQL outlives its JVM). Only when the folder's lock is free: the server of a live process
   * is never touched, and that case is refused with a message naming it.
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
        throw new EmbeddedDatabaseException(heldBy(dataDir).orElse(inUse(dataDir)), null);
      }
      StalePostmaster.stop(dataDir);
    } catch (OverlappingFileLockException e) {
      throw new EmbeddedDatabaseException(heldBy(dataDir).orElse(inUse(dataDir)), e);
    }
  }

  private static String inUse(Path dataDir) {
    return "another process runs the embedded PostgreSQL in "
        + dataDir.toAbsolutePath()
        + "; stop it, or give this one another HOTPATH_DATA_DIR";
  }

  /** Whether another live hotpath process runs its embedded server on {@code dataDir}. */
  private static boolean ownerAlive(Path dataDir) {
    OptionalLong owner = firstNumber(dataDir.toAbsolutePath().resolve(OWNER_FILE), 0);
    return owner.isPresent()
        && owner.getAsLong() != ProcessHandle.current().pid()
        && running(owner.getAsLong(), "java");
  }

  /**
   * Why {@code dataDir} cannot be used by this process, when a live process holds it: a hotpath
   * process that runs its embedded server there ({@value #OWNER_FILE}), or a PostgreSQL server
   * still running on it ({@code postmaster.pid}). Two servers cannot share one folder, and the lock
   * error PostgreSQL or the embedding library gives says neither who holds it nor what to do.
   */
  static Optional<String> heldBy(Path dataDir) {
    Path folder = dataDir.toAbsolutePath();
    OptionalLong postgresPid = firstNumber(folder.resolve("postmaster.pid"), 0);
    OptionalLong postgresPort = firstNumber(folder.resolve("postmaster.pid"), 3);
    OptionalLong owner = firstNumber(folder.resolve(OWNER_FILE), 0);
    boolean ownerAlive = ownerAlive(dataDir);
    boolean postgresAlive = postgresPid.isPresent() && running(postgresPid.getAsLong(), "postgres");
    if (!ownerAlive && !postgresAlive) {
      return Optional.empty();
    }
    String port = postgresPort.isPresent() ? String.valueOf(postgresPort.getAsLong()) : "PORT";
    String who =
        ownerAlive
            ? "a running hotpath server (pid "
                + owner.getAsLong()
                + (postgresAlive ? ", its PostgreSQL pid " + postgresPid.getAsLong() : "")
                + ", port "
                + port
                + ")"
            : "a running PostgreSQL server (pid "
                + postgresPid.getAsLong()
                + ", port "
                + port
                + ")";
    String stop = ownerAlive ? "kill " + owner.getAsLong() : "kill " + postgresPid.getAsLong();
    return Optional.of(
        "the data folder "
            + folder
            + " is in use by "
            + who
            + ": two processes cannot open one embedded database. Either work against the running"
            + " one with --database-url postgresql://postgres:postgres@localhost:"
            + port
            + "/postgres, or stop it first (Ctrl-C in its terminal, or "
            + stop
            + ") and run this again");
  }

  /**
   * Whether process {@code pid} runs and is what a pid file says (its command names {@code
   * program}): a pid left by a crash may have been given to an unrelated process since.
   */
  private static boolean running(long pid, String program) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .map(p -> p.info().command().map(c -> c.contains(program)).orElse(true))
        .orElse(false);
  }

  /** The number at the start of line {@code line} (0-based) of {@code file}, if there is one. */
  private static OptionalLong firstNumber(Path file, int line) {
    try {
      List<String> lines = Files.readAllLines(file);
      if (lines.size() <= line) {
        return OptionalLong.empty();
      }
      return OptionalLong.of(Long.parseLong(lines.get(line).trim()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
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
      Files.deleteIfExists(ownerFile);
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
