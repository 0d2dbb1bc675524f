package dev.hotpath.load;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One run of the harness: samples {@code /metrics}, runs Gatling in this JVM with {@link
 * HotpathSimulation}, judges each step as it ends (a ramp stops at its first breach), then writes
 * the summary next to Gatling's report. One run at a time per JVM (Gatling finds its plan through
 * {@link #current()}).
 */
public final class LoadRun {
  /** How long after a step ends its stragglers may still answer before the step is judged. */
  private static final long SETTLE_MILLIS = 2_000;

  private static volatile LoadRun current;

  private final LoadPlan plan;
  private final Recorder recorder;
  private final KneeFinder finder;
  private final PrintStream out;
  private final ScheduledExecutorService judge;

  private LoadRun(LoadPlan plan, PrintStream out) {
    this.plan = plan;
    this.recorder = new Recorder(plan.steps());
    this.finder = new KneeFinder(plan.slos(), plan.errorBudget());
    this.out = out;
    this.judge =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hotpath-step-judge");
              t.setDaemon(true);
              return t;
            });
  }

  /** The run in progress, for {@link HotpathSimulation}. */
  static LoadRun current() {
    LoadRun run = current;
    if (run == null) {
      throw new IllegalStateException("HotpathSimulation runs only inside LoadRun.execute");
    }
    return run;
  }

  LoadPlan plan() {
    return plan;
  }

  Recorder recorder() {
    return recorder;
  }

  /** What a run produced: Gatling's exit status and the summary (with where it was written). */
  public record Result(int gatlingStatus, Summary summary, Path summaryPage) {}

  /**
   * Runs {@code plan} to its end (or its first breach, for a ramp) and writes the summary.
   *
   * @throws IllegalStateException when another run is in progress in this JVM
   */
  public static synchronized Result execute(LoadPlan plan, PrintStream out) {
    if (current != null) {
      throw new IllegalStateException("a load run is already in progress in this JVM");
    }
    LoadRun run = new LoadRun(plan, out);
    current = run;
    try {
      return run.go();
    } finally {
      current = null;
      run.judge.shutdownNow();
    }
  }

  private Result go() {
    configureGatling();
    try {
      Files.createDirectories(plan.resultsDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + plan.resultsDir(), e);
    }
    out.printf(
        Locale.ROOT,
        "hotpath load %s against %s: %d steps, up to %ds; mix %s; ids %s; SLOs from %s%n",
        plan.profile().key(),
        plan.target(),
        plan.steps().size(),
        plan.duration().toSeconds(),
        plan.mix(),
        plan.ids(),
        plan.sloSource());
    Instant startedAt = Instant.now();
    long before = System.currentTimeMillis();
    int status;
    List<MetricsSampler.Sample> samples;
    String exposure;
    try (MetricsSampler sampler = new MetricsSampler(plan.target(), plan.metricsEvery())) {
      sampler.start();
      status = runGatling();
      sampler.sampleOnce();
      samples = sampler.samples();
      exposure = sampler.exposure();
    }
    Optional<Path> report = newestReport(before);
    Summary summary = summarize(startedAt, samples, exposure, report);
    Path dir =
        report
            .map(Path::getParent)
            .orElse(plan.resultsDir().resolve("hotpath-" + plan.profile().key() + "-" + before));
    Path page = SummaryWriter.write(summary, dir);
    out.print(SummaryWriter.text(summary));
    report.ifPresent(p -> out.println("Gatling report: " + p.toAbsolutePath()));
    out.println("Summary: " + page.toAbsolutePath() + " (and summary.json)");
    return new Result(status, summary, page);
  }

  private int runGatling() {
    try {
      return io.gatling.app.Gatling$.MODULE$.fromArgs(
          new String[] {
            "-s",
            HotpathSimulation.class.getName(),
            "-rf",
            plan.resultsDir().toAbsolutePath().toString(),
            "-rd",
            "hotpath " + plan.profile().key() + " against " + plan.target(),
            "-l",
            "hotpath-load"
          });
    } catch (RuntimeException | LinkageError e) {
      out.println("Gatling crashed: " + e);
      return 3;
    }
  }

  Summary summarize(
      Instant startedAt,
      List<MetricsSampler.Sample> samples,
      String exposure,
      Optional<Path> report) {
    List<StepResult> all = recorder.results();
    Knee knee = finder.find(all);
    // after an early stop, the few seconds of the next step sent before it took effect say nothing
    int last =
        recorder.stopReason().isPresent()
            ? knee.breachStep().map(Step::index).orElse(Integer.MAX_VALUE)
            : Integer.MAX_VALUE;
    List<StepResult> results = all.stream().filter(r -> r.step().index() <= last).toList();
    List<Map<RequestClass, Verdict>> verdicts = results.stream().map(finder::judge).toList();
    List<List<Resources.Reading>> perStep = new ArrayList<>();
    for (StepResult r : results) {
      perStep.add(Resources.read(window(samples, r.step())));
    }
    Optional<Step> moment =
        knee.breachStep()
            .or(() -> results.isEmpty() ? Optional.empty() : Optional.of(results.getLast().step()));
    List<MetricsSampler.Sample> at = moment.map(st -> window(samples, st)).orElse(List.of());
    return new Summary(
        plan.profile(),
        plan.target().toString(),
        plan.sloSource(),
        plan.errorBudget(),
        startedAt,
        results,
        verdicts,
        perStep,
        knee,
        Resources.read(at),
        Resources.loadGeneratorCpu(at),
        exposure,
        recorder.stopReason(),
        report);
  }

  private List<MetricsSampler.Sample> window(List<MetricsSampler.Sample> samples, Step step) {
    long start = recorder.startMillis();
    return Resources.window(
        samples, start + step.offset().toMillis(), start + step.end().toMillis());
  }

  /** Called by the simulation as injection starts: steps count from now, and are judged live. */
  void started() {
    long now = System.currentTimeMillis();
    recorder.markStart(now);
    for (Step step : plan.steps()) {
      judge.schedule(
          () -> judgeStep(step), step.end().toMillis() + SETTLE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void judgeStep(Step step) {
    if (recorder.stopReason().isPresent()) {
      return;
    }
    StepResult result = recorder.result(step.index());
    Map<RequestClass, Verdict> verdicts = finder.judge(result);
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "  %-10s offered %7.1f/s achieved %7.1f/s",
                step.label(),
                step.rate(),
                result.achievedRate()));
    verdicts.forEach(
        (c, v) ->
            line.append("  ")
                .append(c.key())
                .append(' ')
                .append(Format.number(result.classes().get(c).p95()))
                .append('/')
                .append(Format.ms(result.classes().get(c).p99()))
                .append(v.breached() ? " BREACH" : ""));
    out.println(line);
    Optional<String> stop = stopReason(step, verdicts);
    if (stop.isPresent() && plan.profile().stopsOnBreach()) {
      recorder.requestStop(stop.get());
    }
  }

  /**
   * Why a ramp stops after {@code step}, if it does: its worst-bent class, named by the rule the
   * knee uses ({@link Verdict#worst}), so the stop line and the verdict never disagree.
   */
  static Optional<String> stopReason(Step step, Map<RequestClass, Verdict> verdicts) {
    return Verdict.worst(verdicts.values())
        .map(v -> "SLO broke at " + step.label() + " (" + v.requestClass().key() + ")");
  }

  private Optional<Path> newestReport(long notBefore) {
    try (Stream<Path> dirs = Files.list(plan.resultsDir())) {
      return dirs.filter(Files::isDirectory)
          .filter(d -> d.toFile().lastModified() >= notBefore - 1_000)
          .map(d -> d.resolve("index.html"))
          .filter(Files::isRegularFile)
          .max(Comparator.comparingLong(p -> p.getParent().toFile().lastModified()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Settings Gatling reads from system properties. Analytics and the HTTP warm-up would reach out
   * to gatling.io; this harness talks to its target only.
   */
  private void configureGatling() {
    System.setProperty("gatling.data.enableAnalytics", "false");
    System.setProperty("gatling.http.warmUpUrl", "");
    System.setProperty(
        "gatling.http.requestTimeout", String.valueOf(plan.requestTimeout().toMillis()));
  }
}
