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
 * @param shutdownDelay how long SIGTERM keeps serving normally after readiness turns 503, so that
 *     balancers see it and stop sending before connections are closed
 * @param observability metrics, access log, Server-Timing and tracing on (the default) or off
 * @param traceSampleRate share of traces kept by head sampling (0..1)
 * @param otlpEndpoint OTLP/HTTP collector for traces; empty means traces are not exported
 * @param cache size bound and lifetimes of the response cache
 * @param gzipMinBytes smallest response body sent gzip-coded to a client that accepts it
 * @param accessLog where the access log goes ({@code off}: nowhere), its size and age bounds,
 *     sampling
 * @param auth authentication: on or off, the key set, issuer and audience, caches and limits
 * @param limits bounds on request size, shape, time and connections
 * @param transport TLS, HTTP/2 cleartext and the metrics endpoint
 * @param compute bounds of the work done off the request path (idempotency, outbox, jobs)
 * @param admission rate limits and admission control (load shedding)
 * @param outside outside services: where they are, timeouts, breakers, retries, hedging
 * @param relay the outbox relay to Kafka (off unless a broker is named)
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
    Duration shutdownDelay,
    boolean observability,
    double traceSampleRate,
    Optional<String> otlpEndpoint,
    CacheSettings cache,
    int gzipMinBytes,
    AccessLogSettings accessLog,
    AuthSettings auth,
    LimitSettings limits,
    TransportSettings transport,
    Compute compute,
    AdmissionSettings admission,
    OutsideSettings outside,
    RelaySettings relay) {

  public static final String PREFIX = "HOTPATH_";

  /**
   * Default weight bound of the response cache: an eighth of the heap (256 MiB at the launcher's
   * -Xmx2g), never less than 16 MiB. An entry weighs about 0.4 KiB (customer) to 2 KiB (order with
   * lines), so the default holds some 10^5 to 10^6 representations. A starting point: the lead
   * measures it (see README, "Sizing the response cache").
   */
  static int defaultCacheMegabytes() {
    long heapMb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
    return (int) Math.max(16, Math.min(Integer.MAX_VALUE, heapMb / 8));
  }

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
   * @param readyMaxLag largest lag of an outbox consumer at which the process is still ready (0: no
   *     bound)
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
      long importBodyLimit,
      Duration readyMaxLag) {}

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
            Duration.ofMillis(reader.integer("SHUTDOWN_DELAY_MS", 5_000, 0, 600_000)),
            reader.bool("OBSERVABILITY", true),
            reader.fraction("TRACE_SAMPLE_RATE", 0.01),
            reader.optionalString("OTLP_ENDPOINT"),
            reader.cache(),
            reader.integer("GZIP_MIN_BYTES", 1024, 0, 64 * 1024 * 1024),
            AccessLogSettings.read(reader),
            reader.auth(),
            reader.limits(),
            reader.transport(),
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
                reader.integer("IMPORT_BODY_LIMIT", 256 * 1024 * 1024, 1024, Integer.MAX_VALUE),
                Duration.ofMillis(reader.integer("READY_MAX_LAG_MS", 5_000, 0, 3_600_000))),
            reader.admission(),
            OutsideSettings.read(reader),
            RelaySettings.read(reader));

    if (env.containsKey(PREFIX + "ADMIN_TOKEN")) {
      reader.errors.add(
          PREFIX + "ADMIN_TOKEN is no longer used: admin routes need a JWT with the admin scope");
    }
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

  /**
   * Settings for commands that do not serve HTTP (seed, rebuild): authentication is irrelevant to
   * them, so its settings are not required.
   */
  public static Settings forTools(Map<String, String> env) {
    Map<String, String> tools = new java.util.HashMap<>(env);
    tools.put(PREFIX + "AUTH", "off");
    return fromEnvironment(tools);
  }

  public static Settings defaults() {
    return fromEnvironment(Map.of());
  }

  public Settings withObservability(boolean on) {
    Copy copy = new Copy(this);
    copy.observability = on;
    return copy.build();
  }

  public Settings withPort(int newPort) {
    Copy copy = new Copy(this);
    copy.port = newPort;
    return copy.build();
  }

  public Settings withDatabaseUrl(Optional<URI> url) {
    Copy copy = new Copy(this);
    copy.databaseUrl = url;
    return copy.build();
  }

  public Settings withDataDir(Path dir) {
    Copy copy = new Copy(this);
    copy.dataDir = dir;
    return copy.build();
  }

  public Settings withCache(CacheSettings newCache) {
    Copy copy = new Copy(this);
    copy.cache = newCache;
    return copy.build();
  }

  public Settings withEventLoops(int loops) {
    Copy copy = new Copy(this);
    copy.eventLoops = loops;
    return copy.build();
  }

  public Settings withAuth(AuthSettings newAuth) {
    Copy copy = new Copy(this);
    copy.auth = newAuth;
    return copy.build();
  }

  public Settings withCompute(Compute newCompute) {
    Copy copy = new Copy(this);
    copy.compute = newCompute;
    return copy.build();
  }

  public Settings withOutside(OutsideSettings newOutside) {
    Copy copy = new Copy(this);
    copy.outside = newOutside;
    return copy.build();
  }

  public Settings withRelay(RelaySettings newRelay) {
    Copy copy = new Copy(this);
    copy.relay = newRelay;
    return copy.build();
  }

  /** A settings object being copied with one value changed (the {@code with...} methods). */
  private static final class Copy {
    private String host;
    private int port;
    private int eventLoops;
    private Optional<URI> databaseUrl;
    private Path dataDir;
    private int embeddedPgPort;
    private int poolSize;
    private int pipeliningLimit;
    private long bodyLimit;
    private Optional<String> cursorSecret;
    private Duration shutdownGrace;
    private Duration shutdownDelay;
    private boolean observability;
    private double traceSampleRate;
    private Optional<String> otlpEndpoint;
    private CacheSettings cache;
    private int gzipMinBytes;
    private AccessLogSettings accessLog;
    private AuthSettings auth;
    private LimitSettings limits;
    private TransportSettings transport;
    private Compute compute;
    private AdmissionSettings admission;
    private OutsideSettings outside;
    private RelaySettings relay;

    Copy(Settings s) {
      host = s.host;
      port = s.port;
      eventLoops = s.eventLoops;
      databaseUrl = s.databaseUrl;
      dataDir = s.dataDir;
      embeddedPgPort = s.embeddedPgPort;
      poolSize = s.poolSize;
      pipeliningLimit = s.pipeliningLimit;
      bodyLimit = s.bodyLimit;
      cursorSecret = s.cursorSecret;
      shutdownGrace = s.shutdownGrace;
      shutdownDelay = s.shutdownDelay;
      observability = s.observability;
      traceSampleRate = s.traceSampleRate;
      otlpEndpoint = s.otlpEndpoint;
      cache = s.cache;
      gzipMinBytes = s.gzipMinBytes;
      accessLog = s.accessLog;
      auth = s.auth;
      limits = s.limits;
      transport = s.transport;
      compute = s.compute;
      admission = s.admission;
      outside = s.outside;
      relay = s.relay;
    }

    Settings build() {
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
          shutdownDelay,
          observability,
          traceSampleRate,
          otlpEndpoint,
          cache,
          gzipMinBytes,
          accessLog,
          auth,
          limits,
          transport,
          compute,
          admission,
          outside,
          relay);
    }
  }

  /** Thrown when one or more settings are invalid; the message names every one of them. */
  public static final class InvalidSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidSettingsException(String message) {
      super(message, null, false, false);
    }
  }

  static final class Reader {
    private final Map<String, String> env;
    private final List<String> errors = new ArrayList<>();

    Reader(Map<String, String> env) {
      this.env = env;
    }

    /** Records a bad setting; start-up fails with every recorded message. */
    void fail(String message) {
      errors.add(message);
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

    boolean bool(String name, boolean fallback) {
      Optional<String> value = raw(name);
      if (value.isEmpty()) {
        return fallback;
      }
      return switch (value.get().toLowerCase(java.util.Locale.ROOT)) {
        case "true", "on", "1", "yes" -> true;
        case "false", "off", "0", "no" -> false;
        default -> {
          errors.add(PREFIX + name + "=" + value.get() + " must be on or off");
          yield fallback;
        }
      };
    }

    double fraction(String name, double fallback) {
      Optional<String> value = raw(name);
      if (value.isEmpty()) {
        return fallback;
      }
      try {
        double parsed = Double.parseDouble(value.get());
        if (!(parsed >= 0 && parsed <= 1)) {
          errors.add(PREFIX + name + "=" + value.get() + " must be between 0 and 1");
          return fallback;
        }
        return parsed;
      } catch (NumberFormatException e) {
        errors.add(PREFIX + name + "=" + value.get() + " is not a number");
        return fallback;
      }
    }

    /**
     * The response cache: HOTPATH_CACHE_MAX_MB, HOTPATH_CACHE_TTL_MS and
     * HOTPATH_CACHE_NEGATIVE_TTL_MS, checked against each other.
     */
    CacheSettings cache() {
      int megabytes = integer("CACHE_MAX_MB", defaultCacheMegabytes(), 0, 1 << 20);
      int ttlMs = integer("CACHE_TTL_MS", 60_000, 1_000, 86_400_000);
      int negativeMs = integer("CACHE_NEGATIVE_TTL_MS", 2_000, 0, 600_000);
      if (negativeMs > ttlMs) {
        errors.add(
            PREFIX
                + "CACHE_NEGATIVE_TTL_MS="
                + negativeMs
                + " must not exceed "
                + PREFIX
                + "CACHE_TTL_MS="
                + ttlMs);
        negativeMs = ttlMs;
      }
      return new CacheSettings(
          megabytes * 1024L * 1024L, Duration.ofMillis(ttlMs), Duration.ofMillis(negativeMs));
    }

    Duration millis(String name, int fallback, int min, int max) {
      return Duration.ofMillis(integer(name, fallback, min, max));
    }

    /**
     * HOTPATH_AUTH and what it needs when on: HOTPATH_JWKS (a file or an http(s) URL),
     * HOTPATH_JWT_ISSUER and HOTPATH_JWT_AUDIENCE.
     */
    AuthSettings auth() {
      boolean enabled = bool("AUTH", true);
      Optional<String> jwks = optionalString("JWKS");
      Optional<String> issuer = optionalString("JWT_ISSUER");
      Optional<String> audience = optionalString("JWT_AUDIENCE");
      Duration refresh = millis("JWKS_REFRESH_MS", 300_000, 1_000, 86_400_000);
      Duration floor = millis("JWKS_REFRESH_FLOOR_MS", 30_000, 100, 3_600_000);
      if (floor.compareTo(refresh) > 0) {
        errors.add(
            PREFIX
                + "JWKS_REFRESH_FLOOR_MS="
                + floor.toMillis()
                + " must not exceed "
                + PREFIX
                + "JWKS_REFRESH_MS="
                + refresh.toMillis());
      }
      if (enabled) {
        if (jwks.isEmpty()) {
          errors.add(
              PREFIX
                  + "JWKS (a file or http(s) URL of the signing keys) is required when "
                  + PREFIX
                  + "AUTH is on; serve --demo makes a development key");
        } else if (jwks.get().startsWith("http://") || jwks.get().startsWith("https://")) {
          try {
            URI.create(jwks.get()).toURL();
          } catch (Exception e) {
            errors.add(PREFIX + "JWKS=" + jwks.get() + " is not a valid URL");
          }
        } else if (!java.nio.file.Files.isReadable(Path.of(jwks.get()))) {
          errors.add(PREFIX + "JWKS=" + jwks.get() + " is not a readable file");
        }
        if (issuer.isEmpty()) {
          errors.add(PREFIX + "JWT_ISSUER is required when " + PREFIX + "AUTH is on");
        }
        if (audience.isEmpty()) {
          errors.add(PREFIX + "JWT_AUDIENCE is required when " + PREFIX + "AUTH is on");
        }
      }
      return new AuthSettings(
          enabled,
          jwks,
          issuer,
          audience,
          refresh,
          floor,
          Duration.ofSeconds(integer("JWT_CLOCK_SKEW_S", 30, 0, 300)),
          integer("CLAIMS_CACHE_SIZE", 100_000, 100, 10_000_000),
          integer("AUTH_FAILURES_PER_MINUTE", 30, 1, 1_000_000),
          integer("AUTH_FAILURE_ADDRESSES", 100_000, 100, 10_000_000));
    }

    LimitSettings limits() {
      return new LimitSettings(
          integer("MAX_URL_BYTES", 8192, 256, 65_536),
          integer("MAX_HEADER_BYTES", 16_384, 1024, 1 << 20),
          integer("MAX_HEADER_COUNT", 100, 8, 1000),
          integer("JSON_MAX_DEPTH", 32, 4, 256),
          integer("JSON_MAX_ARRAY", 1000, 1000, 1_000_000),
          millis("REQUEST_TIMEOUT_MS", 10_000, 100, 600_000),
          millis("HEADER_TIMEOUT_MS", 10_000, 100, 600_000),
          millis("IDLE_TIMEOUT_MS", 60_000, 1_000, 3_600_000),
          integer("MAX_CONNECTIONS", 10_000, 1, 1_000_000),
          millis("DB_DEADLINE_GRACE_MS", 0, 0, 600_000));
    }

    /**
     * Rate limits (HOTPATH_RATE_*) and admission control (HOTPATH_ADMISSION*):
     * HOTPATH_ADMISSION_LIMIT is {@code adaptive} or a fixed number; the adaptive floor must not
     * exceed its ceiling.
     */
    AdmissionSettings admission() {
      String limit = string("ADMISSION_LIMIT", "adaptive");
      java.util.OptionalInt fixed = java.util.OptionalInt.empty();
      if (!"adaptive".equals(limit)) {
        fixed = java.util.OptionalInt.of(integer("ADMISSION_LIMIT", 1, 1, 1_000_000));
      }
      int min = integer("ADMISSION_MIN_LIMIT", 20, 1, 1_000_000);
      int max = integer("ADMISSION_MAX_LIMIT", 1000, 1, 1_000_000);
      if (min > max) {
        errors.add(
            PREFIX
                + "ADMISSION_MIN_LIMIT="
                + min
                + " must not exceed "
                + PREFIX
                + "ADMISSION_MAX_LIMIT="
                + max);
      }
      return new AdmissionSettings(
          bool("RATE_LIMITS", true),
          Duration.ofSeconds(integer("RATE_WINDOW_S", 10, 1, 86_400)),
          integer("RATE_CLIENT", (int) AdmissionSettings.CLIENT_QUOTA, 0, Integer.MAX_VALUE),
          integer("RATE_IP", (int) AdmissionSettings.ADDRESS_QUOTA, 0, Integer.MAX_VALUE),
          integer("RATE_GLOBAL", (int) AdmissionSettings.GLOBAL_QUOTA, 0, Integer.MAX_VALUE),
          integer("RATE_KEYS", 100_000, 100, 10_000_000),
          bool("ADMISSION", true),
          fixed,
          min,
          Math.min(Math.max(min, integer("ADMISSION_START_LIMIT", 100, 1, 1_000_000)), max),
          Math.max(min, max),
          integer("ADMISSION_QUEUE", 16, 0, 10_000),
          Duration.ofMillis(integer("ADMISSION_QUEUE_WAIT_MS", 1, 1, 60_000)),
          Duration.ofMillis(integer("ADMISSION_QUEUE_BURST_WAIT_MS", 10, 1, 60_000)),
          Duration.ofMillis(integer("ADMISSION_QUEUE_STANDING_MS", 100, 1, 60_000)));
    }

    /** HOTPATH_TLS_CERT and HOTPATH_TLS_KEY (both or neither), HOTPATH_H2C, HOTPATH_METRICS. */
    TransportSettings transport() {
      Optional<Path> cert = optionalString("TLS_CERT").map(Path::of);
      Optional<Path> key = optionalString("TLS_KEY").map(Path::of);
      if (cert.isPresent() != key.isPresent()) {
        errors.add(PREFIX + "TLS_CERT and " + PREFIX + "TLS_KEY must be set together");
      }
      cert.filter(p -> !java.nio.file.Files.isReadable(p))
          .ifPresent(p -> errors.add(PREFIX + "TLS_CERT=" + p + " is not a readable file"));
      key.filter(p -> !java.nio.file.Files.isReadable(p))
          .ifPresent(p -> errors.add(PREFIX + "TLS_KEY=" + p + " is not a readable file"));
      return new TransportSettings(
          cert.isPresent() && key.isPresent() ? cert : Optional.empty(),
          cert.isPresent() && key.isPresent() ? key : Optional.empty(),
          bool("H2C", false),
          bool("METRICS", true));
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
