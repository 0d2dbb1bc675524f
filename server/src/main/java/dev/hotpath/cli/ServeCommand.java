package dev.hotpath.cli;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.outside.Service;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.ProgressBar;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.stubs.Stubs;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code hotpath serve}: runs the API until SIGTERM or Ctrl-C, then drains. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run the API (the default command).")
public final class ServeCommand implements Callable<Integer> {
  /** About 10k customers, 1k products and 200k orders: enough to feel real, seeded in seconds. */
  static final SeedPlan DEMO = new SeedPlan(10_000, 1_000, 200_000, 42);

  /** Knobs of the demo's stand-ins unless HOTPATH_STUB_* say otherwise: healthy, realistic. */
  static final String DEMO_PAYMENTS = "latency=normal,ms=15,sd=4";

  static final String DEMO_REVIEWS = "latency=longtail,ms=6,sd=2,tail=0.02,tail-ms=120";
  static final String DEMO_RECOMMENDATIONS = "latency=normal,ms=8,sd=2";

  @Option(
      names = "--demo",
      description = "Seed demo data on first start and print how to try the API.")
  boolean demo;

  @Option(names = "--port", description = "HTTP port (overrides HOTPATH_PORT).")
  Integer port;

  @Mixin DataDirOption dataDir = new DataDirOption();

  @Override
  public Integer call() throws Exception {
    Map<String, String> env = System.getenv();
    Optional<DevKeys> devKeys = Optional.empty();
    if (demo) {
      // the demo trusts a development key of its own, made on first start under the data folder
      Path dir = dataDir.resolve(env);
      devKeys = Optional.of(DevKeys.ensure(dir));
      env = devKeys.get().environment(env);
      // one user, and the benchmark scripts: one token from one address at tens of thousands of
      // requests a second; the client and address quotas rise to the global one unless set
      Map<String, String> demoEnv = new java.util.HashMap<>(env);
      String quota = Long.toString(dev.hotpath.config.AdmissionSettings.DEMO_QUOTA);
      demoEnv.putIfAbsent(Settings.PREFIX + "RATE_CLIENT", quota);
      demoEnv.putIfAbsent(Settings.PREFIX + "RATE_IP", quota);
      env = demoEnv;
    }
    Settings settings = Settings.fromEnvironment(env);
    Optional<Stubs> stubs = Optional.empty();
    if (demo && !settings.outside().any()) {
      // the demo's outside services are stand-ins in this process (HOTPATH_STUB_* knobs)
      stubs =
          Optional.of(
              Stubs.start(
                  "127.0.0.1",
                  0,
                  StubsCommand.knobs(
                      env.getOrDefault("HOTPATH_STUB_PAYMENTS", DEMO_PAYMENTS),
                      env.getOrDefault("HOTPATH_STUB_REVIEWS", DEMO_REVIEWS),
                      env.getOrDefault("HOTPATH_STUB_RECOMMENDATIONS", DEMO_RECOMMENDATIONS))));
      Stubs s = stubs.get();
      settings =
          settings.toBuilder()
              .outside(
                  settings
                      .outside()
                      .withUrls(
                          s.url(Service.PAYMENTS),
                          s.url(Service.REVIEWS),
                          s.url(Service.RECOMMENDATIONS)))
              .build();
    }
    if (port != null) {
      settings = settings.toBuilder().port(port).build();
    }
    settings = dataDir.applyTo(settings);
    PrintStream out = System.out;
    App.Database db = App.openDatabase(settings);
    if (demo && isEmpty(db)) {
      out.println(
          "First start: seeding demo data ("
              + DEMO.customers()
              + " customers, "
              + DEMO.products()
              + " products, "
              + DEMO.orders()
              + " orders)...");
      DataGenerator.seed(db.coordinates(), DEMO, new ProgressBar(System.err));
    }
    App app = App.start(settings, db);
    CountDownLatch stopped = new CountDownLatch(1);
    // Handle SIGTERM and SIGINT ourselves rather than in a shutdown hook: hooks run concurrently,
    // and the embedded PostgreSQL has a hook of its own that would stop the database while
    // in-flight requests still need it. Draining first, then exiting, keeps the order right.
    Optional<Stubs> standIns = stubs;
    Runnable drainAndExit =
        () -> {
          app.close();
          standIns.ifPresent(Stubs::close);
          stopped.countDown();
        };
    // the first signal drains (App.close: readiness 503, the shutdown delay, then the drain); a
    // second one while it runs changes nothing
    java.util.concurrent.atomic.AtomicBoolean draining =
        new java.util.concurrent.atomic.AtomicBoolean();
    for (String signal : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(signal),
          sig -> {
            if (draining.compareAndSet(false, true)) {
              new Thread(drainAndExit, "hotpath-drain").start();
            }
          });
    }
    String base = (settings.transport().tls() ? "https" : "http") + "://localhost:" + app.port();
    out.println();
    out.println("hotpath is up at " + base);
    out.println("  API docs:  " + base + "/docs   (contract: " + base + "/openapi.yaml)");
    sample(db, base, out, devKeys.filter(k -> app.settings().auth().enabled()));
    stubs.ifPresent(
        s ->
            out.println(
                "  outside:   stand-ins at "
                    + s.url(Service.PAYMENTS)
                    + " (payments), "
                    + s.url(Service.REVIEWS)
                    + " (reviews), "
                    + s.url(Service.RECOMMENDATIONS)
                    + " (recommendations); knobs: GET/PUT <url>/_stub/faults"));
    out.println("Stop with Ctrl-C (SIGTERM drains in-flight requests).");
    stopped.await();
    return 0;
  }

  private static boolean isEmpty(App.Database db) throws SQLException {
    try (Connection conn = db.coordinates().openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT NOT EXISTS (SELECT 1 FROM customers)")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Sample commands; with a development key, a token for the customer of the newest order (so the
   * samples also show that another customer's order is a 404) and how to mint others.
   */
  private static void sample(App.Database db, String base, PrintStream out, Optional<DevKeys> keys)
      throws SQLException {
    try (Connection conn = db.coordinates().openJdbc();
        Statement st = conn.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT id, customer_id FROM orders ORDER BY id DESC LIMIT 1")) {
      if (!rs.next()) {
        out.println("  try:       curl -s " + base + "/v1/products?limit=5");
        return;
      }
      long order = rs.getLong(1);
      long customer = rs.getLong(2);
      String auth = "";
      if (keys.isPresent()) {
        String token =
            keys.get()
                .mint(
                    "customer:" + customer,
                    List.of("customers:read", "orders:read", "orders:write"),
                    Duration.ofHours(12));
        out.println(
            "  token:     customer " + customer + ", valid 12 h (more: ./hotpath token --help)");
        auth = "-H 'Authorization: Bearer " + token + "' ";
      }
      out.println("  try:       curl -s " + auth + base + "/v1/orders/" + order);
      out.println(
          "             curl -s "
              + auth
              + "'"
              + base
              + "/v1/customers/"
              + customer
              + "/orders?limit=5&fields=id,status,total_minor'");
      out.println("             curl -s " + base + "/v1/products?limit=5   (public)");
      if (keys.isPresent()) {
        out.println(
            "  a service: TOKEN=$(./hotpath token --sub service:me --scope"
                + " service,customers:read,orders:read)");
      }
    }
  }
}
