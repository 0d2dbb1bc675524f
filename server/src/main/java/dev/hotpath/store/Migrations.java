package dev.hotpath.store;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the schema to the newest version with Flyway; blocking, so never call it on an event loop.
 */
public final class Migrations {
  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  /** Applies pending migrations and returns the schema version now in force. */
  public static String migrate(DatabaseCoordinates db) {
    Flyway flyway =
        Flyway.configure()
            .dataSource(db.jdbcUrl(), db.user(), db.password())
            .locations("classpath:db/migration")
            .loggers("slf4j")
            .load();
    MigrateResult result = flyway.migrate();
    String version =
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : String.valueOf(flyway.info().current().getVersion());
    log.info(
        "schema at version {} ({} migrations applied now)", version, result.migrationsExecuted);
    return version;
  }
}
