package dev.hotpath.cli;

import dev.hotpath.App;
import dev.hotpath.compute.Projection;
import dev.hotpath.compute.Rebuild;
import dev.hotpath.config.Settings;
import dev.hotpath.store.EmbeddedDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hotpath rebuild READMODEL}: recomputes a read model from the event log (safe while servers
 * run: their consumer of that model pauses until the rebuild commits).
 */
@Command(
    name = "rebuild",
    mixinStandardHelpOptions = true,
    description = "Recompute a read model from the event log (outbox).")
public final class RebuildCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "READMODEL",
      description = "customer_order_summary, product_stats or analytics.")
  String readModel;

  @Mixin DataDirOption dataDir = new DataDirOption();

  @Option(
      names = "--database-url",
      description = "External PostgreSQL (overrides HOTPATH_DATABASE_URL).")
  URI databaseUrl;

  @Override
  public Integer call() {
    Optional<Projection> projection = Rebuild.named(readModel);
    if (projection.isEmpty() || projection.get().table().isEmpty()) {
      System.err.println(
          "hotpath: " + readModel + " is not a read model; choose one of " + Rebuild.rebuildable());
      return 2;
    }
    Settings settings = Settings.forTools(System.getenv());
    settings = dataDir.applyTo(settings);
    if (databaseUrl != null) {
      settings = settings.toBuilder().databaseUrl(databaseUrl).build();
    }
    App.Database db = App.openDatabase(settings);
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool =
          PgBuilder.pool()
              .with(new PoolOptions().setMaxSize(1))
              .connectingTo(db.coordinates().connectOptions(1))
              .using(vertx)
              .build();
      long started = System.nanoTime();
      Rebuild.Result result = Rebuild.run(pool, projection.get()).await(30, TimeUnit.MINUTES);
      System.out.println(
          "rebuilt "
              + result.name()
              + " from "
              + result.events()
              + " events in "
              + (System.nanoTime() - started) / 1_000_000
              + " ms");
      return 0;
    } catch (Exception e) {
      throw new IllegalStateException("rebuild of " + readModel + " failed: " + e.getMessage(), e);
    } finally {
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("hotpath: could not close the client cleanly: " + e.getMessage());
      }
      db.embedded().ifPresent(EmbeddedDatabase::close);
    }
  }
}
