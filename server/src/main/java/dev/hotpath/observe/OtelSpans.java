package dev.hotpath.observe;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exports request traces as OpenTelemetry spans over OTLP/HTTP. Every request records its own span
 * and its database calls cheaply (nanosecond pairs on the request); when it ends, the trace is
 * exported if it was head-sampled (1% by default, or the caller's sampled flag) or if it was slower
 * than its route class's SLO. Export is batched on one background thread through a bounded queue:
 * when the collector is slow, spans are dropped, never the request.
 */
final class OtelSpans {
  private static final Logger log = LoggerFactory.getLogger(OtelSpans.class);
  private static final InstrumentationScopeInfo SCOPE =
      InstrumentationScopeInfo.create("dev.hotpath");
  private static final int QUEUE = 8192;
  private static final int MAX_DB_SPANS = 64;

  private final SpanExporter exporter;
  private final Resource resource =
      Resource.getDefault()
          .merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "hotpath")));
  private final Map<String, Duration> sloByClass;
  private final ArrayBlockingQueue<SpanData> queue = new ArrayBlockingQueue<>(QUEUE);
  private final ScheduledExecutorService flusher =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "otel-export"));
  private final long epochOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

  OtelSpans(String endpoint, Map<String, Duration> sloByClass) {
    this.exporter =
        OtlpHttpSpanExporter.builder()
            .setEndpoint(
                endpoint.endsWith("/v1/traces")
                    ? endpoint
                    : endpoint.replaceAll("/$", "") + "/v1/traces")
            .setTimeout(Duration.ofSeconds(5))
            .build();
    this.sloByClass = Map.copyOf(sloByClass);
    flusher.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.SECONDS);
    log.info("exporting traces to {}", endpoint);
  }

  void start(RequestTrace trace) {
    trace.span = new long[2 * MAX_DB_SPANS + 1];
  }

  /** Called by the tracer around each database call of a request. */
  static void dbCall(RequestTrace trace, long startNanos, long endNanos) {
    if (trace.span instanceof long[] calls) {
      int n = (int) calls[0];
      if (n < MAX_DB_SPANS) {
        calls[1 + 2 * n] = startNanos;
        calls[2 + 2 * n] = endNanos;
        calls[0] = n + 1;
      }
    }
  }

  /** An outside call of a request, kept for export. */
  record OutsideCall(String service, String spanId, long startNanos, long endNanos) {}

  /** Called around each outside call of a request (a few per request at most). */
  static void outsideCall(
      RequestTrace trace, String service, String spanId, long startNanos, long endNanos) {
    if (trace.span == null) {
      return;
    }
    if (trace.outsideCalls == null) {
      trace.outsideCalls = new ArrayList<OutsideCall>(4);
    }
    @SuppressWarnings("unchecked")
    List<OutsideCall> calls = (List<OutsideCall>) trace.outsideCalls;
    if (calls.size() < MAX_DB_SPANS) {
      calls.add(new OutsideCall(service, spanId, startNanos, endNanos));
    }
  }

  void end(RequestTrace trace, int status, long durationNanos) {
    Duration slo = sloByClass.get(trace.routeClass);
    boolean slow = slo != null && durationNanos > slo.toNanos();
    if (!trace.sampled && !slow) {
      return;
    }
    TraceFlags flags = TraceFlags.getSampled();
    SpanContext self =
        SpanContext.create(trace.traceId(), trace.spanId(), flags, TraceState.getDefault());
    SpanContext parent =
        trace.parentSpanId == null
            ? SpanContext.getInvalid()
            : SpanContext.createFromRemoteParent(
                trace.traceId(), trace.parentSpanId, flags, TraceState.getDefault());
    long start = epochOffsetNanos + trace.startNanos;
    Attributes attributes =
        Attributes.builder()
            .put("http.route", trace.route)
            .put("http.response.status_code", status)
            .put("hotpath.request_id", trace.requestId())
            .put("hotpath.db_queries", trace.dbQueries)
            .put("hotpath.cache", trace.cache == null ? "-" : trace.cache)
            .put("hotpath.kept_because", trace.sampled ? "sampled" : "slower_than_slo")
            .build();
    offer(
        new Span(
            trace.route,
            SpanKind.SERVER,
            self,
            parent,
            start,
            start + durationNanos,
            attributes,
            status >= 500 ? StatusData.create(StatusCode.ERROR, "") : StatusData.unset(),
            resource));
    if (trace.span instanceof long[] calls) {
      for (int i = 0; i < calls[0]; i++) {
        SpanContext child =
            SpanContext.create(
                trace.traceId(), RequestTrace.randomHex(16), flags, TraceState.getDefault());
        offer(
            new Span(
                "db.query",
                SpanKind.CLIENT,
                child,
                self,
                epochOffsetNanos + calls[1 + 2 * i],
                epochOffsetNanos + calls[2 + 2 * i],
                Attributes.of(AttributeKey.stringKey("db.system"), "postgresql"),
                StatusData.unset(),
                resource));
      }
    }
    if (trace.outsideCalls instanceof List<?> calls) {
      for (Object o : calls) {
        OutsideCall call = (OutsideCall) o;
        offer(
            new Span(
                call.service(),
                SpanKind.CLIENT,
                SpanContext.create(trace.traceId(), call.spanId(), flags, TraceState.getDefault()),
                self,
                epochOffsetNanos + call.startNanos(),
                epochOffsetNanos + call.endNanos(),
                Attributes.of(AttributeKey.stringKey("peer.service"), call.service()),
                StatusData.unset(),
                resource));
      }
    }
  }

  private void offer(SpanData span) {
    queue.offer(span);
  }

  private void flush() {
    List<SpanData> batch = new ArrayList<>(512);
    queue.drainTo(batch, 512);
    if (!batch.isEmpty()) {
      exporter.export(batch).join(10, TimeUnit.SECONDS);
    }
  }

  void shutdown() {
    flusher.shutdown();
    flush();
    exporter.shutdown().join(5, TimeUnit.SECONDS);
  }

  /** An ended span, as the exporter wants it. */
  private record Span(
      String name,
      SpanKind kind,
      SpanContext context,
      SpanContext parent,
      long start,
      long end,
      Attributes attributes,
      StatusData status,
      Resource res)
      implements SpanData {
    @Override
    public String getName() {
      return name;
    }

    @Override
    public SpanKind getKind() {
      return kind;
    }

    @Override
    public SpanContext getSpanContext() {
      return context;
    }

    @Override
    public SpanContext getParentSpanContext() {
      return parent;
    }

    @Override
    public StatusData getStatus() {
      return status;
    }

    @Override
    public long getStartEpochNanos() {
      return start;
    }

    @Override
    public Attributes getAttributes() {
      return attributes;
    }

    @Override
    public List<EventData> getEvents() {
      return List.of();
    }

    @Override
    public List<LinkData> getLinks() {
      return List.of();
    }

    @Override
    public long getEndEpochNanos() {
      return end;
    }

    @Override
    public boolean hasEnded() {
      return true;
    }

    @Override
    public int getTotalRecordedEvents() {
      return 0;
    }

    @Override
    public int getTotalRecordedLinks() {
      return 0;
    }

    @Override
    public int getTotalAttributeCount() {
      return attributes.size();
    }

    @SuppressWarnings("deprecation")
    public io.opentelemetry.sdk.common.InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
      return io.opentelemetry.sdk.common.InstrumentationLibraryInfo.create(SCOPE.getName(), null);
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return SCOPE;
    }

    @Override
    public Resource getResource() {
      return res;
    }
  }
}
