package dev.hotpath.observe;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What one request did, gathered while it runs: its ids, the route it matched, the database queries
 * it made and their time, the cache outcome. Confined to the request's event loop, so plain fields
 * suffice.
 */
public final class RequestTrace {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  final long startNanos = System.nanoTime();
  final String requestId;
  final String traceId;
  final String spanId;
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

  RequestTrace(
      String requestId, String traceId, String spanId, String parentSpanId, boolean sampled) {
    this.requestId = requestId;
    this.traceId = traceId;
    this.spanId = spanId;
    this.parentSpanId = parentSpanId;
    this.sampled = sampled;
  }

  public String requestId() {
    return requestId;
  }

  public String traceId() {
    return traceId;
  }

  public int dbQueries() {
    return dbQueries;
  }

  /** The W3C {@code traceparent} of this request's own span. */
  public String traceparent() {
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
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
    return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
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
    char[] out = new char[chars];
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long bits = 0;
    for (int i = 0; i < chars; i++) {
      if ((i & 15) == 0) {
        bits = random.nextLong();
      }
      out[i] = HEX[(int) (bits & 0xF)];
      bits >>>= 4;
    }
    return new String(out);
  }
}
