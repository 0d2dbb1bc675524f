package dev.hotpath.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The launcher's set-up, as {@code ./hotpath} runs it (scripts/find-jdk.sh), from a working
 * directory outside the repository (issue 15: {@code hotpath token} failed there, and the first run
 * showed Maven's {@code sun.misc.Unsafe} warnings).
 */
class LauncherTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private record Run(int status, String output) {}

  /** Runs {@code script} in bash from a fresh temporary directory, without HOTPATH_* set. */
  private static Run bash(String script) throws Exception {
    Path cwd = Files.createTempDirectory("hotpath-elsewhere-");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-c", ". '" + ROOT + "/scripts/find-jdk.sh'\n" + script)
            .directory(cwd.toFile())
            .redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("HOTPATH_") || k.equals("MAVEN_OPTS"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    Files.delete(cwd);
    return new Run(p.exitValue(), out);
  }

  @Test
  void theDataFolderIsTheRepositorysWhateverTheWorkingDirectory() throws Exception {
    Run run =
        bash(
            "hotpath_data_defaults '"
                + ROOT
                + "'; echo \"$HOTPATH_DATA_DIR|$HOTPATH_ACCESS_LOG\"\n"
                + "HOTPATH_DATA_DIR=/elsewhere; hotpath_data_defaults '"
                + ROOT
                + "'; echo \"$HOTPATH_DATA_DIR\"");
    assertThat(run.status()).as(run.output()).isZero();
    assertThat(run.output().lines().toList())
        .containsExactly(ROOT + "/data|" + ROOT + "/data/access.log", "/elsewhere");
  }

  @Test
  void theLauncherUsesTheDataDefaultsBeforeItRunsTheCli() throws IOException {
    List<String> launcher = Files.readAllLines(ROOT.resolve("hotpath"));
    int defaults = launcher.indexOf("hotpath_data_defaults \"$root\"");
    int quiet = launcher.indexOf("hotpath_quiet_maven");
    int firstBuild = indexOfFirst(launcher, "./mvnw");
    assertThat(defaults).isPositive().isLessThan(firstBuild);
    assertThat(quiet).isPositive().isLessThan(firstBuild);
  }

  @Test
  void mavenPrintsNoUnsafeWarningsOnTheJdkTheLauncherPicks() throws Exception {
    Run run =
        bash(
            "hotpath_find_jdk && hotpath_quiet_maven && echo \"java $(hotpath_java_major"
                + " \"$JAVA_HOME/bin/java\")\" && cd '"
                + ROOT
                + "' && ./mvnw -B -q -N validate");
    assertThat(run.status()).as(run.output()).isZero();
    assertThat(run.output()).startsWith("java ").doesNotContain("sun.misc.Unsafe");
  }

  private static int indexOfFirst(List<String> lines, String fragment) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(fragment)) {
        return i;
      }
    }
    return Integer.MAX_VALUE;
  }
}
