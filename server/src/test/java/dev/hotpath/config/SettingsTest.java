package dev.hotpath.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void defaultsAreUsable() {
    Settings s = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    assertThat(s.server().port()).isEqualTo(8080);
    assertThat(s.database().url()).isEmpty();
    assertThat(s.server().bodyLimit()).isEqualTo(1024 * 1024);
    assertThat(s.database().poolSize()).isGreaterThanOrEqualTo(4);
  }

  @Test
  void readsEverySetting() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_PORT", "9090",
                "HOTPATH_DATABASE_URL", "postgresql://app:secret@db.internal:6543/shop",
                "HOTPATH_DB_POOL_SIZE", "12",
                "HOTPATH_DATA_DIR", "/var/lib/hotpath",
                "HOTPATH_CURSOR_SECRET", "a-long-enough-cursor-secret",
                "HOTPATH_AUTH", "off"));
    assertThat(s.server().port()).isEqualTo(9090);
    assertThat(s.database().url())
        .get()
        .hasToString("postgresql://app:secret@db.internal:6543/shop");
    assertThat(s.database().poolSize()).isEqualTo(12);
    assertThat(s.database().dataDir()).hasToString("/var/lib/hotpath");
  }

  @Test
  void shutdownServesForTheDelayThenDrainsWithinTheGrace() {
    Settings defaults = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    assertThat(defaults.server().shutdownDelay()).hasMillis(5_000);
    assertThat(defaults.server().shutdownGrace()).hasMillis(10_000);
    Settings set =
        Settings.fromEnvironment(
            Map.of("HOTPATH_AUTH", "off", "HOTPATH_SHUTDOWN_DELAY_MS", "15000"));
    assertThat(set.server().shutdownDelay()).hasSeconds(15);
    assertThat(set.toBuilder().port(1).build().server().shutdownDelay()).hasSeconds(15);
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_SHUTDOWN_DELAY_MS", "-1")))
        .hasMessageContaining("HOTPATH_SHUTDOWN_DELAY_MS");
  }

  @Test
  void namesEveryBadSettingInOneMessage() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_PORT", "http",
                        "HOTPATH_DB_POOL_SIZE", "0",
                        "HOTPATH_DATABASE_URL", "mysql://x/y",
                        "HOTPATH_CURSOR_SECRET", "short")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_PORT=http is not a whole number")
        .hasMessageContaining("HOTPATH_DB_POOL_SIZE=0 is out of range")
        .hasMessageContaining("HOTPATH_DATABASE_URL must look like postgresql://")
        .hasMessageContaining("HOTPATH_CURSOR_SECRET must be at least 16 characters");
  }

  @Test
  void readsTheCacheAndCompressionSettings() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_CACHE_MAX_MB", "64",
                "HOTPATH_CACHE_TTL_MS", "30000",
                "HOTPATH_CACHE_NEGATIVE_TTL_MS", "500",
                "HOTPATH_GZIP_MIN_BYTES", "2048",
                "HOTPATH_AUTH", "off"));
    assertThat(s.cache().maxBytes()).isEqualTo(64L * 1024 * 1024);
    assertThat(s.cache().ttl()).hasMillis(30_000);
    assertThat(s.cache().negativeTtl()).hasMillis(500);
    assertThat(s.server().gzipMinBytes()).isEqualTo(2048);
  }

  @Test
  void theDefaultCacheIsAnEighthOfTheHeapWithAMinuteToLive() {
    Settings s = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    long heap = Runtime.getRuntime().maxMemory();
    assertThat(s.cache().maxBytes()).isBetween(16L * 1024 * 1024, Math.max(16L << 20, heap / 8));
    assertThat(s.cache().ttl()).hasSeconds(60);
    assertThat(s.cache().negativeTtl()).hasSeconds(2);
    assertThat(s.server().gzipMinBytes()).isEqualTo(1024);
  }

  @Test
  void aNegativeTtlLongerThanTheTtlIsRefusedWithTheOtherBadCacheSettings() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_CACHE_MAX_MB", "-1",
                        "HOTPATH_CACHE_TTL_MS", "5000",
                        "HOTPATH_CACHE_NEGATIVE_TTL_MS", "6000",
                        "HOTPATH_GZIP_MIN_BYTES", "-1")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_CACHE_MAX_MB=-1 is out of range")
        .hasMessageContaining(
            "HOTPATH_CACHE_NEGATIVE_TTL_MS=6000 must not exceed HOTPATH_CACHE_TTL_MS=5000")
        .hasMessageContaining("HOTPATH_GZIP_MIN_BYTES=-1 is out of range");
  }

  @Test
  void authenticationIsOnByDefaultAndThenNeedsAKeySetAnIssuerAndAnAudience() {
    assertThatThrownBy(() -> Settings.fromEnvironment(Map.of()))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining(
            "HOTPATH_JWKS (a file or http(s) URL of the signing keys) is required")
        .hasMessageContaining("HOTPATH_JWT_ISSUER is required")
        .hasMessageContaining("HOTPATH_JWT_AUDIENCE is required");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_JWKS", "/nonexistent/jwks.json",
                        "HOTPATH_JWT_ISSUER", "i",
                        "HOTPATH_JWT_AUDIENCE", "a")))
        .hasMessageContaining("HOTPATH_JWKS=/nonexistent/jwks.json is not a readable file");
    Settings withUrl =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_JWKS", "https://issuer.example/.well-known/jwks.json",
                "HOTPATH_JWT_ISSUER", "https://issuer.example",
                "HOTPATH_JWT_AUDIENCE", "hotpath"));
    assertThat(withUrl.auth().enabled()).isTrue();
    assertThat(withUrl.auth().refreshFloor()).hasSeconds(30);
  }

  @Test
  void theStaticAdminTokenIsRefusedWithAPointerToTheAdminScope() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_ADMIN_TOKEN", "0123456789abcdef0")))
        .hasMessageContaining("HOTPATH_ADMIN_TOKEN is no longer used");
  }

  /**
   * {@code HOTPATH_MAX_CONNECTIONS} stays below the process's open-files limit less a reserve for
   * the database connections, files and clients: set above it, start-up stops naming it; its
   * default above it (a limit of 4,096) is lowered to fit. Before, 10,000 was taken under any
   * limit, and connections past the limit failed to open with the database's and the log's.
   */
  @Test
  void maxConnectionsFitsTheOpenFilesLimit() {
    long limit = OpenFiles.limit().orElseThrow();
    org.junit.jupiter.api.Assumptions.assumeTrue(limit <= 1_000_000, "limit above the range");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_MAX_CONNECTIONS", Long.toString(limit))))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_MAX_CONNECTIONS=" + limit + ": ")
        .hasMessageContaining("open-files limit (ulimit -n) is " + limit)
        .hasMessageContaining("set it to at most");
    // the tools (migrate, seed, rebuild) accept no connection: the setting is not checked there
    assertThat(
            Settings.forTools(Map.of("HOTPATH_MAX_CONNECTIONS", Long.toString(limit)))
                .limits()
                .maxConnections())
        .isEqualTo((int) limit);
    Settings defaults = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    long reserve = OpenFiles.reserve(defaults.database(), defaults.replicas(), defaults.ops());
    assertThat(defaults.limits().maxConnections()).isLessThanOrEqualTo((int) (limit - reserve));
    // a default above a small limit is lowered to fit it; a value set above it is refused
    EnvReader quiet = new EnvReader(Map.of());
    LimitSettings lowered = OpenFiles.fit(defaults.limits(), 4096, reserve, false, quiet);
    assertThat(lowered.maxConnections()).isEqualTo((int) (4096 - reserve));
    quiet.throwIfAny();
    EnvReader set = new EnvReader(Map.of());
    OpenFiles.fit(defaults.limits(), 4096, reserve, true, set);
    assertThatThrownBy(set::throwIfAny)
        .hasMessageContaining("set it to at most " + (4096 - reserve));
  }

  /**
   * The default bound on connections fits the heap: a quarter of it at 16 KiB per connection (a
   * connection with a request in progress measured 13.3 KiB), so that connections cannot fill the
   * heap; a value set above that is kept (a deployment may know better) with a WARN.
   */
  @Test
  void maxConnectionsFitsTheHeap() {
    LimitSettings defaults = Settings.forTools(Map.of()).limits();
    assertThat(defaults.maxConnections()).isEqualTo(10_000);
    // the launcher's heap, 224 MiB: 3,584 connections
    assertThat(ConnectionMemory.fit(defaults, 224L << 20, false).maxConnections()).isEqualTo(3_584);
    // a heap large enough keeps the default; a tiny one still allows some
    assertThat(ConnectionMemory.fit(defaults, 1L << 30, false).maxConnections()).isEqualTo(10_000);
    assertThat(ConnectionMemory.fit(defaults, 1L << 20, false).maxConnections())
        .isEqualTo(ConnectionMemory.LEAST);
    // set explicitly above it: kept
    assertThat(ConnectionMemory.fit(defaults, 224L << 20, true).maxConnections()).isEqualTo(10_000);
    // serve's settings apply it to this JVM's heap
    assertThat(Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).limits().maxConnections())
        .isLessThanOrEqualTo(ConnectionMemory.bound(Runtime.getRuntime().maxMemory()));
  }

  @Test
  void readsAndBoundsEveryInputLimit() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_AUTH", "off",
                "HOTPATH_MAX_URL_BYTES", "4096",
                "HOTPATH_MAX_HEADER_COUNT", "50",
                "HOTPATH_REQUEST_TIMEOUT_MS", "2500",
                "HOTPATH_MAX_CONNECTIONS", "7"));
    assertThat(s.limits().maxUrlBytes()).isEqualTo(4096);
    assertThat(s.limits().maxHeaderCount()).isEqualTo(50);
    assertThat(s.limits().requestTimeout()).hasMillis(2500);
    assertThat(s.limits().maxConnections()).isEqualTo(7);
    assertThat(s.limits().jsonMaxDepth()).isEqualTo(32);
    assertThat(s.limits().jsonMaxArray()).isEqualTo(1000);
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_MAX_HEADER_BYTES", "10",
                        "HOTPATH_JSON_MAX_ARRAY", "999",
                        "HOTPATH_JSON_MAX_DEPTH", "1000",
                        "HOTPATH_IDLE_TIMEOUT_MS", "soon",
                        "HOTPATH_JWKS_REFRESH_MS", "1000",
                        "HOTPATH_JWKS_REFRESH_FLOOR_MS", "5000")))
        .hasMessageContaining("HOTPATH_MAX_HEADER_BYTES=10 is out of range")
        .hasMessageContaining("HOTPATH_JSON_MAX_ARRAY=999 is out of range")
        .hasMessageContaining("HOTPATH_JSON_MAX_DEPTH=1000 is out of range")
        .hasMessageContaining("HOTPATH_IDLE_TIMEOUT_MS=soon is not a whole number")
        .hasMessageContaining(
            "HOTPATH_JWKS_REFRESH_FLOOR_MS=5000 must not exceed HOTPATH_JWKS_REFRESH_MS=1000");
  }

  @Test
  void tlsNeedsACertificateAndAKeyTogether() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_TLS_CERT", "/nonexistent/cert.pem")))
        .hasMessageContaining("HOTPATH_TLS_CERT and HOTPATH_TLS_KEY must be set together")
        .hasMessageContaining("HOTPATH_TLS_CERT=/nonexistent/cert.pem is not a readable file");
  }

  @Test
  void readsTheComputeBoundsAndRefusesABackoffBaseAboveItsCap() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_AUTH", "off",
                "HOTPATH_IDEMPOTENCY_TTL_S", "3600",
                "HOTPATH_JOB_WORKERS", "8",
                "HOTPATH_OUTBOX_BATCH", "500",
                "HOTPATH_IMPORT_CHUNK_LINES", "2000"));
    assertThat(s.compute().idempotencyTtl()).hasHours(1);
    assertThat(s.compute().jobWorkers()).isEqualTo(8);
    assertThat(s.compute().outboxBatch()).isEqualTo(500);
    assertThat(s.compute().importChunkLines()).isEqualTo(2000);
    assertThat(Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off")).compute().idempotencyTtl())
        .hasHours(24);
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_JOB_BACKOFF_BASE_MS", "5000",
                        "HOTPATH_JOB_BACKOFF_CAP_MS", "1000",
                        "HOTPATH_JOB_WORKERS", "0")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining(
            "HOTPATH_JOB_BACKOFF_BASE_MS must not exceed HOTPATH_JOB_BACKOFF_CAP_MS")
        .hasMessageContaining("HOTPATH_JOB_WORKERS=0 is out of range");
  }

  @Test
  void theBuilderChangesSettingsThroughTheSameRulesAsTheEnvironment() {
    Settings base = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    Settings changed =
        base.toBuilder()
            .port(0)
            .dataDir(java.nio.file.Path.of("/tmp/elsewhere"))
            .databaseUrl(java.net.URI.create("postgresql://u:p@db:5432/x"))
            .build();
    assertThat(changed.server().port()).isZero();
    assertThat(changed.database().dataDir()).hasToString("/tmp/elsewhere");
    assertThat(changed.database().url()).get().hasToString("postgresql://u:p@db:5432/x");
    assertThat(changed.compute()).isEqualTo(base.compute());
    assertThat(base.server().port()).as("the original is frozen").isEqualTo(8080);

    assertThatThrownBy(() -> base.toBuilder().port(70_000))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_PORT=70000 is out of range [0, 65535]");
    assertThatThrownBy(
            () -> base.toBuilder().databaseUrl(java.net.URI.create("mysql://db/x")).build())
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_DATABASE_URL must look like postgresql://");
    assertThatThrownBy(
            () ->
                new AuthSettings(
                    true,
                    java.util.Optional.empty(),
                    java.util.Optional.of("i"),
                    java.util.Optional.empty(),
                    java.time.Duration.ofSeconds(1),
                    java.time.Duration.ofSeconds(5),
                    java.time.Duration.ZERO,
                    100,
                    1,
                    100))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining(
            "HOTPATH_JWKS (a file or http(s) URL of the signing keys) is required")
        .hasMessageContaining("HOTPATH_JWT_AUDIENCE is required")
        .hasMessageContaining(
            "HOTPATH_JWKS_REFRESH_FLOOR_MS=5000 must not exceed HOTPATH_JWKS_REFRESH_MS=1000");
  }

  @Test
  void theOperationsListenerIsOffUnlessAPortOfItsOwnIsNamed() {
    Settings defaults = Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off"));
    assertThat(defaults.ops().enabled()).isFalse();
    assertThat(defaults.ops().maxConnections()).isEqualTo(32);
    Settings set =
        Settings.fromEnvironment(
            Map.of(
                "HOTPATH_AUTH", "off",
                "HOTPATH_OPS_PORT", "8081",
                "HOTPATH_OPS_MAX_CONNECTIONS", "8"));
    assertThat(set.ops().port()).isEqualTo(8081);
    assertThat(set.ops().maxConnections()).isEqualTo(8);
    assertThat(set.ops().enabled()).isTrue();
    // its connections and its pool's two count against the open-files limit with the API's
    assertThat(OpenFiles.reserve(set.database(), set.replicas(), set.ops()))
        .isEqualTo(
            OpenFiles.reserve(defaults.database(), defaults.replicas(), defaults.ops()) + 10);
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_OPS_PORT", "70000",
                        "HOTPATH_OPS_MAX_CONNECTIONS", "0")))
        .hasMessageContaining("HOTPATH_OPS_PORT=70000 is out of range [0, 65535]")
        .hasMessageContaining("HOTPATH_OPS_MAX_CONNECTIONS=0 is out of range [1, 1024]");
  }

  @Test
  void aPortNamedForTwoListenersIsRefusedNamingBoth() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off", "HOTPATH_PORT", "9000", "HOTPATH_OPS_PORT", "9000")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_OPS_PORT=9000 must differ from HOTPATH_PORT=9000");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_GRPC_PORT", "9095",
                        "HOTPATH_OPS_PORT", "9095")))
        .hasMessageContaining("HOTPATH_OPS_PORT=9095 must differ from HOTPATH_GRPC_PORT=9095");
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of("HOTPATH_AUTH", "off", "HOTPATH_GRPC_PORT", "8080")))
        .hasMessageContaining("HOTPATH_GRPC_PORT=8080 must differ from HOTPATH_PORT=8080");
    // the builder (serve --port) goes through the same rule
    Settings ops =
        Settings.fromEnvironment(Map.of("HOTPATH_AUTH", "off", "HOTPATH_OPS_PORT", "9001"));
    assertThatThrownBy(() -> ops.toBuilder().port(9001).build())
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_OPS_PORT=9001 must differ from HOTPATH_PORT=9001");
    // 0 is off (ops, gRPC) or a free port picked at start (HTTP): no conflict
    assertThat(ops.toBuilder().port(0).build().server().port()).isZero();
  }

  @Test
  void rulesOfSeveralSectionsAreNamedTogether() {
    assertThatThrownBy(
            () ->
                Settings.fromEnvironment(
                    Map.of(
                        "HOTPATH_AUTH", "off",
                        "HOTPATH_CURSOR_SECRET", "short",
                        "HOTPATH_TLS_KEY", "/nonexistent/key.pem",
                        "HOTPATH_BREAKER_WINDOW", "10",
                        "HOTPATH_BREAKER_MIN_CALLS", "20",
                        "HOTPATH_OUTSIDE_BACKOFF_BASE_MS", "500",
                        "HOTPATH_OUTSIDE_BACKOFF_CAP_MS", "100",
                        "HOTPATH_ADMISSION_MIN_LIMIT", "50",
                        "HOTPATH_ADMISSION_MAX_LIMIT", "40")))
        .isInstanceOf(InvalidSettingsException.class)
        .hasMessageContaining("HOTPATH_CURSOR_SECRET must be at least 16 characters")
        .hasMessageContaining("HOTPATH_TLS_CERT and HOTPATH_TLS_KEY must be set together")
        .hasMessageContaining("HOTPATH_TLS_KEY=/nonexistent/key.pem is not a readable file")
        .hasMessageContaining(
            "HOTPATH_BREAKER_MIN_CALLS=20 must not exceed HOTPATH_BREAKER_WINDOW=10")
        .hasMessageContaining(
            "HOTPATH_OUTSIDE_BACKOFF_BASE_MS must not exceed HOTPATH_OUTSIDE_BACKOFF_CAP_MS")
        .hasMessageContaining(
            "HOTPATH_ADMISSION_MIN_LIMIT=50 must not exceed HOTPATH_ADMISSION_MAX_LIMIT=40");
  }
}
