package dev.hotpath.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every setting of a running hotpath, read once from {@code HOTPATH_*} environment variables, then
 * frozen: a record of records, none of them with a setter. Each section is a record whose compact
 * constructor checks its rules and whose static {@code from(EnvReader)} reads its variables; a bad
 * value is reported by {@link #fromEnvironment} as an {@link InvalidSettingsException} whose
 * message names each offending variable. Tests and commands change settings through {@link
 * Builder}, which builds every changed section through the same constructors.
 *
 * @param server where HTTP listens, event loops, body and compression bounds, cursor key, shutdown
 * @param database the external or embedded PostgreSQL and the connections to it
 * @param observability metrics, Server-Timing and tracing on or off, trace sampling and export
 * @param cache size bound and lifetimes of the response cache
 * @param accessLog where the access log goes ({@code off}: nowhere), its size and age bounds,
 *     sampling
 * @param auth authentication: on or off, the key set, issuer and audience, caches and limits
 * @param limits bounds on request size, shape, time and connections
 * @param transport TLS, HTTP/2 cleartext and the metrics endpoint
 * @param compute bounds of the work done off the request path (idempotency, outbox, jobs)
 * @param admission rate limits and admission control (load shedding)
 * @param outside outside services: where they are, timeouts, breakers, retries, hedging
 * @param relay the outbox relay to Kafka (off unless a broker is named)
 * @param backpressure connections paused and HTTP/2 streams refused while admission is saturated
 * @param redis Redis as shared cache level and shared rate limits (off unless a URL is named)
 * @param replicas read replicas of an external database (off unless named)
 * @param grpc the gRPC server (off unless a port is named)
 * @param graphql bounds of the GraphQL endpoint: depth, cost, persisted queries kept
 * @param retention partitions made ahead, outbox partitions dropped, finished jobs purged
 * @param ops the operations listener (health, metrics, admin on a port of their own; off unless a
 *     port is named)
 */
public record Settings(
    ServerSettings server,
    DatabaseSettings database,
    ObservabilitySettings observability,
    CacheSettings cache,
    AccessLogSettings accessLog,
    AuthSettings auth,
    LimitSettings limits,
    TransportSettings transport,
    ComputeSettings compute,
    AdmissionSettings admission,
    OutsideSettings outside,
    RelaySettings relay,
    BackpressureSettings backpressure,
    RedisSettings redis,
    ReplicaSettings replicas,
    GrpcSettings grpc,
    GraphqlSettings graphql,
    RetentionSettings retention,
    OpsSettings ops) {

  public static final String PREFIX = EnvReader.PREFIX;

  public Settings {
    Rules rules = new Rules();
    portConflicts(server, grpc, ops).forEach(m -> rules.require(false, m));
    rules.enforce();
  }

  /**
   * The listeners that would share a port: HTTP ({@code HOTPATH_PORT}), gRPC ({@code
   * HOTPATH_GRPC_PORT}) and operations ({@code HOTPATH_OPS_PORT}) each need their own, and one that
   * names another's would fail at start with a bind error that names neither variable. A port of 0
   * (off, or a free one picked at start) conflicts with nothing.
   */
  static java.util.List<String> portConflicts(
      ServerSettings server, GrpcSettings grpc, OpsSettings ops) {
    java.util.List<String> conflicts = new java.util.ArrayList<>();
    conflict(conflicts, "GRPC_PORT", grpc.port(), "PORT", server.port());
    conflict(conflicts, "OPS_PORT", ops.port(), "PORT", server.port());
    conflict(conflicts, "OPS_PORT", ops.port(), "GRPC_PORT", grpc.port());
    return conflicts;
  }

  private static void conflict(
      java.util.List<String> into, String name, int port, String other, int otherPort) {
    if (port != 0 && port == otherPort) {
      into.add(
          EnvReader.var(name)
              + "="
              + port
              + " must differ from "
              + EnvReader.var(other)
              + "="
              + otherPort
              + " (each listener needs a port of its own)");
    }
  }

  /**
   * The settings {@code env} gives, with defaults for this machine (one event loop per core, a pool
   * sized to the cores); every bad variable is named in one {@link InvalidSettingsException}.
   */
  public static Settings fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, true);
  }

  /**
   * As {@link #fromEnvironment(Map)}; {@code serving} false (the tools) leaves {@code
   * HOTPATH_MAX_CONNECTIONS} unchecked against the open-files limit, since a tool accepts no
   * connection: a WARN about it would only mislead.
   */
  private static Settings fromEnvironment(Map<String, String> env, boolean serving) {
    var r = new EnvReader(env);
    var b = new Builder();
    b.server = r.section(() -> ServerSettings.from(r));
    b.database = r.section(() -> DatabaseSettings.from(r));
    b.observability = r.section(() -> ObservabilitySettings.from(r));
    b.cache = r.section(() -> CacheSettings.from(r));
    b.accessLog = r.section(() -> AccessLogSettings.from(r));
    b.auth = r.section(() -> AuthSettings.from(r));
    b.limits = r.section(() -> LimitSettings.from(r));
    b.transport = r.section(() -> TransportSettings.from(r));
    b.compute = r.section(() -> ComputeSettings.from(r));
    b.admission = r.section(() -> AdmissionSettings.from(r));
    b.outside = r.section(() -> OutsideSettings.from(r));
    b.relay = r.section(() -> RelaySettings.from(r));
    b.backpressure = r.section(() -> BackpressureSettings.from(r));
    b.redis = r.section(() -> RedisSettings.from(r));
    b.replicas = r.section(() -> ReplicaSettings.from(r));
    b.grpc = r.section(() -> GrpcSettings.from(r));
    b.graphql = r.section(() -> GraphqlSettings.from(r));
    b.retention = r.section(() -> RetentionSettings.from(r));
    b.ops = r.section(() -> OpsSettings.from(r));
    if (b.server != null && b.grpc != null && b.ops != null) {
      portConflicts(b.server, b.grpc, b.ops).forEach(r::fail);
    }
    if (serving && b.limits != null) {
      b.limits =
          ConnectionMemory.fit(
              b.limits, Runtime.getRuntime().maxMemory(), r.isSet("MAX_CONNECTIONS"));
    }
    java.util.OptionalLong openFiles = serving ? OpenFiles.limit() : java.util.OptionalLong.empty();
    if (serving
        && openFiles.isPresent()
        && b.limits != null
        && b.database != null
        && b.replicas != null
        && b.ops != null) {
      b.limits =
          OpenFiles.fit(
              b.limits,
              openFiles.getAsLong(),
              OpenFiles.reserve(b.database, b.replicas, b.ops),
              r.isSet("MAX_CONNECTIONS"),
              r);
    }
    if (r.isSet("ADMIN_TOKEN")) {
      r.fail(
          PREFIX + "ADMIN_TOKEN is no longer used: admin routes need a JWT with the admin scope");
    }
    r.throwIfAny();
    return b.build();
  }

  /**
   * Settings for commands that do not serve HTTP (seed, rebuild): authentication is irrelevant to
   * them, so its settings are not required.
   */
  public static Settings forTools(Map<String, String> env) {
    Map<String, String> tools = new HashMap<>(env);
    tools.put(PREFIX + "AUTH", "off");
    return fromEnvironment(tools, false);
  }

  public static Settings defaults() {
    return fromEnvironment(Map.of());
  }

  /** A builder that starts from what {@code env} gives (see {@link #fromEnvironment}). */
  public static Builder builder(Map<String, String> env) {
    return fromEnvironment(env).toBuilder();
  }

  /** A builder that starts from these settings. */
  public Builder toBuilder() {
    var b = new Builder();
    b.server = server;
    b.database = database;
    b.observability = observability;
    b.cache = cache;
    b.accessLog = accessLog;
    b.auth = auth;
    b.limits = limits;
    b.transport = transport;
    b.compute = compute;
    b.admission = admission;
    b.outside = outside;
    b.relay = relay;
    b.backpressure = backpressure;
    b.redis = redis;
    b.replicas = replicas;
    b.grpc = grpc;
    b.graphql = graphql;
    b.retention = retention;
    b.ops = ops;
    return b;
  }

  /**
   * Settings with some sections, or single values, replaced. A section is a record that checked its
   * rules when it was made, and a single value is set by making its section anew, so nothing built
   * here skips a rule the environment's values must pass.
   */
  public static final class Builder {
    private ServerSettings server;
    private DatabaseSettings database;
    private ObservabilitySettings observability;
    private CacheSettings cache;
    private AccessLogSettings accessLog;
    private AuthSettings auth;
    private LimitSettings limits;
    private TransportSettings transport;
    private ComputeSettings compute;
    private AdmissionSettings admission;
    private OutsideSettings outside;
    private RelaySettings relay;
    private BackpressureSettings backpressure;
    private RedisSettings redis;
    private ReplicaSettings replicas;
    private GrpcSettings grpc;
    private GraphqlSettings graphql;
    private RetentionSettings retention;
    private OpsSettings ops;

    private Builder() {}

    /** The operations listener ({@code HOTPATH_OPS_PORT}, {@code HOTPATH_OPS_MAX_CONNECTIONS}). */
    public Builder ops(OpsSettings value) {
      ops = Objects.requireNonNull(value);
      return this;
    }

    /** Read replicas ({@code HOTPATH_DATABASE_REPLICA_URLS} and {@code HOTPATH_REPLICA_*}). */
    public Builder replicas(ReplicaSettings value) {
      replicas = Objects.requireNonNull(value);
      return this;
    }

    public Builder cache(CacheSettings value) {
      cache = Objects.requireNonNull(value);
      return this;
    }

    public Builder auth(AuthSettings value) {
      auth = Objects.requireNonNull(value);
      return this;
    }

    public Builder compute(ComputeSettings value) {
      compute = Objects.requireNonNull(value);
      return this;
    }

    public Builder retention(RetentionSettings value) {
      retention = Objects.requireNonNull(value);
      return this;
    }

    public Builder outside(OutsideSettings value) {
      outside = Objects.requireNonNull(value);
      return this;
    }

    /** Redis as shared cache level and rate limits ({@code HOTPATH_REDIS_URL}). */
    public Builder redisUrl(URI url) {
      redis = redis.withUrl(url);
      return this;
    }

    public Builder graphql(GraphqlSettings value) {
      graphql = Objects.requireNonNull(value);
      return this;
    }

    /** The HTTP port ({@code HOTPATH_PORT}). */
    public Builder port(int port) {
      server = server.withPort(port);
      return this;
    }

    /** The embedded database's folder ({@code HOTPATH_DATA_DIR}). */
    public Builder dataDir(Path dir) {
      database = database.withDataDir(dir);
      return this;
    }

    /** An external database ({@code HOTPATH_DATABASE_URL}). */
    public Builder databaseUrl(URI url) {
      database = database.withUrl(Optional.of(url));
      return this;
    }

    public Builder grpc(GrpcSettings value) {
      grpc = Objects.requireNonNull(value);
      return this;
    }

    public Settings build() {
      return new Settings(
          server,
          database,
          observability,
          cache,
          accessLog,
          auth,
          limits,
          transport,
          compute,
          admission,
          outside,
          relay,
          backpressure,
          redis,
          replicas,
          grpc,
          graphql,
          retention,
          ops);
    }
  }
}
