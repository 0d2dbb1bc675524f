package dev.hotpath.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hotpath.support.ChildServer;
import dev.hotpath.support.TempDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Restarts of a server on the embedded database after {@code kill -9}, over real processes: the
 * server as a child JVM, its PostgreSQL as the processes {@code pg_ctl} starts. Regression test of
 * issue 24 item 10 (the next start failed after ~11 s and only the second try started).
 */
class EmbeddedRestartTest {
  private static final Duration START = Duration.ofSeconds(90);

  @Test
  void restartAfterKillNineStartsTheFirstTime() throws Exception {
    Path dir = Files.createTempDirectory("hotpath-restart-");
    Path pg = dir.resolve("data").resolve("pg");
    Path log = Files.createTempFile("hotpath-restart-", ".log");
    Map<String, String> env =
        Map.of(
            "HOTPATH_DATA_DIR", dir.resolve("data").toString(),
            "HOTPATH_SHUTDOWN_DELAY_MS", "0",
            "HOTPATH_SHUTDOWN_GRACE_MS", "2000");
    int port = ChildServer.freePort();
    ChildServer server = null;
    try {
      // the JVM alone is killed: its watchdog stops the database it started
      server = ChildServer.start(port, env, log).awaitReady(START);
      ProcessHandle firstDb = postmaster(pg);
      server.process().destroyForcibly();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(60)).until(() -> !firstDb.isAlive());

      // so the next start is a plain one, first try
      server = ChildServer.start(port, env, log).awaitReady(START);
      ProcessHandle secondDb = postmaster(pg);

      // the JVM and its watchdog are killed together: the database is left running on the folder
      server.killWithChildren();
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(secondDb.isAlive()).as("PostgreSQL left behind by the killed server").isTrue();

      // the next start finds it from postmaster.pid, stops it, and starts, first try
      server = ChildServer.start(port, env, log).awaitReady(START);
      assertThat(secondDb.isAlive()).isFalse();
      assertThat(Files.readString(log))
          .contains("(pid " + secondDb.pid() + ") left by a process that died");
      ProcessHandle thirdDb = postmaster(pg);

      // and SIGTERM stops the server and its database, exit status 0
      server.process().destroy();
      assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(server.process().exitValue()).isZero();
      await().atMost(Duration.ofSeconds(30)).until(() -> !thirdDb.isAlive());
    } finally {
      if (server != null) {
        server.kill();
      }
      StalePostmaster.stop(pg);
      TempDirs.delete(dir);
    }
  }

  /** The live postmaster serving {@code pg}, from its {@code postmaster.pid}. */
  private static ProcessHandle postmaster(Path pg) throws IOException {
    long pid = Long.parseLong(Files.readAllLines(pg.resolve("postmaster.pid")).get(0).trim());
    ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
    assertThat(StalePostmaster.of(pg)).as("postmaster.pid names the server").contains(postmaster);
    return postmaster;
  }
}
