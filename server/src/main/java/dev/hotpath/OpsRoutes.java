package dev.hotpath;

import dev.hotpath.edge.Routes;
import dev.hotpath.http.Contract;
import dev.hotpath.http.DocsAssets;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.http.Params;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Readiness;
import dev.hotpath.http.Responses;
import dev.hotpath.http.SecurityHeaders;
import dev.hotpath.observe.Observability;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Health, the contract, and the documentation page.
 *
 * @param metricsServed whether /metrics exists (HOTPATH_METRICS)
 */
public record OpsRoutes(
    Pool pool,
    Readiness readiness,
    Contract contract,
    Observability observability,
    boolean metricsServed) {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OpsRoutes.class);
  private static final Buffer LIVE = Buffer.buffer("{\"status\":\"up\"}");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

  /** {@code GET /}: where a person finds the documentation, the contract and health. */
  private static final Buffer INDEX =
      Buffer.buffer(
          "{\"name\":\"hotpath\",\"docs\":\"/docs\",\"openapi\":\"/openapi.yaml\","
              + "\"health\":{\"live\":\"/health/live\",\"ready\":\"/health/ready\"}}");

  /** Starts Swagger UI; a file rather than an inline script, so the page's CSP forbids inline. */
  private static final Buffer DOCS_SCRIPT =
      Buffer.buffer(
          "window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#ui', deepLinking: true });\n");

  /**
   * Mounts health, metrics (unless turned off), the contract and the docs, and — only when requests
   * are authenticated, since they then need a token with the admin scope — the admin routes.
   */
  public void mount(Routes routes, BodyHandler body) {
    mountOperations(routes, body);
    mountDocs(routes);
  }

  /**
   * What an operator and the platform need while the API is busy: health, metrics (unless turned
   * off) and, when requests are authenticated, the admin routes of this class; the operations
   * listener ({@code HOTPATH_OPS_PORT}, {@link OpsVerticle}) serves these and the job admin routes
   * ({@link AdminRoutes}) only.
   */
  public void mountOperations(Routes routes, BodyHandler body) {
    routes.get("/health/live").handler(ctx -> Responses.json(ctx, 200, LIVE));
    routes.get("/health/ready").handler(this::ready);
    if (metricsServed) {
      routes.get("/metrics").handler(this::metrics);
    }
    if (routes.authenticated()) {
      routes.put("/admin/log-level").handler(body).handler(this::setLogLevel);
      routes.get("/admin/jfr").handler(this::recordJfr);
    }
  }

  /** The index, the contract and the documentation page: the API port's. */
  private void mountDocs(Routes routes) {
    Buffer yaml = Buffer.buffer(contract.yaml());
    String version = swaggerUiVersion();
    DocsAssets docsAssets =
        new DocsAssets("META-INF/resources/webjars/swagger-ui/" + version, version);
    Buffer docsPage = Buffer.buffer(docsHtml(docsAssets), StandardCharsets.UTF_8.name());
    routes.get("/").handler(ctx -> Responses.json(ctx, 200, INDEX));
    routes
        .get("/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .end(yaml));
    routes
        .get("/docs")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/html; charset=utf-8")
                    .putHeader(SecurityHeaders.CSP_NAME, SecurityHeaders.DOCS_CSP)
                    .end(docsPage));
    routes
        .get("/docs/init.js")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/javascript; charset=utf-8")
                    .putHeader("Cache-Control", "public, max-age=300")
                    .end(DOCS_SCRIPT));
    // static files of the docs page, not API operations: outside the contract, like a CDN's
    routes.router().get("/docs/assets/:version/:name").handler(docsAssets::handle);
  }

  /**
   * Prometheus scrape; formatting a few hundred series is CPU work, so it runs off the event loop.
   */
  private void metrics(RoutingContext ctx) {
    String accept = ctx.request().getHeader("Accept");
    String type =
        accept != null && accept.contains("application/openmetrics-text")
            ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
            : "text/plain; version=0.0.4; charset=utf-8";
    ctx.vertx()
        .executeBlocking(() -> observability.registry().scrape(type))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                ctx.fail(ar.cause());
              } else {
                ctx.response()
                    .putHeader("Content-Type", type)
                    .putHeader("Cache-Control", "no-store")
                    .end(ar.result());
              }
            });
  }

  private void setLogLevel(RoutingContext ctx) {
    Params.of(ctx, Set.of()).check();
    var node = contract.readBody(ctx.body().buffer(), "LogLevel");
    String logger = node.get("logger").asText();
    String level = node.get("level").asText();
    ch.qos.logback.classic.Logger target =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger);
    target.setLevel(ch.qos.logback.classic.Level.toLevel(level));
    log.info("log level of {} set to {} through the admin route", logger, level);
    Buffer out =
        JsonOutput.write(
            96,
            gen -> {
              gen.writeStartObject();
              gen.writeStringField("logger", logger);
              gen.writeStringField("level", level);
              gen.writeEndObject();
            });
    Responses.json(ctx, 200, out);
  }

  /**
   * When the one flight recording of {@code /admin/jfr} that may run in this process ends (epoch
   * milliseconds), 0 when none runs. JFR is the process's, so the bound is too: each recording
   * keeps its own buffers and temporary file, and a caller that asked for many at once (or went
   * away and asked again) could otherwise fill memory and disk.
   */
  private static final AtomicLong RECORDING_ENDS = new AtomicLong();

  /** The name of the recording, so that a test or an operator can see it in the process. */
  static final String RECORDING_NAME = "hotpath-admin";

  /**
   * Records JFR for N seconds without holding a thread, then streams the file. One at a time: while
   * one runs, another is a 409 with {@code Retry-After}. A caller that goes away ends its recording
   * at once (no dump, nothing kept); the recording is closed and its file deleted on every path.
   */
  private void recordJfr(RoutingContext ctx) {
    Params params = Params.of(ctx, Set.of("seconds"));
    int seconds = params.intInRange("seconds", 10, 1, 300);
    params.check();
    long now = System.currentTimeMillis();
    if (!RECORDING_ENDS.compareAndSet(0, now + seconds * 1000L)) {
      long left = Math.max(1, (RECORDING_ENDS.get() - now + 999) / 1000);
      ctx.response().putHeader("Retry-After", Long.toString(left));
      throw new ProblemException(
          ProblemType.CONFLICT,
          "a flight recording is already running (one at a time); it ends in about " + left + " s");
    }
    new JfrCall(ctx, seconds).start();
  }

  /**
   * One {@code /admin/jfr} call: its recording, its timer, and how it ends. Event-loop confined.
   */
  private static final class JfrCall {
    private final RoutingContext ctx;
    private final Vertx vertx;
    private final int seconds;
    private jdk.jfr.@Nullable Recording recording;
    private long timer = -1;
    private boolean ended;

    JfrCall(RoutingContext ctx, int seconds) {
      this.ctx = ctx;
      this.vertx = ctx.vertx();
      this.seconds = seconds;
    }

    void start() {
      ctx.response().closeHandler(v -> end(false));
      vertx
          .executeBlocking(
              () -> {
                var r = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                r.setName(RECORDING_NAME);
                r.start();
                return r;
              })
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  RECORDING_ENDS.set(0);
                  if (!ended) {
                    ended = true;
                    ctx.fail(ar.cause());
                  }
                  return;
                }
                recording = ar.result();
                if (ended) { // the caller went away while it started
                  ended = false;
                  end(false);
                  return;
                }
                timer = vertx.setTimer(seconds * 1000L, id -> end(true));
              });
    }

    /** Stops and closes the recording once, dumping it first when it is to be sent. */
    private void end(boolean send) {
      if (ended) {
        return;
      }
      ended = true;
      jdk.jfr.Recording r = recording;
      if (r == null) {
        return; // still starting: start()'s completion ends it
      }
      if (timer != -1) {
        vertx.cancelTimer(timer);
      }
      vertx
          .executeBlocking(
              () -> {
                try {
                  if (!send) {
                    return null;
                  }
                  java.nio.file.Path file = java.nio.file.Files.createTempFile("hotpath-", ".jfr");
                  try {
                    r.stop();
                    r.dump(file);
                    return file;
                  } catch (IOException | RuntimeException e) {
                    java.nio.file.Files.deleteIfExists(file);
                    throw e;
                  }
                } finally {
                  r.close();
                  RECORDING_ENDS.set(0);
                }
              })
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  ctx.fail(ar.cause());
                  return;
                }
                java.nio.file.Path file = ar.result();
                if (file == null) {
                  return;
                }
                if (ctx.response().closed()) {
                  delete(file);
                  return;
                }
                ctx.response()
                    .putHeader("Content-Type", "application/octet-stream")
                    .putHeader("Content-Disposition", "attachment; filename=\"hotpath.jfr\"")
                    .sendFile(file.toString())
                    .onComplete(done -> delete(file));
              });
    }

    private void delete(java.nio.file.Path file) {
      vertx.executeBlocking(() -> java.nio.file.Files.deleteIfExists(file));
    }
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
              if (ar.failed()) {
                health(ctx, 503, "down", "down", "applied");
              } else if (readiness.checks().stream().allMatch(Readiness.Check::ok)) {
                health(ctx, 200, "up", "up", "applied");
              } else {
                health(ctx, 503, "down", "up", "applied");
              }
            });
  }

  private void health(
      RoutingContext ctx, int status, String overall, String database, String migrations) {
    Buffer body =
        JsonOutput.write(
            128,
            gen -> {
              gen.writeStartObject();
              gen.writeStringField("status", overall);
              gen.writeObjectFieldStart("checks");
              gen.writeStringField("database", database);
              gen.writeStringField("migrations", migrations);
              for (Readiness.Check check : readiness.checks()) {
                gen.writeStringField(check.name(), check.state());
              }
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

  private static String docsHtml(DocsAssets assets) {
    return """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>hotpath API</title>
          <link rel="stylesheet" href="CSS">
        </head>
        <body>
          <div id="ui"></div>
          <script src="BUNDLE"></script>
          <script src="/docs/init.js"></script>
        </body>
        </html>
        """
        .replace("CSS", assets.url("swagger-ui.css"))
        .replace("BUNDLE", assets.url("swagger-ui-bundle.js"));
  }
}
