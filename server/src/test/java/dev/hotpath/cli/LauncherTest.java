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

  /**
   * The JVM options of {@code ./hotpath} (hotpath_java_opts) start the JDK it picks: a flag that
   * JDK does not know would stop every server at start. The trim of the native heap comes with JDK
   * 23 and newer, where it is a product flag (README, "Memory").
   */
  @Test
  void theJvmOptionsStartTheJdkTheLauncherPicks() throws Exception {
    Run run =
        bash(
            "hotpath_find_jdk && opts=$(hotpath_java_opts) && echo \"java $(hotpath_java_major"
                + " \"$JAVA_HOME/bin/java\") $opts\" && \"$JAVA_HOME/bin/java\" $opts -version"
                + " 2>/dev/null && echo started");
    assertThat(run.status()).as(run.output()).isZero();
    List<String> lines = run.output().lines().toList();
    assertThat(lines.getLast()).isEqualTo("started");
    String[] first = lines.getFirst().split(" ");
    int major = Integer.parseInt(first[1]);
    List<String> opts = List.of(first).subList(2, first.length);
    assertThat(opts).contains("-XX:+UseSerialGC", "-Xms224m", "-Xmx224m", "-Xmn96m");
    if (major >= 23) {
      assertThat(opts).contains("-XX:TrimNativeHeapInterval=5000");
    } else {
      assertThat(opts).noneMatch(o -> o.startsWith("-XX:TrimNativeHeapInterval"));
    }
  }

  /**
   * The bench scripts that start the jar (or the bare service) themselves take the launcher's JVM
   * options from hotpath_java_opts rather than a copy, which would measure another configuration
   * once the defaults change.
   */
  @Test
  void theBenchScriptsUseTheLaunchersJvmOptions() throws IOException {
    List<String> copies;
    try (var scripts = Files.list(ROOT.resolve("scripts"))) {
      copies =
          scripts
              .filter(f -> f.getFileName().toString().matches("bench-.*\\.sh"))
              .filter(f -> read(f).contains("-XX:+UseSerialGC"))
              .map(f -> f.getFileName().toString())
              .toList();
    }
    assertThat(copies).isEmpty();
    assertThat(Files.readString(ROOT.resolve("hotpath")))
        .contains("${HOTPATH_JAVA_OPTS:-$(hotpath_java_opts)}");
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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
