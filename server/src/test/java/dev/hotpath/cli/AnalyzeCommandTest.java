package dev.hotpath.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AnalyzeCommandTest {
  private static final String LOG =
      """
      10:00:00.000 INFO  dev.hotpath.App - hotpath serving on http://0.0.0.0:8080
      {"ts":"2026-11-22T10:00:01Z","method":"GET","route":"/v1/orders/:id","path":"/v1/orders/1","status":200,"duration_ms":3.5,"bytes":800,"client":"10.0.0.1","user_agent":"shop/1","request_id":"a","trace_id":"b","cache":"miss","db_queries":1,"limited":false,"shed":false,"idem_key":null,"content_type":null}
      {"ts":"2026-11-22T10:01:01Z","method":"GET","route":"/v1/orders/:id","path":"/v1/orders/1","status":200,"duration_ms":0.4,"bytes":800,"client":"10.0.0.1","user_agent":"shop/1","request_id":"c","trace_id":"d","cache":"hit","db_queries":0,"limited":false,"shed":false,"idem_key":null,"content_type":null}
      {"ts":"2026-11-22T10:01:02Z","method":"GET","route":"-","path":"/phpmyadmin/index.php","status":404,"duration_ms":0.2,"bytes":120,"client":"6.6.6.6","user_agent":"Mozilla/5.0 zgrab/0.x","request_id":"e","trace_id":"f","cache":"-","db_queries":0,"limited":false,"shed":false,"idem_key":null,"content_type":null}
      """;

  @Test
  void printsTheBreakdownAndWritesASelfContainedPageWithCharts(@TempDir Path dir)
      throws IOException {
    Path log = dir.resolve("access.log");
    Files.writeString(log, LOG);
    Path page = dir.resolve("traffic.html");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit =
          new CommandLine(new AnalyzeCommand()).execute(log.toString(), "--html", page.toString());
    } finally {
      System.setOut(original);
    }

    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(exit).isZero();
    assertThat(text)
        .contains("4 lines: 3 requests (2 business, 1 noise")
        .contains("GET /v1/orders/:id")
        .contains("/phpmyadmin/index.php (1)")
        .contains("HTML report: " + page.toAbsolutePath());
    String html = Files.readString(page);
    assertThat(count(html, "<svg")).isGreaterThanOrEqualTo(6);
    assertThat(html)
        .contains("Requests per minute (UTC)")
        .contains("Requests per route")
        .contains("Latency bands")
        .contains("Noise by kind")
        .contains("Payload types")
        .contains("Status classes");
    assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain(" src=");
  }

  @Test
  void readsARotatedLogAsItsFilesOldestFirst(@TempDir Path dir) throws IOException {
    String[] lines = LOG.split("\n");
    Path older = dir.resolve("access.log.1");
    Path newer = dir.resolve("access.log");
    Files.writeString(older, lines[0] + "\n" + lines[1] + "\n");
    Files.writeString(newer, lines[2] + "\n" + lines[3] + "\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit =
          new CommandLine(new AnalyzeCommand())
              .execute(
                  older.toString(), newer.toString(), "--html", dir.resolve("t.html").toString());
    } finally {
      System.setOut(original);
    }

    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("4 lines: 3 requests (2 business, 1 noise");
    assertThat(dir.resolve("t.html")).content().contains(older + ", " + newer);
  }

  @Test
  void saysWhichFileItCannotReadAndExitsWithTwo(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    int exit;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new AnalyzeCommand()).execute(dir.resolve("missing.log").toString());
    } finally {
      System.setErr(original);
    }

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("cannot read access log")
        .contains("missing.log");
  }

  private static int count(String text, String needle) {
    Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
