package dev.hotpath.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.AsciiString;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.tracer.common.SpanContext;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.tracing.TracingOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's observability: RED metrics per route template (Prometheus, with exemplars that
 * carry trace ids), one JSON access-log line per request, the {@code Server-Timing} header, the
 * query budget guard and, when an OTLP endpoint is set, OpenTelemetry spans. One per process,
 * shared by all event loops; thread-safe.
 */
public final class Observability {
  private static final Logger log = LoggerFactory.getLogger(Observability.class);

  /**
   * The bucket bounds of the request histograms: those the SLOs and their alerts need (reads
   * 100/200 ms, writes 200/500 ms, lists 500/1000 ms) within a 1-2.5-5 ladder from 0.5 ms to 10 s,
   * fine enough for the dashboards' quantiles. Fifteen, where Micrometer's percentile histogram had
   * some seventy: recording searches them on every request (1.3 % of the CPU of a cached read,
   * measured by JFR), and every scrape writes them per route and status.
   */
  private static final Duration[] SLO_BOUNDS = {
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofNanos(2_500_000),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(200),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofMillis(1000),
    Duration.ofMillis(2500),
    Duration.ofMillis(5000),
    Duration.ofMillis(10000)
  };

  private static final ThreadLocal<RequestTrace> RECORDING = new ThreadLocal<>();

  private final PrometheusMeterRegistry registry;
  private final double sampleRate;
  private final Optional<OtelSpans> otel;
  private final Map<String, AtomicReferenceArray<Timer>> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> budgetBreaches = new ConcurrentHashMap<>();
  private final PoolGauges poolGauges;
  private final AccessLog accessLog;

  public Observability(
      double sampleRate, Optional<String> otlpEndpoint, Map<String, Duration> sloByClass) {
    this(sampleRate, otlpEndpoint, sloByClass, dev.hotpath.config.AccessLogSettings.off());
  }

  /**
   * Micrometer's default configuration, except that exemplars go on histogram buckets only (as
   * OpenMetrics 1.0 has it), not also on each histogram's {@code _count}, which Micrometer adds by
   * default: Prometheus before 2.43 (Debian 12 ships 2.42) refuses a whole scrape with one such
   * exemplar ("does not support exemplars"), and a traced request puts one there.
   */
  private static final PrometheusConfig EXEMPLARS_ON_BUCKETS_ONLY =
      new PrometheusConfig() {
        @Override
        public String get(String key) {
          return null;
        }

        @Override
        public java.util.Properties prometheusProperties() {
          java.util.Properties properties = PrometheusConfig.super.prometheusProperties();
          properties.setProperty("io.prometheus.exporter.exemplarsOnAllMetricTypes", "false");
          return properties;
        }
      };

  /** With the access log of {@code accessLog} (which may be off). */
  public Observability(
      double sampleRate,
      Optional<String> otlpEndpoint,
      Map<String, Duration> sloByClass,
      dev.hotpath.config.AccessLogSettings accessLog) {
    Tracing.init();
    this.sampleRate = sampleRate;
    this.registry =
        new PrometheusMeterRegistry(
            EXEMPLARS_ON_BUCKETS_ONLY,
            new PrometheusRegistry(),
            io.micrometer.core.instrument.Clock.SYSTEM,
            new ExemplarSpans());
    new JvmGcMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    this.poolGauges = new PoolGauges(registry);
    this.accessLog = AccessLog.open(accessLog, sloByClass);
    if (this.accessLog != null) {
      io.micrometer.core.instrument.FunctionCounter.builder(
              "hotpath_access_log_dropped", this.accessLog, AccessLog::dropped)
          .description("Access-log lines dropped because the writer fell behind")
          .register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder(
              "hotpath_access_log_sampled_out", this.accessLog, AccessLog::sampledOut)
          .description(
              "Access-log lines left out by sampling (the written ones carry their weight)")
          .register(registry);
    }
    this.otel = otlpEndpoint.map(endpoint -> new OtelSpans(endpoint, sloByClass));
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The factory Vert.x needs to report its database pools. */
  public VertxMetricsFactory metricsFactory() {
    return poolGauges;
  }

  /** The factory Vert.x needs to call this object's tracer. */
  public VertxTracerFactory tracerFactory() {
    Tracing tracing = new Tracing(this);
    return new VertxTracerFactory() {
      @Override
      public io.vertx.core.spi.tracing.VertxTracer<?, ?> tracer(TracingOptions options) {
        return tracing;
      }
    };
  }

  RequestTrace open(Optional<Traceparent> parent, String requestId) {
    String clientId = requestId != null && isSafeId(requestId) ? requestId : null;
    RequestTrace trace;
    if (parent.isEmpty()) {
      boolean sampled = ThreadLocalRandom.current().nextDouble() < sampleRate;
      trace = new RequestTrace(clientId, null, null, sampled);
    } else {
      Traceparent p = parent.get();
      trace = new RequestTrace(clientId, p.traceId(), p.parentId(), p.sampled());
    }
    // not ifPresent: its capturing lambda was allocated per request (JFR), spans exported or not
    if (otel.isPresent()) {
      otel.get().start(trace);
    }
    return trace;
  }

  private static boolean isSafeId(String s) {
    if (s.isEmpty() || s.length() > 128) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == ':')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Echoes the request's ids on its response and arranges for {@code Server-Timing} to be written
   * with the headers. Called by the server's request handler before the router, so every response
   * carries them (404s and 405s included) without a router step of its own.
   */
  public static void echo(io.vertx.core.http.HttpServerRequest request) {
    RequestTrace trace = Tracing.currentOrNull();
    if (trace == null) {
      return;
    }
    HttpServerResponse response = request.response();
    // HTTP/2 names are lowercase: given so, Vert.x need not lowercase them for every response
    boolean h2 = request.version() == io.vertx.core.http.HttpVersion.HTTP_2;
    response.putHeader(h2 ? REQUEST_ID_H2 : REQUEST_ID, trace.requestIdHeader());
    response.putHeader(TRACEPARENT, trace.traceparentHeader());
    CharSequence serverTiming = h2 ? SERVER_TIMING_H2 : SERVER_TIMING;
    response.headersEndHandler(v -> response.putHeader(serverTiming, serverTiming(trace)));
  }

  private static final CharSequence REQUEST_ID_H2 = HttpHeaders.createOptimized("x-request-id");
  private static final CharSequence SERVER_TIMING_H2 = HttpHeaders.createOptimized("server-timing");

  private static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("X-Request-Id");
  private static final CharSequence TRACEPARENT = HttpHeaders.createOptimized("traceparent");
  private static final CharSequence SERVER_TIMING = HttpHeaders.createOptimized("Server-Timing");

  /** Names the route (template, class, query budget) of the request running on this context. */
  public static void tag(RouteInfo info) {
    RequestTrace t = Tracing.currentOrNull();
    if (t != null) {
      t.route = info.template();
      t.routeClass = info.routeClass();
      t.queryBudget = info.queryBudget();
    }
  }

  /**
   * The {@code Server-Timing} value of a request that is being answered: {@code db;dur=1.234;
   * desc="2 queries", cache;desc=hit, deps;dur=0.000, app;dur=0.321} (milliseconds), written as
   * ASCII bytes into one array, the header value without a copy.
   */
  static CharSequence serverTiming(RequestTrace t) {
    byte[] b = new byte[SERVER_TIMING_BYTES];
    return new AsciiString(b, 0, serverTiming(t, b), false);
  }

  /** The most bytes a {@code Server-Timing} value takes (its durations of up to 19 digits). */
  public static final int SERVER_TIMING_BYTES = 160;

  /**
   * Writes the {@code Server-Timing} value of a request being answered into {@code b} (at least
   * {@link #SERVER_TIMING_BYTES} long) from its start; returns its length.
   */
  private static int serverTiming(RequestTrace t, byte[] b) {
    long total = System.nanoTime() - t.startNanos;
    long app = Math.max(0, total - t.dbNanos - t.depsNanos);
    int at = ascii(b, 0, "db;dur=");
    at = millis(b, at, t.dbNanos);
    at = ascii(b, at, ";desc=\"");
    at = decimal(b, at, t.dbQueries);
    at = ascii(b, at, " queries\"");
    if (t.cache != null) {
      at = ascii(b, ascii(b, at, ", cache;desc="), t.cache);
    }
    at = millis(b, ascii(b, at, ", deps;dur="), t.depsNanos);
    at = millis(b, ascii(b, at, ", app;dur="), app);
    return at;
  }

  private static int ascii(byte[] b, int at, String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      b[at++] = (byte) s.charAt(i);
    }
    return at;
  }

  /** Writes {@code v} (0 or more) in decimal. */
  private static int decimal(byte[] b, int at, long v) {
    if (v < 0) {
      v = 0;
    }
    int digits = 1;
    for (long x = v; x >= 10; x /= 10) {
      digits++;
    }
    for (int i = at + digits - 1; i >= at; i--) {
      b[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    return at + digits;
  }

  /** Writes {@code nanos} as milliseconds with three decimals. */
  private static int millis(byte[] b, int at, long nanos) {
    long micros = nanos / 1_000;
    at = decimal(b, at, micros / 1000);
    long frac = micros % 1000;
    b[at++] = '.';
    b[at++] = (byte) ('0' + frac / 100);
    b[at++] = (byte) ('0' + frac / 10 % 10);
    b[at++] = (byte) ('0' + frac % 10);
    return at;
  }

  /**
   * The status a request is counted under when its connection closed (or its stream was reset)
   * before its response ended: nginx's "client closed request" (the failure the close causes ends a
   * 500 on the closed connection, which no one receives). Counted as 500 before, every wrk run's
   * end (64 connections closed with a request in flight) showed up as 64 server errors.
   */
  static final int CLOSED_BEFORE_RESPONSE = 499;

  void close(RequestTrace t, HttpServerResponse response, Throwable failure) {
    long nanos = System.nanoTime() - t.startNanos;
    int status =
        response == null || response.closed() ? CLOSED_BEFORE_RESPONSE : response.getStatusCode();
    record(t, status, nanos);
    if (response != null && accessLog != null) {
      accessLog.write(t, response, status, nanos);
    }
  }

  /**
   * Opens the trace of a GET that is answered below Vert.x's HTTP server ({@code
   * edge.PreparedRead}), as the tracer opens one for a request Vert.x receives: from the request's
   * {@code traceparent} and {@code X-Request-Id} (either may be null), named after {@code route}.
   */
  public RequestTrace openBelow(String traceparent, String requestId, RouteInfo route) {
    RequestTrace t = open(Traceparent.parse(traceparent), requestId);
    t.route = route.template();
    t.routeClass = route.routeClass();
    t.queryBudget = route.queryBudget();
    return t;
  }

  /**
   * Makes a trace of {@link #openBelow} the one of the current context (a context duplicated for
   * the request, as Vert.x duplicates one for a request it receives): the database calls made from
   * it are counted and timed against the trace, as the tracer counts those of a routed request.
   */
  public static void bindBelow(RequestTrace t) {
    CurrentContext.put(Tracing.LOCAL, t);
  }

  /**
   * Closes a trace of {@link #openBelow} whose response of {@code status} was written: the route's
   * timer, the exported span and the access-log line, as {@link Tracing} closes one for Vert.x.
   */
  public void closeBelow(RequestTrace t, int status, AccessLog.Exchange exchange) {
    long nanos = System.nanoTime() - t.startNanos;
    record(t, status, nanos);
    if (accessLog != null) {
      accessLog.write(t, exchange, status, nanos);
    }
  }

  /** The {@code X-Request-Id} value of a trace, as written on its response. */
  public static CharSequence requestIdHeader(RequestTrace t) {
    return t.requestIdHeader();
  }

  /** The {@code traceparent} value of a trace, as written on its response. */
  public static CharSequence traceparentHeader(RequestTrace t) {
    return t.traceparentHeader();
  }

  /**
   * Writes the {@code Server-Timing} value of a trace being answered now into {@code into} (at
   * least {@link #SERVER_TIMING_BYTES} long, reused from one request to the next by a caller
   * confined to its thread) and returns its length: as {@link #serverTiming(RequestTrace)} without
   * the array and the string around it per request.
   */
  public static int serverTimingHeader(RequestTrace t, byte[] into) {
    return serverTiming(t, into);
  }

  /** The route timer, the query budget and the exported span of a request that ended. */
  private void record(RequestTrace t, int status, long nanos) {
    Timer timer = timer(t.route, status);
    if (!t.sampled) {
      // exemplars come from sampled traces only; the others skip the thread-local altogether
      timer.record(nanos, TimeUnit.NANOSECONDS);
    } else {
      RECORDING.set(t);
      try {
        timer.record(nanos, TimeUnit.NANOSECONDS);
      } finally {
        RECORDING.remove();
      }
    }
    if (t.dbQueries > t.queryBudget) {
      budgetBreaches
          .computeIfAbsent(
              t.route,
              r ->
                  Counter.builder("hotpath_query_budget_exceeded")
                      .description(
                          "Requests that made more database queries than their route's budget")
                      .tag("route", r)
                      .register(registry))
          .increment();
      log.warn(
          "query budget exceeded on {}: {} queries, budget {}",
          t.route,
          t.dbQueries,
          t.queryBudget);
    }
    if (otel.isPresent()) {
      otel.get().end(t, status, nanos);
    }
  }

  private Timer timer(String route, int status) {
    AtomicReferenceArray<Timer> byStatus = timers.get(route);
    if (byStatus == null) {
      byStatus = timers.computeIfAbsent(route, r -> new AtomicReferenceArray<>(600));
    }
    int slot = status >= 100 && status < 600 ? status : 599;
    Timer timer = byStatus.get(slot);
    if (timer == null) {
      timer =
          Timer.builder("http_server_requests")
              .description("HTTP requests by route template and status")
              .tag("route", route)
              .tag("status", Integer.toString(status))
              .tag(
                  "outcome",
                  status >= 500 ? "SERVER_ERROR" : status >= 400 ? "CLIENT_ERROR" : "SUCCESS")
              .serviceLevelObjectives(SLO_BOUNDS)
              .register(registry);
      byStatus.set(slot, timer);
    }
    return timer;
  }

  /** Feeds exemplars: the trace of the request whose latency is being recorded, when sampled. */
  private static final class ExemplarSpans implements SpanContext {
    @Override
    public String getCurrentTraceId() {
      RequestTrace t = RECORDING.get();
      return t == null ? null : t.traceId();
    }

    @Override
    public String getCurrentSpanId() {
      RequestTrace t = RECORDING.get();
      return t == null ? null : t.spanId();
    }

    @Override
    public boolean isCurrentSpanSampled() {
      RequestTrace t = RECORDING.get();
      return t != null && t.sampled;
    }

    @Override
    public void markCurrentSpanAsExemplar() {}
  }

  public void close() {
    otel.ifPresent(OtelSpans::shutdown);
    if (accessLog != null) {
      accessLog.close();
    }
    registry.close();
  }
}
