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
  /** Orders per customer and per product when their counts are not given (the demo's shape). */
  static final int ORDERS_PER_CUSTOMER = 20;

  static final int ORDERS_PER_PRODUCT = 200;

  @Option(
      names = "--customers",
      description = "Customers to add (default: one per " + ORDERS_PER_CUSTOMER + " orders).")
  Integer customers;

  @Option(
      names = "--products",
      description =
          "Products to add (default: one per " + ORDERS_PER_PRODUCT + " orders, at least 100).")
  Integer products;

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
    SeedPlan plan =
        new SeedPlan(
            customers != null ? customers : Math.max(1, orders / ORDERS_PER_CUSTOMER),
            products != null ? products : Math.max(100, orders / ORDERS_PER_PRODUCT),
            orders,
            seed);
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
