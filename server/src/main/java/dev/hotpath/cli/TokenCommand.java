package dev.hotpath.cli;

import dev.hotpath.edge.auth.Scope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hotpath token}: mints a token with the development key of {@code serve --demo}, for trying
 * the API by hand. Prints the token alone, so that {@code TOKEN=$(./hotpath token ...)} works.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Mint a development token (signed with the key serve --demo made).")
public final class TokenCommand implements Callable<Integer> {
  @Option(
      names = "--sub",
      required = true,
      description = "Subject: customer:<id> for a customer, anything else for a service.")
  String subject;

  @Option(
      names = "--scope",
      split = ",",
      description =
          "Scopes (repeat or comma-separate): customers:read, customers:write, orders:read,"
              + " orders:write, reports, admin, service.")
  List<String> scopes = new ArrayList<>();

  @Option(names = "--ttl", description = "Lifetime in seconds (default 3600).")
  long ttlSeconds = 3600;

  @Mixin DataDirOption dataDir = new DataDirOption();

  @Override
  public Integer call() {
    for (String s : scopes) {
      if (Scope.of(s).isEmpty()) {
        System.err.println("hotpath: unknown scope " + s);
        return 2;
      }
    }
    if (ttlSeconds < 1 || ttlSeconds > 30L * 24 * 3600) {
      System.err.println("hotpath: --ttl must be between 1 second and 30 days");
      return 2;
    }
    Path dir = dataDir.resolve(System.getenv());
    System.out.println(DevKeys.load(dir).mint(subject, scopes, Duration.ofSeconds(ttlSeconds)));
    return 0;
  }
}
