package dev.hotpath.load;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hotpath load PROFILE --target URL}: open-model traffic against a running hotpath, a
 * Gatling report, and a summary naming the knee. Exit status: 0 done, 1 an SLO broke and {@code
 * --assert} was given, 2 bad arguments or unreachable target, 3 Gatling failed.
 */
@Command(
    name = "hotpath load",
    mixinStandardHelpOptions = true,
    version = "hotpath-load 0.1.0",
    description = {
      "Sends open-model traffic (arrivals per second, independent of the answers) to a hotpath"
          + " server and reports, per request class, the highest rate at which its SLO held.",
      "Profiles: smoke (short, constant), ramp (+10%% per step until an SLO breaks),"
          + " soak (long, constant, judged per window), spike (5x at once, then back)."
    })
public final class LoadMain implements Callable<Integer> {
  /** Default base rates (requests per second) per profile. */
  private static final Map<Profile, Double> RATES =
      Map.of(Profile.SMOKE, 20.0, Profile.RAMP, 50.0, Profile.SOAK, 100.0, Profile.SPIKE, 50.0);

  /**
   * The scopes a token needs for every request class of the default mix (reads of customers too);
   * the help text advertises them and the smoke test mints its token with them.
   */
  public static final String TOKEN_SCOPES =
      "service,customers:read,customers:write,orders:read,orders:write";

  private static final Duration LONGEST_SOAK = Duration.ofHours(24);

  @Parameters(index = "0", paramLabel = "PROFILE", description = "smoke, ramp, soak or spike")
  String profile;

  @Option(
      names = "--target",
      defaultValue = "http://localhost:8080",
      description = "Base URL of the server (default ${DEFAULT-VALUE}).")
  URI target;

  @Option(
      names = "--rate",
      description =
          "Base arrival rate, requests/s (default: smoke 20, ramp 50 (first step), soak 100,"
              + " spike 50 (before and after the spike)).")
  Double rate;

  @Option(
      names = "--duration",
      description = "Judged length of smoke (default 20s) and soak (default 10m, at most 24h).")
  String duration;

  @Option(
      names = "--warmup",
      defaultValue = "5s",
      description = "Warm-up at the base rate, reported but not judged (default ${DEFAULT-VALUE}).")
  String warmup;

  @Option(
      names = "--step",
      description =
          "Step length: ramp steps (default 20s), soak windows (60s), spike phases (30s).")
  String step;

  @Option(
      names = "--growth",
      defaultValue = "0.10",
      description = "Ramp: rate growth per step (default ${DEFAULT-VALUE} = +10%%).")
  double growth;

  @Option(
      names = "--max-steps",
      defaultValue = "30",
      description = "Ramp: steps at most (default ${DEFAULT-VALUE}).")
  int maxSteps;

  @Option(
      names = "--spike-factor",
      defaultValue = "5",
      description = "Spike: multiple of the base rate (default ${DEFAULT-VALUE}).")
  double spikeFactor;

  @Option(
      names = "--mix",
      defaultValue = "reads=60,writes=30,lists=10",
      description =
          "Traffic shares in percent, or a named mix: default, read-heavy (90/5/5),"
              + " write-heavy (30/60/10), browse (40/10/50) (default ${DEFAULT-VALUE}).")
  String mix;

  @Option(
      names = "--customers",
      defaultValue = "10000",
      description = "Customer ids 1..N (default ${DEFAULT-VALUE}, the demo data).")
  int customers;

  @Option(
      names = "--products",
      defaultValue = "1000",
      description = "Product ids 1..N (default ${DEFAULT-VALUE}).")
  int products;

  @Option(
      names = "--orders",
      defaultValue = "200000",
      description = "Order ids 1..N (default ${DEFAULT-VALUE}).")
  int orders;

  @Option(
      names = "--skew",
      defaultValue = "0.99",
      description = "Zipf exponent of the id choice; 0 is uniform (default ${DEFAULT-VALUE}).")
  double skew;

  @Option(
      names = "--token",
      description =
          "Bearer token sent with every request (default $HOTPATH_LOAD_TOKEN; mint one with"
              + " ./hotpath token --sub service:load --scope "
              + TOKEN_SCOPES
              + ").")
  String token;

  @Option(names = "--slo", description = "SLO file (default $HOTPATH_SLO_FILE, else ops/slo.yaml).")
  Path slo;

  @Option(
      names = "--error-budget",
      defaultValue = "0.01",
      description = "Share of errors a step may have and still hold (default ${DEFAULT-VALUE}).")
  double errorBudget;

  @Option(
      names = "--results",
      description = "Folder for reports (default $HOTPATH_LOAD_RESULTS, else load-results).")
  Path results;

  @Option(
      names = "--request-timeout",
      defaultValue = "10s",
      description = "A request without an answer by then is an error (default ${DEFAULT-VALUE}).")
  String requestTimeout;

  @Option(
      names = "--metrics-every",
      defaultValue = "2s",
      description = "How often /metrics is read during the run (default ${DEFAULT-VALUE}).")
  String metricsEvery;

  @Option(names = "--assert", description = "Exit with status 1 when any SLO broke.")
  boolean assertSlo;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with one-line errors for bad arguments and unreachable targets. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new LoadMain());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            commandLine.getErr().println("hotpath load: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli;
  }

  @Override
  public Integer call() {
    String bearer = token != null ? token : System.getenv("HOTPATH_LOAD_TOKEN");
    if (bearer != null && !bearer.isBlank()) {
      System.setProperty(HotpathSimulation.TOKEN_PROPERTY, bearer.trim());
    }
    plan(List.of("any")); // every flag is checked before the target is asked anything
    LoadPlan plan = plan(Catalogue.categories(target));
    LoadRun.Result result = LoadRun.execute(plan, System.out);
    if (result.gatlingStatus() != 0) {
      System.err.println("hotpath load: Gatling ended with status " + result.gatlingStatus());
      return 3;
    }
    if (assertSlo && result.summary().breached()) {
      System.err.println("hotpath load: SLO breached (--assert)");
      return 1;
    }
    return 0;
  }

  /** The plan these arguments describe, with the target's categories. */
  LoadPlan plan(List<String> categories) {
    Profile p = Profile.fromName(profile);
    Duration judged =
        Optional.ofNullable(duration)
            .map(Durations::parse)
            .orElse(p == Profile.SOAK ? Duration.ofMinutes(10) : Duration.ofSeconds(20));
    if (judged.compareTo(LONGEST_SOAK) > 0) {
      throw new IllegalArgumentException("--duration must be at most 24h, was " + duration);
    }
    Duration stepLength =
        Optional.ofNullable(step)
            .map(Durations::parse)
            .orElse(
                switch (p) {
                  case SOAK -> Duration.ofSeconds(60);
                  case SPIKE -> Duration.ofSeconds(30);
                  default -> Duration.ofSeconds(20);
                });
    Profile.Shape shape =
        new Profile.Shape(
            rate != null ? rate : RATES.get(p),
            Durations.parse(warmup),
            judged,
            stepLength,
            growth,
            maxSteps,
            spikeFactor);
    Path sloFile =
        slo != null
            ? slo
            : Path.of(
                Optional.ofNullable(System.getenv("HOTPATH_SLO_FILE")).orElse("ops/slo.yaml"));
    Path resultsDir =
        results != null
            ? results
            : Path.of(
                Optional.ofNullable(System.getenv("HOTPATH_LOAD_RESULTS")).orElse("load-results"));
    return new LoadPlan(
        target,
        p,
        p.steps(shape),
        Mix.parse(mix),
        new IdSpace(customers, products, orders, skew),
        categories,
        SloSet.load(sloFile),
        sloFile.toString(),
        errorBudget,
        resultsDir,
        Durations.parse(requestTimeout),
        Durations.parse(metricsEvery));
  }
}
