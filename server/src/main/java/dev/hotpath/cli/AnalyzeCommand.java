package dev.hotpath.cli;

import dev.hotpath.observe.analyze.TrafficAnalysis;
import dev.hotpath.observe.analyze.TrafficReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hotpath analyze ACCESS_LOG}: the traffic of an access log, business and noise apart, as
 * terminal tables and an HTML page with charts. Streams the log ({@code .gz} too, {@code -} for
 * standard input); needs no server and no database.
 */
@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    description =
        "Break an access log down by route, status class, payload type, latency band and minute,"
            + " with noise (malformed requests, scanners, bots, retries) kept apart.")
public final class AnalyzeCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "ACCESS_LOG",
      description = "Log file with JSON access lines (other lines are skipped); - for stdin.")
  String log;

  @Option(
      names = "--html",
      description = "Where to write the HTML page (default: ACCESS_LOG.html, or traffic.html).")
  Path html;

  @Option(
      names = "--top",
      defaultValue = "20",
      description = "Routes listed in the terminal (default ${DEFAULT-VALUE}).")
  int top;

  @Override
  public Integer call() throws IOException {
    TrafficAnalysis analysis;
    Path page;
    if (log.equals("-")) {
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        analysis = TrafficAnalysis.of(in);
      }
      page = html != null ? html : Path.of("traffic.html");
    } else {
      Path file = Path.of(log);
      if (!Files.isReadable(file)) {
        System.err.println("hotpath: cannot read access log " + file.toAbsolutePath());
        return 2;
      }
      try (BufferedReader in = open(file)) {
        analysis = TrafficAnalysis.of(in);
      }
      page = html != null ? html : Path.of(log + ".html");
    }
    System.out.print(TrafficReport.text(analysis, top));
    Files.writeString(page, TrafficReport.html(analysis, log.equals("-") ? "standard input" : log));
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
