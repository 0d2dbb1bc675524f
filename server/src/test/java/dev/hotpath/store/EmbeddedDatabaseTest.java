package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hotpath.support.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A second process on a data folder a server holds (e.g. {@code hotpath rebuild} while {@code
 * serve} runs) is told who holds it and what to do, not given the embedding library's lock error
 * (issue 15).
 */
class EmbeddedDatabaseTest {

  @Test
  void aSecondStartOnAFolderInUseNamesThePostgresPidPortAndWhatToDo() throws Exception {
    Path dir = Files.createTempDirectory("hotpath-pg-held-");
    try (EmbeddedDatabase first = EmbeddedDatabase.start(dir, 0)) {
      int port = first.coordinates().port();
      assertThatThrownBy(() -> EmbeddedDatabase.start(dir, 0))
          .isInstanceOf(EmbeddedDatabase.EmbeddedDatabaseException.class)
          .hasMessageContaining("is in use by a running PostgreSQL server (pid ")
          .hasMessageContaining("port " + port)
          .hasMessageContaining(
              "--database-url postgresql://postgres:postgres@localhost:" + port + "/postgres")
          .hasMessageContaining("stop it first")
          .hasMessageNotContaining("user namespaces");
    } finally {
      TempDirs.delete(dir);
    }
  }

  @Test
  void aFolderHeldByAnotherRunningHotpathProcessNamesThatProcess() throws Exception {
    Path dir = Files.createTempDirectory("hotpath-held-");
    Path source = dir.resolve("Wait.java");
    Files.writeString(
        source,
        "class Wait { public static void main(String[] a) throws Exception { System.in.read(); } }");
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process other = new ProcessBuilder(java, source.toString()).start();
    try {
      Files.writeString(dir.resolve(EmbeddedDatabase.OWNER_FILE), other.pid() + "\n");
      assertThat(EmbeddedDatabase.heldBy(dir))
          .hasValueSatisfying(
              why ->
                  assertThat(why)
                      .contains("in use by a running hotpath server (pid " + other.pid())
                      .contains("kill " + other.pid()));
      other.getOutputStream().close(); // Wait reads end of input and exits
      assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
      // a pid file left by a process that is gone holds nothing
      assertThat(EmbeddedDatabase.heldBy(dir)).isEmpty();
    } finally {
      other.destroyForcibly();
      TempDirs.delete(dir);
    }
  }
}
