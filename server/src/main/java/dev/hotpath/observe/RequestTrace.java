package dev.hotpath.observe;

import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one request did, gathered while it runs: its ids, the route it matched, the database queries
 * it made and their time, the cache outcome. Confined to the request's event loop, so plain fields
 * suffice.
 */
public final class RequestTrace {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  final long startNanos = System.nanoTime();

  /**
   * This request's own {@code traceparent}, {@code 00-<trace id>-<span id>-<flags>}, as the ASCII
   * bytes the response header is written from: the ids are made once, as bytes, and read as strings
   * only where a string is needed (a log line, an exported span).
   */
  private final byte[] traceparent;

  private final AsciiString traceparentHeader;
  private final CharSequence requestIdHeader;
  private String traceId;
  private String spanId;
  final String parentSpanId;
  final boolean sampled;
  String route = "-";
  String routeClass = "other";
  int queryBudget = Integer.MAX_VALUE;
  int dbQueries;
  long dbNanos;
  long depsNanos;
  int depsInFlight;
  long depsSince;
  Object outsideCalls;
  String cache;
  String problem;
  boolean limited;
  boolean shed;
  Object span;
  io.vertx.core.http.HttpServerRequest request;

  /**
   * A trace with a new span id, in the trace {@code parentTraceId} (32 hex digits) or, when that is
   * null, a new one. The request id is {@code clientRequestId} when the client sent a usable one,
   * else the span id.
   */
  RequestTrace(String clientRequestId, String parentTraceId, String parentSpanId, boolean sampled) {
    byte[] b = new byte[55];
    b[0] = '0';
    b[1] = '0';
    b[2] = '-';
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (parentTraceId == null) {
      hex(b, 3, random.nextLong());
      hex(b, 19, random.nextLong());
    } else {
      for (int i = 0; i < 32; i++) {
        b[3 + i] = (byte) parentTraceId.charAt(i);
      }
    }
    b[35] = '-';
    hex(b, 36, random.nextLong());
    b[52] = '-';
    b[53] = '0';
    b[54] = (byte) (sampled ? '1' : '0');
    this.traceparent = b;
    this.traceparentHeader = new AsciiString(b, false);
    this.requestIdHeader =
        clientRequestId != null ? clientRequestId : new AsciiString(b, 36, 16, false);
    this.parentSpanId = parentSpanId;
    this.sampled = sampled;
  }

  /** Writes the 16 hex digits of {@code bits} at {@code at}. */
  private static void hex(byte[] b, int at, long bits) {
    for (int i = at + 15; i >= at; i--) {
      b[i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
  }

  public String requestId() {
    return requestIdHeader.toString();
  }

  /** The request id as the response header value (no copy when it is the span id). */
  CharSequence requestIdHeader() {
    return requestIdHeader;
  }

  public String traceId() {
    String id = traceId;
    if (id == null) {
      id = new String(traceparent, 3, 32, StandardCharsets.US_ASCII);
      traceId = id;
    }
    return id;
  }

  /** This request's own span id (16 hex digits). */
  String spanId() {
    String id = spanId;
    if (id == null) {
      id = new String(traceparent, 36, 16, StandardCharsets.US_ASCII);
      spanId = id;
    }
    return id;
  }

  public int dbQueries() {
    return dbQueries;
  }

  /**
   * Adds to this request the queries of {@code shared} (work done for it together with other
   * requests, {@link Tracing#apart}) less {@code others} of them that were the other requests' own,
   * and all of their time: the request's {@code Server-Timing} and query budget count them.
   */
  public void addQueriesOf(RequestTrace shared, int others) {
    dbQueries += Math.max(0, shared.dbQueries - others);
    dbNanos += shared.dbNanos;
  }

  /** The W3C {@code traceparent} of this request's own span. */
  public String traceparent() {
    return traceparentHeader.toString();
  }

  /** As {@link #traceparent()}, as the response header value. */
  CharSequence traceparentHeader() {
    return traceparentHeader;
  }

  /**
   * Marks whether the response came from the cache ({@code hit}) or had to be built ({@code miss}).
   */
  public void cache(boolean hit) {
    this.cache = hit ? "hit" : "miss";
  }

  public void addDependencyTime(long nanos) {
    depsNanos += nanos;
  }

  /**
   * An outside call of this request started. Outside time ({@code deps} in Server-Timing) is the
   * time during which at least one call was in flight, so parallel calls are not counted twice.
   */
  public void dependencyStarted() {
    if (depsInFlight++ == 0) {
      depsSince = System.nanoTime();
    }
  }

  /**
   * An outside call of this request ended; it becomes a client span named after {@code service}
   * when traces are exported.
   */
  public void dependencyEnded(String service, String spanId, long startNanos, long endNanos) {
    if (depsInFlight > 0 && --depsInFlight == 0) {
      depsNanos += endNanos - depsSince;
    }
    OtelSpans.outsideCall(this, service, spanId, startNanos, endNanos);
  }

  /** The W3C {@code traceparent} of a child span {@code spanId} (16 hex digits) of this request. */
  public String childTraceparent(String spanId) {
    return "00-" + traceId() + "-" + spanId + (sampled ? "-01" : "-00");
  }

  /** Names the kind of problem the response carries (the last part of its type URI). */
  public void problem(String slug) {
    this.problem = slug;
  }

  public void markLimited() {
    limited = true;
  }

  public void markShed() {
    shed = true;
  }

  static String randomHex(int chars) {
    byte[] out = new byte[chars];
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long bits = 0;
    for (int i = 0; i < chars; i++) {
      if ((i & 15) == 0) {
        bits = random.nextLong();
      }
      out[i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
    return new String(out, StandardCharsets.US_ASCII);
  }
}
