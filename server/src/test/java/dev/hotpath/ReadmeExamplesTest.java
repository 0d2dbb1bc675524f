package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.outside.Service;
import dev.hotpath.stubs.Stubs;
import dev.hotpath.support.Outside;
import dev.hotpath.support.TempDirs;
import dev.hotpath.support.TestServer;
import dev.hotpath.support.Tokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's shell examples run, as a reader would paste them, so the README cannot drift from
 * the server. Every {@code bash} block that calls {@code curl} runs as one script (its variables
 * carry from line to line) against the test server and the test run's outside stand-ins: {@code
 * localhost:8080} becomes the test server's address, {@code $(./hotpath token --sub S --scope X)} a
 * token of the same subject and scopes signed by the test keys, the stand-ins' addresses those of
 * the test run. Every answer must be a 2xx or 3xx, and every command must succeed. Commands that
 * start servers, benchmarks or builds ({@code ./hotpath}, {@code scripts/}, {@code ./mvnw}, {@code
 * java}) are not run here: each has tests of its own.
 */
class ReadmeExamplesTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Pattern TOKEN =
      Pattern.compile("\\$\\(\\./hotpath token --sub (\\S+) --scope (\\S+)\\)");
  private static final Pattern STATUS = Pattern.compile("HTTPSTATUS (\\d{3})");
  private static final List<String> NOT_RUN =
      List.of("./hotpath ", "scripts/", "./mvnw ", "java ", "WORKLOAD=");

  @Test
  void everyCurlExampleOfTheReadmeAnswersWithoutAnError() throws Exception {
    TestServer server = TestServer.get();
    Stubs stubs = Outside.stubs();
    List<List<String>> blocks = bashBlocks(Files.readAllLines(README));
    int ran = 0;
    Path dir = Files.createTempDirectory("hotpath-readme-");
    try {
      Files.writeString(dir.resolve(".curlrc"), "write-out = \"\\nHTTPSTATUS %{http_code}\\n\"\n");
      for (List<String> block : blocks) {
        if (block.stream().noneMatch(l -> l.contains("curl "))) {
          continue;
        }
        String script = script(block, server.app().port(), stubs);
        try {
          Result result = run(script, dir);
          assertThat(result.exit()).as(result.describe(script)).isZero();
          Matcher m = STATUS.matcher(result.out());
          int answers = 0;
          while (m.find()) {
            answers++;
            assertThat(Integer.parseInt(m.group(1)))
                .as("an answer of the README example\n" + result.describe(script))
                .isBetween(200, 399);
          }
          assertThat(answers)
              .as("every curl of the block answered\n" + result.describe(script))
              .isEqualTo((int) block.stream().filter(l -> l.strip().startsWith("curl ")).count());
          ran += answers;
        } finally {
          stubs.reset(); // the stand-in examples break the stand-ins on purpose
        }
      }
    } finally {
      TempDirs.delete(dir);
    }
    assertThat(ran).as("curl examples run").isGreaterThanOrEqualTo(10);
  }

  /** The lines of every fenced {@code bash} block, with continuation lines joined. */
  static List<List<String>> bashBlocks(List<String> readme) {
    List<List<String>> blocks = new ArrayList<>();
    List<String> current = null;
    StringBuilder pending = new StringBuilder();
    for (String line : readme) {
      if (current == null) {
        if (line.strip().equals("```bash")) {
          current = new ArrayList<>();
        }
      } else if (line.strip().equals("```")) {
        blocks.add(current);
        current = null;
      } else if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
      } else {
        current.add(pending + line);
        pending.setLength(0);
      }
    }
    return blocks;
  }

  private static String script(List<String> block, int port, Stubs stubs) {
    StringBuilder out = new StringBuilder("set -euo pipefail\n");
    for (String line : block) {
      String s = line.strip();
      if (NOT_RUN.stream().anyMatch(s::startsWith)) {
        out.append("# not run here: ").append(s).append('\n');
        continue;
      }
      Matcher token = TOKEN.matcher(line);
      StringBuilder replaced = new StringBuilder();
      while (token.find()) {
        String minted =
            Tokens.get()
                .builder()
                .sub(token.group(1))
                .scopes(Arrays.asList(token.group(2).split(",")))
                .es256();
        token.appendReplacement(replaced, Matcher.quoteReplacement("'" + minted + "'"));
      }
      token.appendTail(replaced);
      out.append(
              replaced
                  .toString()
                  .replace("localhost:8080", "127.0.0.1:" + port)
                  .replace("http://127.0.0.1:9090", stubs.url(Service.PAYMENTS).toString())
                  .replace("http://127.0.0.1:9091", stubs.url(Service.REVIEWS).toString())
                  .replace("http://127.0.0.1:9092", stubs.url(Service.RECOMMENDATIONS).toString()))
          .append('\n');
    }
    return out.toString();
  }

  private record Result(int exit, String out, String err) {
    String describe(String script) {
      return "script:\n" + script + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  private static Result run(String script, Path dir) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).directory(dir.toFile());
    pb.environment().put("HOME", dir.toString());
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("README example did not finish in 120 s:\n" + script);
    }
    return new Result(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
