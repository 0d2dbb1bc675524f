package dev.hotpath.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting of a running hotpath, read once from {@code HOTPATH_*} environment variables,
 * validated as a whole, then frozen. A bad value is reported by {@link #fromEnvironment} as a
 * {@link InvalidSettingsException} whose message names each offending variable.
 *
 * @param host interface the HTTP server binds to
 * @param port HTTP port; 0 picks a free one (tests)
 * @param eventLoops HTTP verticle instances, one per event loop
 * @param databaseUrl external PostgreSQL ({@code postgresql://user:pass@host:port/db}); empty means
 *     embedded
 * @param dataDir folder of the embedded PostgreSQL cluster (kept across restarts)
 * @param embeddedPgPort port of the embedded PostgreSQL; 0 picks a free one
 * @param poolSize database connections in total, split over the event loops
 * @param pipeliningLimit commands in flight on one connection
 * @param bodyLimit largest accepted request body in bytes (413 above)
 * @param cursorSecret key of the cursor MAC; empty means a key kept in the database, so that all
 *     instances on one database share it
 * @param shutdownGrace how long SIGTERM waits for in-flight requests
 * @param compute bounds of the work done off the request path (idempotency, outbox, jobs)
 */
public record Settings(
    String host,
    int port,
    int eventLoops,
    Optional<URI> databaseUrl,
    Path dataDir,
    int embeddedPgPort,
    int poolSize,
    int pipeliningLimit,
    long bodyLimit,
    Optional<String> cursorSecret,
    Duration shutdownGrace,
    Compute compute) {

  public static final String PREFIX = "HOTPATH_";

  /**
   * Bounds of the compute flow, each a named setting.
   *
   * @param idempotencyTtl how long a stored idempotent response is replayed (then purged)
   * @param poolSize database connections of the background workers of one process
   * @param outboxBatch events one consumer applies per transaction
   * @param outboxPoll pause of an idle consumer before it looks at the log again
   * @param jobWorkers jobs one process runs at once
   * @param jobPoll pause of an idle job worker
   * @param jobMaxAttempts attempts before a job is dead
   * @param jobBackoffBase first retry delay bound (full jitter: uniform in [0, bound))
   * @param jobBackoffCap largest retry delay bound
   * @param jobTimeout how long one attempt may run before it counts as failed
   * @param importWorkers parser threads of one bulk import
   * @param importChunkLines lines per parsed chunk of a bulk import
   * @param importBodyLimit largest bulk import body in bytes
   */
  public record Compute(
      Duration idempotencyTtl,
      int poolSize,
      int outboxBatch,
      Duration outboxPoll,
      int jobWorkers,
      Duration jobPoll,
      int jobMaxAttempts,
      Duration jobBackoffBase,
      Duration jobBackoffCap,
      Duration jobTimeout,
      int importWorkers,
      int importChunkLines,
      long importBodyLimit) {}

  /** Defaults for this machine: one event loop per core, a pool sized to the database's cores. */
  public static Settings fromEnvironment(Map<String, String> env) {
    var reader = new Reader(env);
    int cores = Runtime.getRuntime().availableProcessors();
    var settings =
        new Settings(
            reader.string("HOST", "0.0.0.0"),
            reader.integer("PORT", 8080, 0, 65535),
            reader.integer("EVENT_LOOPS", cores, 1, 256),
            reader.uri("DATABASE_URL"),
            Path.of(reader.string("DATA_DIR", "data")),
            reader.integer("PG_PORT", 0, 0, 65535),
            reader.integer("DB_POOL_SIZE", Math.max(4, cores * 2), 1, 1000),
            reader.integer("DB_PIPELINING", 256, 1, 4096),
            reader.integer("BODY_LIMIT", 1024 * 1024, 1024, 64 * 1024 * 1024),
            reader.optionalString("CURSOR_SECRET"),
            Duration.ofMillis(reader.integer("SHUTDOWN_GRACE_MS", 10_000, 0, 600_000)),
            new Compute(
                Duration.ofSeconds(reader.integer("IDEMPOTENCY_TTL_S", 86_400, 1, 30 * 86_400)),
                reader.integer("COMPUTE_POOL_SIZE", 4, 2, 100),
                reader.integer("OUTBOX_BATCH", 5_000, 1, 100_000),
                Duration.ofMillis(reader.integer("OUTBOX_POLL_MS", 100, 1, 60_000)),
                reader.integer("JOB_WORKERS", 4, 1, 256),
                Duration.ofMillis(reader.integer("JOB_POLL_MS", 200, 1, 60_000)),
                reader.integer("JOB_MAX_ATTEMPTS", 5, 1, 100),
                Duration.ofMillis(reader.integer("JOB_BACKOFF_BASE_MS", 1_000, 1, 3_600_000)),
                Duration.ofMillis(reader.integer("JOB_BACKOFF_CAP_MS", 300_000, 1, 86_400_000)),
                Duration.ofMillis(reader.integer("JOB_TIMEOUT_MS", 120_000, 10, 86_400_000)),
                reader.integer("IMPORT_WORKERS", cores, 1, 64),
                reader.integer("IMPORT_CHUNK_LINES", 10_000, 1, 1_000_000),
                reader.integer("IMPORT_BODY_LIMIT", 256 * 1024 * 1024, 1024, Integer.MAX_VALUE)));
    if (settings.cursorSecret.isPresent() && settings.cursorSecret.get().length() < 16) {
      reader.errors.add(PREFIX + "CURSOR_SECRET must be at least 16 characters");
    }
    if (settings.compute.jobBackoffBase().compareTo(settings.compute.jobBackoffCap()) > 0) {
      reader.errors.add(
          PREFIX + "JOB_BACKOFF_BASE_MS must not exceed " + PREFIX + "JOB_BACKOFF_CAP_MS");
    }
    if (!reader.errors.isEmpty()) {
      throw new InvalidSettingsException(String.join("; ", reader.errors));
    }
    return settings;
  }

  public static Settings defaults() {
    return fromEnvironment(Map.of());
  }

  public Settings withPort(int newPort) {
    return new Settings(
        host,
        newPort,
        eventLoops,
        databaseUrl,
        dataDir,
        embeddedPgPort,
        poolSize,
        pipeliningLimit,
        bodyLimit,
        cursorSecret,
        shutdownGrace,
        compute);
  }

  public Settings withDatabaseUrl(Optional<URI> url) {
    return new Settings(
        host,
        port,
        eventLoops,
        url,
        dataDir,
        embeddedPgPort,
        poolSize,
        pipeliningLimit,
        bodyLimit,
        cursorSecret,
        shutdownGrace,
        compute);
  }

  public Settings withDataDir(Path dir) {
    return new Settings(
        host,
        port,
        eventLoops,
        databaseUrl,
        dir,
        embeddedPgPort,
        poolSize,
        pipeliningLimit,
        bodyLimit,
        cursorSecret,
        shutdownGrace,
        compute);
  }

  public Settings withEventLoops(int loops) {
    return new Settings(
        host,
        port,
        loops,
        databaseUrl,
        dataDir,
        embeddedPgPort,
        poolSize,
        pipeliningLimit,
        bodyLimit,
        cursorSecret,
        shutdownGrace,
        compute);
  }

  public Settings withCompute(Compute newCompute) {
    return new Settings(
        host,
        port,
        eventLoops,
        databaseUrl,
        dataDir,
        embeddedPgPort,
        poolSize,
        pipeliningLimit,
        bodyLimit,
        cursorSecret,
        shutdownGrace,
        newCompute);
  }

  /** Thrown when one or more settings are invalid; the message names every one of them. */
  public static final class InvalidSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidSettingsException(String message) {
      super(message, null, false, false);
    }
  }

  private static final class Reader {
    private final Map<String, String> env;
    private final List<String> errors = new ArrayList<>();

    Reader(Map<String, String> env) {
      this.env = env;
    }

    private Optional<String> raw(String name) {
      String value = env.get(PREFIX + name);
      return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    String string(String name, String fallback) {
      return raw(name).orElse(fallback);
    }

    Optional<String> optionalString(String name) {
      return raw(name);
    }

    int integer(String name, int fallback, int min, int max) {
      Optional<String> value = raw(name);
      if (value.isEmpty()) {
        return fallback;
      }
      try {
        int parsed = Integer.parseInt(value.get());
        if (parsed < min || parsed > max) {
          errors.add(
              PREFIX + name + "=" + value.get() + " is out of range [" + min + ", " + max + "]");
          return fallback;
        }
        return parsed;
      } catch (NumberFormatException e) {
        errors.add(PREFIX + name + "=" + value.get() + " is not a whole number");
        return fallback;
      }
    }

    Optional<URI> uri(String name) {
      Optional<String> value = raw(name);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      try {
        URI uri = new URI(value.get());
        String scheme = uri.getScheme();
        if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
          errors.add(
              PREFIX + name + " must look like postgresql://user:password@host:5432/database");
          return Optional.empty();
        }
        if (uri.getHost() == null) {
          errors.add(PREFIX + name + " has no host");
          return Optional.empty();
        }
        return Optional.of(uri);
      } catch (Exception e) {
        errors.add(PREFIX + name + " is not a valid URL");
        return Optional.empty();
      }
    }
  }
}
