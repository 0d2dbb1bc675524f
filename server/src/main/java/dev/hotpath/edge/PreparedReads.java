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
import io.netty.util.AsciiString;
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
 * What the {@link PreparedRead} handlers of one event loop share: the routes answered below Vert.x
 * ({@link Route}: {@code GET /v1/orders/{id}} and {@code GET /v1/customers/{id}/orders}, each as
 * the contract describes it, where its cached representation is found and how a missing one is
 * loaded), the steps that run for every one of them (authentication's token cache, admission,
 * observability), and the bytes of the response head that never change (the status line's successor
 * fields: the security headers, the caching and content headers). One per event loop.
 */
public final class PreparedReads {
  /**
   * One route answered below Vert.x: a GET of a path with one numeric id and no query (its template
   * around the id), its scopes, admission class and rate cost, its name for the metrics, traces and
   * access log, whether the path's id names the customer who owns it (the contract's {@code
   * x-owner: {param: id}}, which the route checks before any load), where its cached JSON
   * representation is found and how a missing one is loaded. Its answer is the representation under
   * the {@code private} policy, with both {@code Vary} fields (every such route produces JSON and
   * protobuf) and a {@code Link} to the next page when the representation has a cursor.
   */
  public static final class Route {
    final String prefix;
    final String suffix;
    final boolean ownerInPath;

    /** The cached representation of an id, or null; a hit holds a reference the caller releases. */
    final LongFunction<@Nullable Representation> hits;

    /**
     * The JSON representation by id as the route obtains it on a miss (the cache's load, or the
     * load alone when the cache keeps nothing); null when it loads nothing; null inside when there
     * is none. Called on the request's context; completes on any thread.
     */
    final @Nullable LongFunction<? extends CompletionStage<@Nullable Representation>> loads;

    final int requiredScopes;
    final RoutePolicy policy;
    final @Nullable RateLimiter limiter;
    final RouteInfo info;

    /**
     * @param template the route's path, with one parameter ({@code /v1/customers/:id/orders})
     * @param ownerInPath whether the path's id is the customer who owns what it reads: a principal
     *     that may not act for that customer is left to Vert.x before anything is looked up
     * @param hits the cached JSON representation by id with all its fields (and, for a list, its
     *     first page of the default size), or null when the cache does not hold it loaded and found
     * @param loads the same representation as the route obtains it on a miss, loaded (see {@link
     *     #loads}); null leaves every miss to Vert.x
     * @param scopes the scopes the route requires
     * @param limiter the rate limiter when the route is limited
     */
    public Route(
        String template,
        boolean ownerInPath,
        LongFunction<@Nullable Representation> hits,
        @Nullable LongFunction<? extends CompletionStage<@Nullable Representation>> loads,
        List<String> scopes,
        RoutePolicy policy,
        @Nullable RateLimiter limiter,
        RouteInfo info) {
      int colon = template.indexOf(':');
      int slash = template.indexOf('/', colon);
      if (colon < 0 || (slash >= 0 && template.indexOf(':', slash) >= 0)) {
        throw new IllegalArgumentException("one path parameter, not " + template);
      }
      this.prefix = template.substring(0, colon);
      this.suffix = slash < 0 ? "" : template.substring(slash);
      this.ownerInPath = ownerInPath;
      this.hits = hits;
      this.loads = loads;
      this.requiredScopes = Scope.mask(scopes);
      this.policy = policy;
      this.limiter = limiter;
      this.info = info;
    }

    /**
     * The id of {@code uri} when it is this route's path with an id of 1 to {@code maxDigits}
     * digits without a leading zero (and nothing else: no query); -1 otherwise.
     */
    long id(String uri, int maxDigits) {
      int n = uri.length();
      int from = prefix.length();
      int to = n - suffix.length();
      int digits = to - from;
      if (digits < 1
          || digits > maxDigits
          || !uri.startsWith(prefix)
          || !uri.endsWith(suffix)
          || uri.charAt(from) == '0') {
        return -1;
      }
      long id = 0;
      for (int i = from; i < to; i++) {
        char c = uri.charAt(i);
        if (c < '0' || c > '9') {
          return -1;
        }
        id = id * 10 + (c - '0');
      }
      return id;
    }
  }

  private final Route[] routes;

  /** Whether a route loads its misses here. */
  final boolean loads;

  final Authenticator auth;
  final AdmissionGate gate;
  final LongSupplier clock;
  final Observability observability;
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
   * @param routes the routes answered below Vert.x, tried in order
   * @param options the HTTP server's options (its decoder's limits), or null to keep Vert.x's
   *     request decoder
   */
  public PreparedReads(
      List<Route> routes,
      Authenticator auth,
      AdmissionGate gate,
      LongSupplier clock,
      Observability observability,
      int maxHeaderCount,
      int maxUrlBytes,
      @Nullable HttpServerOptions options) {
    this.routes = routes.toArray(Route[]::new);
    boolean loading = false;
    for (Route route : this.routes) {
      loading |= route.loads != null;
    }
    this.loads = loading;
    this.auth = auth;
    this.gate = gate;
    this.clock = clock;
    this.observability = observability;
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
   * The route whose path {@code uri} is, its id in {@code id[0]}; null when it is none of them (or
   * has a query, or an id that is not 1 to {@code maxDigits} digits without a leading zero).
   */
  @Nullable Route route(String uri, int maxDigits, long[] id) {
    if (uri.length() > maxUrlBytes) {
      return null;
    }
    for (Route route : routes) {
      long found = route.id(uri, maxDigits);
      if (found > 0) {
        id[0] = found;
        return route;
      }
    }
    return null;
  }

  /**
   * Where the {@code Server-Timing} value of the response being written is made, before it is
   * copied into the response's buffer: one per event loop, as {@link #buffer}.
   */
  final byte[] timing = new byte[Observability.SERVER_TIMING_BYTES];

  /** Where the head of the response being written is put together: one per event loop. */
  final Head head = new Head();

  /**
   * The head of a response put together in a heap array, then copied into the response's buffer at
   * once ({@link PreparedRead}): its twenty-odd pieces written straight into the pooled direct
   * buffer each paid the buffer's bounds and reference checks and a copy routine of their own.
   * Characters are written as {@link io.netty.buffer.ByteBufUtil#writeAscii} writes them (one byte
   * each, {@code ?} for any beyond Latin-1). Confined to the event loop.
   */
  static final class Head {
    private byte[] b = new byte[2048];
    private int at;

    Head clear() {
      at = 0;
      return this;
    }

    int length() {
      return at;
    }

    byte[] array() {
      return b;
    }

    void bytes(byte[] src) {
      bytes(src, 0, src.length);
    }

    void bytes(byte[] src, int from, int n) {
      room(n);
      System.arraycopy(src, from, b, at, n);
      at += n;
    }

    void ascii(CharSequence s) {
      if (s instanceof AsciiString a) {
        bytes(a.array(), a.arrayOffset(), a.length());
        return;
      }
      int n = s.length();
      room(n);
      byte[] into = b;
      int to = at;
      for (int i = 0; i < n; i++) {
        into[to + i] = AsciiString.c2b(s.charAt(i));
      }
      at = to + n;
    }

    /** {@code v} (0 or more) in decimal. */
    void decimal(long v) {
      int digits = 1;
      for (long x = v; x >= 10; x /= 10) {
        digits++;
      }
      room(digits);
      for (int i = at + digits - 1; i >= at; i--) {
        b[i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      at += digits;
    }

    private void room(int n) {
      if (at + n > b.length) {
        b = java.util.Arrays.copyOf(b, Math.max(2 * b.length, at + n));
      }
    }
  }

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
