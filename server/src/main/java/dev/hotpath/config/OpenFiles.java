package dev.hotpath.config;

import java.lang.management.ManagementFactory;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HOTPATH_MAX_CONNECTIONS} against the number of files the process may have open (its
 * RLIMIT_NOFILE, as the JDK reports it: the JVM raises the soft limit to the hard one as it
 * starts). Each connection is a file descriptor; past the limit the server could not accept a
 * connection nor open one to the database, a log file or a jar, so a limit of connections above it
 * is no limit. The connections keep clear of a reserve: the database connections (transactions,
 * reads, each replica's reads) and {@link #RESERVED} more for files, the JDK's own, the Kafka and
 * Redis clients and the event loops' selectors.
 */
final class OpenFiles {
  private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);

  /** Descriptors kept for files, the JDK, event loops, Kafka, Redis and outside clients. */
  static final int RESERVED = 256;

  private OpenFiles() {}

  /** The most files the process may have open, when the platform says (Unix). */
  static OptionalLong limit() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long max = unix.getMaxFileDescriptorCount();
      return max > 0 ? OptionalLong.of(max) : OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  /**
   * The descriptors {@code database} and {@code replicas} may hold besides {@link #RESERVED}, and
   * the operations listener when it runs: its connections ({@code HOTPATH_OPS_MAX_CONNECTIONS}) and
   * its pool's two.
   */
  static long reserve(DatabaseSettings database, ReplicaSettings replicas, OpsSettings ops) {
    long readPools = (long) database.readPoolSize() * (1 + replicas.urls().size());
    long opsListener = ops.enabled() ? ops.maxConnections() + 2L : 0;
    return RESERVED + database.poolSize() + readPools + opsListener;
  }

  /**
   * The connections {@code limits} allow, fitted to {@code openFiles} less {@code reserve}: an
   * explicit {@code HOTPATH_MAX_CONNECTIONS} above that is refused (recorded in {@code r}, naming
   * it, the limit and the fix); the default is lowered to it, with a WARN.
   */
  static LimitSettings fit(
      LimitSettings limits, long openFiles, long reserve, boolean explicit, EnvReader r) {
    long room = openFiles - reserve;
    if (limits.maxConnections() <= room) {
      return limits;
    }
    String why =
        " connections would need more files than the process may open: its open-files limit"
            + " (ulimit -n) is "
            + openFiles
            + ", of which "
            + reserve
            + " are kept for the database connections, files and clients";
    if (explicit || room < 1) {
      r.fail(
          EnvReader.var("MAX_CONNECTIONS")
              + "="
              + limits.maxConnections()
              + ":"
              + why
              + "; set it to at most "
              + Math.max(room, 0)
              + " or raise the limit");
      return limits;
    }
    log.warn(
        "{} lowered from its default {} to {}: {}{}",
        EnvReader.var("MAX_CONNECTIONS"),
        limits.maxConnections(),
        room,
        limits.maxConnections(),
        why);
    return limits.withMaxConnections((int) room);
  }
}
