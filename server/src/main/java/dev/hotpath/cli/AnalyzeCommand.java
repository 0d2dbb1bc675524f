package dev.hotpath.cli;

import dev.hotpath.observe.analyze.NoiseFilter;
import dev.hotpath.observe.analyze.TrafficAnalysis;
import dev.hotpath.observe.analyze.TrafficReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hotpath analyze ACCESS_LOG...}: the traffic of an access log, business and noise apart, as
 * terminal tables and an HTML page with charts. Streams the log ({@code .gz} too, {@code -} for
 * standard input; a rotated log as its files, oldest first); needs no server and no database.
 */
@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    description =
        "Break an access log down by route, status class, payload type, latency band and minute,"
            + " with noise (malformed requests, scanners, bots, retries) kept apart.")
public final class AnalyzeCommand implements Callable<Integer> {
  @Parameters(
      arity = "1..*",
      paramLabel = "ACCESS_LOG",
      description =
          "Log files with JSON access lines (other lines are skipped), oldest first, read as one"
              + " log (e.g. access.log.2 access.log.1 access.log); - for stdin.")
  List<String> logs;

  @Option(
      names = "--html",
      description =
          "Where to write the HTML page (default: ACCESS_LOG.html for one file, else traffic.html).")
  Path html;

  @Option(
      names = "--top",
      defaultValue = "20",
      description = "Routes listed in the terminal (default ${DEFAULT-VALUE}).")
  int top;

  @Override
  public Integer call() throws IOException {
    for (String log : logs) {
      if (!log.equals("-") && !Files.isReadable(Path.of(log))) {
        System.err.println("hotpath: cannot read access log " + Path.of(log).toAbsolutePath());
        return 2;
      }
    }
    TrafficAnalysis analysis = new TrafficAnalysis(new NoiseFilter(TrafficAnalysis.KEY_MEMORY));
    for (String log : logs) {
      try (BufferedReader in =
          log.equals("-")
              ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
              : open(Path.of(log))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          analysis.accept(line);
        }
      }
    }
    String source =
        String.join(", ", logs.stream().map(l -> l.equals("-") ? "standard input" : l).toList());
    Path page =
        html != null
            ? html
            : logs.size() == 1 && !logs.get(0).equals("-")
                ? Path.of(logs.get(0) + ".html")
                : Path.of("traffic.html");
    System.out.print(TrafficReport.text(analysis, top));
    Files.writeString(page, TrafficReport.html(analysis, source));
    System.out.println("\nHTML report: " + page.toAbsolutePath());
    return 0;
  }

  private static BufferedReader open(Path file) throws IOException {
    var stream = Files.newInputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) {
      stream = new GZIPInputStream(stream, 1 << 16);
    }
    return new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8), 1 << 16);
  }
}
