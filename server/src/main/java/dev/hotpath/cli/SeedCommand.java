package dev.hotpath.cli;

import dev.hotpath.App;
import dev.hotpath.config.Settings;
import dev.hotpath.store.EmbeddedDatabase;
import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.ProgressBar;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.store.seed.SeedResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hotpath seed}: appends generated, deterministic data to the database. */
@Command(
    name = "seed",
    mixinStandardHelpOptions = true,
    description = "Fill the database with generated data (COPY in batches; same seed, same rows).")
public final class SeedCommand implements Callable<Integer> {
  @Option(
      names = "--customers",
      defaultValue = "10000",
      description = "Customers to add (default ${DEFAULT-VALUE}).")
  int customers;

  @Option(
      names = "--products",
      defaultValue = "1000",
      description = "Products to add (default ${DEFAULT-VALUE}).")
  int products;

  @Option(
      names = "--orders",
      defaultValue = "200000",
      description = "Orders to add (default ${DEFAULT-VALUE}).")
  int orders;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Random seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Mixin DataDirOption dataDir = new DataDirOption();

  @Override
  public Integer call() {
    Settings settings = Settings.forTools(System.getenv());
    settings = dataDir.applyTo(settings);
    SeedPlan plan = new SeedPlan(customers, products, orders, seed);
    App.Database db = App.openDatabase(settings);
    try {
      SeedResult result = DataGenerator.seed(db.coordinates(), plan, new ProgressBar(System.err));
      System.out.println("seeded " + result);
      return 0;
    } finally {
      db.embedded().ifPresent(EmbeddedDatabase::close);
    }
  }
}
