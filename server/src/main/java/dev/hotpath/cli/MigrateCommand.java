package dev.hotpath.cli;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.store.EmbeddedDatabase;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code hotpath migrate}: brings the schema to the newest version and exits, so that a deployment
 * can run Flyway once before its rollout (deploy/k8s's migration Job).
 */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = "Apply the pending schema migrations (Flyway) and exit.")
public final class MigrateCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    App.Database db = App.openDatabase(Settings.forTools(System.getenv()));
    db.embedded().ifPresent(EmbeddedDatabase::close);
    System.out.println("schema migrated");
    return 0;
  }
}
