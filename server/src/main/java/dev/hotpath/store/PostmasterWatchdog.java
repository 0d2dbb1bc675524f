package dev.hotpath.store;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the embedded PostgreSQL when the JVM that started it dies, however it dies.
 *
 * <p>{@code pg_ctl} detaches the server, so it outlives a JVM killed with SIGKILL; Linux's {@code
 * prctl(PR_SET_PDEATHSIG)} would tie it to its parent, but Java cannot call it without native code.
 * Instead a tiny shell process waits on a pipe from this JVM: the kernel closes the pipe when the
 * JVM exits for any reason, {@code read} returns, and the shell sends the postmaster a fast
 * shutdown (SIGINT), then SIGKILL if it is still there 30 s later. It first checks that the pid is
 * still a process working in this data folder, so a pid reused by another program is never
 * signalled, and it ignores SIGINT, SIGTERM and SIGHUP, so a Ctrl-C to the terminal's process group
 * leaves it to do its job after the JVM has drained. Linux only (it reads {@code /proc});
 * elsewhere, and if the watchdog itself is killed, {@link StalePostmaster} stops the leftover
 * server on the next start.
 */
final class PostmasterWatchdog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostmasterWatchdog.class);

  private static final String SCRIPT =
      """
      trap '' INT TERM HUP
      read -r _
      pid=$1 dir=$2
      alive() { [ "$(readlink /proc/$pid/cwd 2>/dev/null)" = "$dir" ]; }
      alive || exit 0
      kill -INT "$pid" 2>/dev/null
      i=0
      while alive && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
      alive && kill -KILL "$pid" 2>/dev/null
      exit 0
      """;

  /** Kept reachable: were the process object collected, its pipe would close and fire the dog. */
  private final Process shell;

  private final OutputStream pipe;

  private PostmasterWatchdog(Process shell) {
    this.shell = shell;
    this.pipe = shell.getOutputStream();
  }

  /**
   * Watches the postmaster serving {@code dataDir}; empty (with a reason logged) where this cannot
   * be done: not Linux, no {@code /bin/sh}, or no live postmaster found.
   */
  static Optional<PostmasterWatchdog> watch(Path dataDir) {
    if (!Files.isDirectory(Path.of("/proc/self")) || !Files.isExecutable(Path.of("/bin/sh"))) {
      log.info("no watchdog for the embedded PostgreSQL here (needs Linux /proc and /bin/sh)");
      return Optional.empty();
    }
    Optional<ProcessHandle> postmaster = StalePostmaster.of(dataDir);
    if (postmaster.isEmpty()) {
      log.warn("no watchdog for the embedded PostgreSQL: its postmaster.pid names no live server");
      return Optional.empty();
    }
    try {
      Process shell =
          new ProcessBuilder(
                  "/bin/sh",
                  "-c",
                  SCRIPT,
                  "hotpath-pg-watchdog",
                  Long.toString(postmaster.get().pid()),
                  dataDir.toRealPath().toString())
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return Optional.of(new PostmasterWatchdog(shell));
    } catch (IOException e) {
      log.warn("no watchdog for the embedded PostgreSQL: {}", e.toString());
      return Optional.empty();
    }
  }

  /**
   * Lets the watchdog go: it stops the server if it is still running (a stop that failed), else it
   * just exits.
   */
  @Override
  public void close() {
    try {
      pipe.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL watchdog: {}", e.toString());
    }
  }
}
