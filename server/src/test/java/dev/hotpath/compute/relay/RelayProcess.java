package dev.hotpath.compute.relay;

import dev.hotpath.config.RelaySettings;
import dev.hotpath.store.DatabaseCoordinates;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;

/**
 * A relay alone in a process of its own, for the test that kills it with SIGKILL. Arguments: the
 * database's host, port, name, user and password, the bootstrap servers, the topic prefix and the
 * batch size.
 */
public final class RelayProcess {
  private RelayProcess() {}

  public static void main(String[] args) throws InterruptedException {
    DatabaseCoordinates database =
        new DatabaseCoordinates(args[0], Integer.parseInt(args[1]), args[2], args[3], args[4]);
    RelaySettings settings =
        new RelaySettings(
            Optional.of(args[5]),
            args[6],
            Integer.parseInt(args[7]),
            Duration.ofMillis(5),
            256 * 1024,
            "lz4",
            Duration.ofMillis(20),
            Duration.ofMillis(50),
            Duration.ofMillis(1_000),
            Duration.ofSeconds(5),
            Duration.ofMillis(200));
    new Relay(settings, database, "child", Clock.systemUTC(), new Random(1)).start();
    Thread.currentThread().join();
  }
}
