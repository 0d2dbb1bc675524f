package dev.hotpath.observe;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.spi.context.storage.ContextLocal;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Hooks Vert.x's tracing SPI: an HTTP request opens a {@link RequestTrace} on its (duplicated)
 * context; every database query made from that context is counted and timed against it, without any
 * call site having to know; the response closes it. Background work has no trace and is not
 * counted.
 */
public final class Tracing implements VertxTracer<RequestTrace, Tracing.DbCall> {
  /** Registered before any Vertx instance exists (class initialisation of this class). */
  static final ContextLocal<RequestTrace> LOCAL = ContextLocal.registerLocal(RequestTrace.class);

  private static final CharSequence TRACEPARENT =
      io.vertx.core.http.HttpHeaders.createOptimized("traceparent");
  private static final CharSequence REQUEST_ID =
      io.vertx.core.http.HttpHeaders.createOptimized("x-request-id");

  private final Observability observability;

  Tracing(Observability observability) {
    this.observability = observability;
  }

  /** Forces registration of the context local; call before building Vertx. */
  static void init() {}

  /** The trace of the request running on the current context, if any. */
  public static Optional<RequestTrace> current() {
    return Optional.ofNullable(currentOrNull());
  }

  /**
   * The W3C {@code traceparent} of the request running on the current context, or null: what a
   * write stores beside its outbox event so the event's consumers continue the request's trace.
   */
  public static @Nullable String currentTraceparent() {
    RequestTrace trace = currentOrNull();
    return trace == null ? null : trace.traceparent();
  }

  /** As {@link #current()}, without the Optional, for the per-request path. */
  public static RequestTrace currentOrNull() {
    return CurrentContext.get(LOCAL);
  }

  /**
   * A context of {@code on}'s event loop whose database queries are counted and timed apart, on a
   * trace of no request: work done for several requests at once (a group commit), whose queries
   * each request then adds to its own with {@link RequestTrace#addQueriesOf}. A connection taken
   * from a pool on this context has its queries counted here; read them with {@link #traceOf}.
   */
  public static Context apart(Context on) {
    io.vertx.core.internal.ContextInternal context =
        ((io.vertx.core.internal.ContextInternal) on).unwrap().duplicate();
    try {
      LOCAL.put(context, new RequestTrace(null, null, null, false));
    } catch (IllegalArgumentException builtBeforeTheLocal) {
      // no slot for it: nothing is counted
    }
    return context;
  }

  /** The trace bound to {@code context} ({@link #apart}, or a request's), or null. */
  public static @Nullable RequestTrace traceOf(Context context) {
    try {
      return LOCAL.get(context);
    } catch (IllegalArgumentException builtBeforeTheLocal) {
      return null;
    }
  }

  record DbCall(RequestTrace trace, long startNanos) {}

  @Override
  public <R> RequestTrace receiveRequest(
      Context context,
      SpanKind kind,
      TracingPolicy policy,
      R request,
      String operation,
      Iterable<Map.Entry<String, String>> headers,
      TagExtractor<R> tagExtractor) {
    if (kind != SpanKind.RPC && kind != SpanKind.MESSAGING) {
      return null;
    }
    String traceparent = null;
    String requestId = null;
    io.vertx.core.http.HttpServerRequest httpRequest = null;
    if (request instanceof io.vertx.core.http.HttpServerRequest r) {
      // two hash lookups instead of walking every header
      httpRequest = r;
      traceparent = r.getHeader(TRACEPARENT);
      requestId = r.getHeader(REQUEST_ID);
    } else {
      for (Map.Entry<String, String> header : headers) {
        String name = header.getKey();
        if (name.equalsIgnoreCase("traceparent")) {
          traceparent = header.getValue();
        } else if (name.equalsIgnoreCase("x-request-id")) {
          requestId = header.getValue();
        }
      }
    }
    RequestTrace trace = observability.open(Traceparent.parse(traceparent), requestId);
    if (httpRequest != null) {
      trace.request = httpRequest;
    }
    LOCAL.put(context, trace);
    return trace;
  }

  @Override
  public <R> void sendResponse(
      Context context,
      R response,
      RequestTrace trace,
      Throwable failure,
      TagExtractor<R> tagExtractor) {
    if (trace != null) {
      observability.close(trace, response instanceof HttpServerResponse r ? r : null, failure);
    }
  }

  @Override
  public <R> DbCall sendRequest(
      Context context,
      SpanKind kind,
      TracingPolicy policy,
      R request,
      String operation,
      BiConsumer<String, String> headers,
      TagExtractor<R> tagExtractor) {
    if (context == null || policy == TracingPolicy.IGNORE) {
      return null;
    }
    RequestTrace trace = LOCAL.get(context);
    if (trace == null) {
      return null;
    }
    trace.dbQueries++;
    return new DbCall(trace, System.nanoTime());
  }

  @Override
  public <R> void receiveResponse(
      Context context, R response, DbCall call, Throwable failure, TagExtractor<R> tagExtractor) {
    if (call != null) {
      long end = System.nanoTime();
      call.trace().dbNanos += end - call.startNanos();
      OtelSpans.dbCall(call.trace(), call.startNanos(), end);
    }
  }
}
