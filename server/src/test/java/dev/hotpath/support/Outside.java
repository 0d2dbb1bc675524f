package dev.hotpath.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.outside.Dependency;
import dev.hotpath.outside.Service;
import dev.hotpath.stubs.Faults;
import dev.hotpath.stubs.StubServer;
import dev.hotpath.stubs.Stubs;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.HashMap;
import java.util.Map;

/**
 * The outside services of the test run: the stand-ins (one set per test JVM, on loopback, healthy
 * unless a test sets their knobs) and second instances of the test server whose outside services
 * are those stand-ins, with breakers and backoffs short enough for tests.
 */
public final class Outside implements AutoCloseable {
  private static Stubs stubs;

  /** Settings that make faults and recoveries quick to see. */
  public static final Map<String, String> QUICK =
      Map.ofEntries(
          Map.entry("HOTPATH_EVENT_LOOPS", "2"),
          Map.entry("HOTPATH_DB_POOL_SIZE", "4"),
          Map.entry("HOTPATH_COMPUTE_POOL_SIZE", "2"),
          Map.entry("HOTPATH_JOB_POLL_MS", "50"),
          Map.entry("HOTPATH_JOB_BACKOFF_BASE_MS", "20"),
          Map.entry("HOTPATH_JOB_BACKOFF_CAP_MS", "200"),
          Map.entry("HOTPATH_PAYMENTS_JOB_ATTEMPTS", "1000"),
          Map.entry("HOTPATH_PAYMENTS_JOB_TIMEOUT_MS", "300"),
          Map.entry("HOTPATH_BREAKER_WINDOW", "20"),
          Map.entry("HOTPATH_BREAKER_MIN_CALLS", "5"),
          Map.entry("HOTPATH_BREAKER_OPEN_MS", "300"),
          Map.entry("HOTPATH_BREAKER_PROBES", "2"),
          Map.entry("HOTPATH_SHUTDOWN_GRACE_MS", "1000"));

  private final App app;
  private final Api api;

  private Outside(App app) {
    this.app = app;
    this.api = Api.at("http://localhost:" + app.port());
  }

  /** The stand-ins, started on first use; their knobs and counters reset. */
  public static synchronized Stubs stubs() {
    if (stubs == null) {
      stubs = Stubs.start("127.0.0.1", 0, Map.of());
      Stubs started = stubs;
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stubs-stop"));
    }
    return stubs;
  }

  /**
   * A second instance of the test server (same database) calling the stand-ins, with {@link #QUICK}
   * settings and then {@code extra}. The stand-ins are reset to healthy.
   */
  public static Outside start(Map<String, String> extra) {
    Stubs s = stubs();
    s.reset();
    Map<String, String> env = new HashMap<>(QUICK);
    env.put("HOTPATH_PAYMENTS_URL", s.url(Service.PAYMENTS).toString());
    env.put("HOTPATH_REVIEWS_URL", s.url(Service.REVIEWS).toString());
    env.put("HOTPATH_RECOMMENDATIONS_URL", s.url(Service.RECOMMENDATIONS).toString());
    env.putAll(extra);
    Settings settings = TestServer.get().secondInstance(env);
    return new Outside(App.start(settings));
  }

  public App app() {
    return app;
  }

  /** A client of this instance, validating every response against the contract. */
  public Api api() {
    return api;
  }

  /** The stand-in of {@code service}. */
  public StubServer stub(Service service) {
    return stubs().server(service);
  }

  /** Sets the knobs of a stand-in ({@code key=value,...}; empty: healthy). */
  public void faults(Service service, String knobs) {
    stub(service).faults(Faults.HEALTHY.with(knobs));
  }

  /** This instance's view of {@code service}. */
  public Dependency dependency(Service service) {
    return app.outside().get(service).orElseThrow();
  }

  public CircuitBreaker.State breaker(Service service) {
    return dependency(service).breaker().getState();
  }

  /** The value of one sample of this instance's /metrics, e.g. {@code name{a="b",c="d"}}. */
  public double metric(String sample) {
    Api.Response r = api.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    for (String line : r.body().split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Double.parseDouble(line.substring(sample.length() + 1).trim().split(" ")[0]);
      }
    }
    throw new AssertionError("no sample " + sample + " in /metrics");
  }

  @Override
  public void close() {
    app.close();
    stubs().reset();
  }
}
