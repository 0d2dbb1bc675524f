package dev.hotpath.edge;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;

/** Health, the contract, and the documentation page. */
public final class OpsRoutes {
  private static final Buffer LIVE = Buffer.buffer("{\"status\":\"up\"}");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

  private final Pool pool;
  private final Readiness readiness;
  private final Buffer yaml;
  private final Buffer docsPage;
  private final String swaggerRoot;

  public OpsRoutes(Pool pool, Readiness readiness, Contract contract) {
    this.pool = pool;
    this.readiness = readiness;
    this.yaml = Buffer.buffer(contract.yaml());
    String version = swaggerUiVersion();
    this.swaggerRoot = "META-INF/resources/webjars/swagger-ui/" + version;
    this.docsPage = Buffer.buffer(docsHtml(), StandardCharsets.UTF_8.name());
  }

  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> Responses.json(ctx, 200, LIVE));
    router.get("/health/ready").handler(this::ready);
    router
        .get("/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .end(yaml));
    router
        .get("/docs")
        .handler(
            ctx ->
                ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(docsPage));
    router
        .get("/docs/assets/*")
        .handler(StaticHandler.create(swaggerRoot).setCachingEnabled(true).setMaxAgeSeconds(86400));
  }

  private void ready(RoutingContext ctx) {
    if (readiness.draining() || !readiness.migrated()) {
      String reason = readiness.draining() ? "draining" : "pending";
      health(ctx, 503, "down", "unknown", reason);
      return;
    }
    pool.query("SELECT 1")
        .execute()
        .timeout(READY_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                health(ctx, 200, "up", "up", "applied");
              } else {
                health(ctx, 503, "down", "down", "applied");
              }
            });
  }

  private static void health(
      RoutingContext ctx, int status, String overall, String database, String migrations) {
    Buffer body =
        JsonOutput.write(
            96,
            gen -> {
              gen.writeStartObject();
              gen.writeStringField("status", overall);
              gen.writeObjectFieldStart("checks");
              gen.writeStringField("database", database);
              gen.writeStringField("migrations", migrations);
              gen.writeEndObject();
              gen.writeEndObject();
            });
    ctx.response().putHeader("Cache-Control", "no-store");
    Responses.json(ctx, status, body);
  }

  private static String swaggerUiVersion() {
    try (InputStream in =
        OpsRoutes.class
            .getClassLoader()
            .getResourceAsStream("META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("the swagger-ui webjar is not on the class path");
      }
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String docsHtml() {
    return """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>hotpath API</title>
          <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
        </head>
        <body>
          <div id="ui"></div>
          <script src="/docs/assets/swagger-ui-bundle.js"></script>
          <script>
            window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#ui', deepLinking: true });
          </script>
        </body>
        </html>
        """;
  }
}
