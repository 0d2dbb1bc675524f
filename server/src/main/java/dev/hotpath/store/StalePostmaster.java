package dev.hotpath.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server a killed process left running on its data folder. The embedded server is
 * started by {@code pg_ctl}, which detaches it: when the JVM that started it dies without stopping
 * it (SIGKILL, the OOM killer), it keeps the folder, and the next start on that folder cannot start
 * its own. {@link #stop} finds it from {@code postmaster.pid} and stops it.
 */
final class StalePostmaster {
  private static final Logger log = LoggerFactory.getLogger(StalePostmaster.class);

  /** Patience for a fast shutdown (SIGINT) before the server is killed. */
  static final Duration FAST_SHUTDOWN = Duration.ofSeconds(20);

  private StalePostmaster() {}

  /**
   * The live postmaster serving {@code dataDir}, from its {@code postmaster.pid}: a running process
   * whose executable is {@code postgres} and whose data folder ({@code -D}, or its working
   * directory) is this one. A stale pid file of a dead server, or one whose pid now belongs to
   * another program, yields nothing.
   */
  static Optional<ProcessHandle> of(Path dataDir) {
    Path pidFile = dataDir.resolve("postmaster.pid");
    long pid;
    try {
      List<String> lines = Files.readAllLines(pidFile);
      if (lines.isEmpty()) {
        return Optional.empty();
      }
      pid = Math.abs(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> serves(p, dataDir));
  }

  private static boolean serves(ProcessHandle process, Path dataDir) {
    Path dir = real(dataDir);
    ProcessHandle.Info info = process.info();
    boolean postgres =
        info.command()
            .map(c -> Path.of(c).getFileName().toString().equals("postgres"))
            .orElse(true);
    if (!postgres) {
      return false;
    }
    Optional<String[]> args = info.arguments();
    if (args.isPresent()) {
      String[] a = args.get();
      for (int i = 0; i + 1 < a.length; i++) {
        if (a[i].equals("-D") && real(Path.of(a[i + 1])).equals(dir)) {
          return true;
        }
      }
    }
    // the postmaster runs in its data folder (Linux shows it; elsewhere the arguments decide)
    try {
      return real(Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd")))
          .equals(dir);
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static Path real(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException e) {
      return path.toAbsolutePath().normalize();
    }
  }

  /**
   * Stops the postmaster a dead process left on {@code dataDir}, if there is one: a fast shutdown
   * (SIGINT: sessions ended, data checkpointed, nothing to recover), and after {@link
   * #FAST_SHUTDOWN} a SIGKILL of it and its children. The caller must hold the folder's lock, so
   * that the server of a live process is never touched.
   *
   * @return whether one was found (and stopped)
   */
  static boolean stop(Path dataDir) {
    Optional<ProcessHandle> found = of(dataDir);
    if (found.isEmpty()) {
      return false;
    }
    ProcessHandle postmaster = found.get();
    List<ProcessHandle> children = postmaster.descendants().toList();
    log.warn(
        "a PostgreSQL server (pid {}) left by a process that died is still running on {};"
            + " stopping it",
        postmaster.pid(),
        dataDir);
    long started = System.nanoTime();
    if (!signal("INT", postmaster.pid())) {
      postmaster.destroy(); // SIGTERM: a smart shutdown, the sessions of the dead process are gone
    }
    if (!awaitExit(postmaster, FAST_SHUTDOWN)) {
      log.warn("PostgreSQL (pid {}) ignored a fast shutdown; killing it", postmaster.pid());
      postmaster.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
      awaitExit(postmaster, Duration.ofSeconds(10));
    }
    // its children hold the shared memory a new server checks; they leave with their postmaster
    children.forEach(c -> awaitExit(c, Duration.ofSeconds(10)));
    log.info(
        "stale PostgreSQL (pid {}) stopped in {} ms",
        postmaster.pid(),
        (System.nanoTime() - started) / 1_000_000);
    return true;
  }

  /** Sends {@code kill -SIG pid}; false when there is no {@code kill} to run. */
  private static boolean signal(String signal, long pid) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean awaitExit(ProcessHandle process, Duration patience) {
    try {
      process.onExit().get(patience.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return !process.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }
}
