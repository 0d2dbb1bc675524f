package dev.hotpath.store;

import dev.hotpath.store.seed.DataGenerator;
import dev.hotpath.store.seed.ProgressBar;
import dev.hotpath.store.seed.SeedPlan;
import dev.hotpath.support.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link QueryPlanTest}'s assertions on a generated 5M-order database (250k customers, 25k
 * products, 24 monthly partitions): index scans, no sequential scan of a large table, partition
 * pruning. Seeding takes minutes, so it runs only in the {@code scale} profile ({@code ./mvnw -pl
 * server verify -Pscale}); {@code ./mvnw verify} and {@code .ci/run} do not run it.
 */
@Tag("scale")
class ScalePlanTest extends QueryPlanTest {
  static final SeedPlan SCALE = new SeedPlan(250_000, 25_000, 5_000_000, 42);

  private static EmbeddedDatabase server;
  private static Path dir;

  @BeforeAll
  static void seedFiveMillionOrders() throws Exception {
    dir = Files.createTempDirectory("hotpath-scale-");
    server = EmbeddedDatabase.start(dir.resolve("pg"), 0);
    Migrations.migrate(server.coordinates());
    DataGenerator.seed(server.coordinates(), SCALE, new ProgressBar(System.err));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (dir != null) {
      TempDirs.delete(dir); // 8 GB of generated data
    }
  }

  @Override
  DatabaseCoordinates database() {
    return server.coordinates();
  }
}
