package dev.hotpath.edge;

import dev.hotpath.edge.admission.AdmissionGate;
import dev.hotpath.edge.admission.RateLimiter;
import dev.hotpath.edge.admission.RoutePolicy;
import dev.hotpath.edge.auth.Authenticator;
import dev.hotpath.edge.auth.Scope;
import dev.hotpath.http.CachePolicy;
import dev.hotpath.http.Representation;
import dev.hotpath.http.SecurityHeaders;
import dev.hotpath.observe.Observability;
import dev.hotpath.observe.RouteInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * What the {@link PreparedRead} handlers of one event loop share: the route {@code GET
 * /v1/orders/{id}} as the contract describes it (its scopes, admission class and rate cost, its
 * name for the metrics, traces and access log), the steps that run for it (authentication's token
 * cache, admission, rate limits, observability), where a cached order is found and how a missing
 * one is loaded, and the bytes of the response head that never change (the status line's successor
 * fields: the security headers, the rate-limit policy, the caching and content headers). One per
 * event loop.
 */
public final class PreparedReads {
  static final String PREFIX = "/v1/orders/";

  final LongFunction<@Nullable Representation> hits;

  /**
   * The JSON representation of an order by id as the route obtains it on a miss (the cache's load,
   * or the load alone when the cache keeps nothing); null when it loads nothing; null inside when
   * there is no such order. Called on the request's context; completes on any thread.
   */
  final @Nullable LongFunction<? extends CompletionStage<@Nullable Representation>> loads;

  final Authenticator auth;
  final int requiredScopes;
  final RoutePolicy policy;
  final AdmissionGate gate;
  final LongSupplier clock;
  final @Nullable RateLimiter limiter;
  final Observability observability;
  final RouteInfo route;
  final int maxHeaderCount;
  final int maxUrlBytes;

  /**
   * The server's options, for the request decoder that leaves the token's bytes to be checked where
   * it is used ({@link PreparedRead.Decoder}); null keeps Vert.x's decoder.
   */
  final @Nullable HttpServerOptions options;

  /** The security headers, each {@code name: value\r\n}. */
  final byte[] security;

  /** {@code ETag: } after the rate-limit fields (or the security headers). */
  static final byte[] ETAG = ascii("ETag: ");

  /** After the entity tag: Cache-Control, Vary (twice), up to Last-Modified's name. */
  final byte[] afterEtag;

  /**
   * @param hits the cached JSON representation of an order by id with all its fields, or null when
   *     the cache does not hold it loaded and found
   * @param loads the same representation as the route obtains it on a miss, loaded (see {@link
   *     #loads}); null leaves every miss to Vert.x
   * @param scopes the scopes the route requires
   * @param limiter the rate limiter when the route is limited
   * @param options the HTTP server's options (its decoder's limits), or null to keep Vert.x's
   *     request decoder
   */
  public PreparedReads(
      LongFunction<@Nullable Representation> hits,
      @Nullable LongFunction<? extends CompletionStage<@Nullable Representation>> loads,
      Authenticator auth,
      List<String> scopes,
      RoutePolicy policy,
      AdmissionGate gate,
      LongSupplier clock,
      @Nullable RateLimiter limiter,
      Observability observability,
      RouteInfo route,
      int maxHeaderCount,
      int maxUrlBytes,
      @Nullable HttpServerOptions options) {
    this.hits = hits;
    this.loads = loads;
    this.auth = auth;
    this.requiredScopes = Scope.mask(scopes);
    this.policy = policy;
    this.gate = gate;
    this.clock = clock;
    this.limiter = limiter;
    this.observability = observability;
    this.route = route;
    this.maxHeaderCount = maxHeaderCount;
    this.maxUrlBytes = maxUrlBytes;
    this.options = options;
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    SecurityHeaders.add(headers, false);
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> h : headers) {
      sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    this.security = ascii(sb.toString());
    this.afterEtag =
        ascii(
            "\r\nCache-Control: "
                + CachePolicy.PRIVATE.header()
                + "\r\nVary: Accept-Encoding\r\nVary: Accept\r\n");
  }

  /**
   * Where the {@code Server-Timing} value of the response being written is made, before it is
   * copied into the response's buffer: one per event loop, as {@link #buffer}.
   */
  final byte[] timing = new byte[Observability.SERVER_TIMING_BYTES];

  /** The least capacity of a response buffer: an order's head and body fit with room. */
  private static final int SPARE_BYTES = 2048;

  /** The buffer of the last response written on this event loop, reused once its write is done. */
  private @Nullable ByteBuf spare;

  /**
   * A buffer for a response of up to {@code capacity} bytes, to be retained once by the caller
   * before it is written: the event loop's previous one again when its write is done (the socket
   * took it and let it go, so this holds the only reference), else a new one, which is kept. One
   * buffer for the whole event loop rather than one per connection: a response is nearly always
   * written at once, so the next one, on any connection, finds it free and still in the CPU's
   * cache. Pooled and direct: the channel's allocator gives an unpooled direct buffer (a new native
   * allocation per response, 4 % of the event loops' samples), and taking a pooled one per response
   * was still 3-4 % of their samples. Confined to the event loop.
   */
  ByteBuf buffer(int capacity) {
    ByteBuf b = spare;
    if (b != null) {
      if (b.refCnt() == 1 && b.capacity() >= capacity) {
        return b.clear();
      }
      spare = null;
      b.release(); // still being written (or too small): the write lets it go
    }
    b = PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(capacity, SPARE_BYTES));
    spare = b;
    return b;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
