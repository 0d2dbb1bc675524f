package dev.hotpath.edge;

import dev.hotpath.edge.admission.RateLimiter;
import dev.hotpath.edge.admission.Valve;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Representation;
import dev.hotpath.observe.AccessLog;
import dev.hotpath.observe.ClientAddress;
import dev.hotpath.observe.Observability;
import dev.hotpath.observe.RequestTrace;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpUtils;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.Iterator;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Answers a cached {@code GET /v1/orders/{id}} below Vert.x's HTTP server, in the connection's
 * Netty pipeline between the request decoder (after the admission valve and the body framing) and
 * Vert.x's handler: no Vert.x request or response, no routing context, no header validation of
 * bytes this server builds from trusted values. The same steps run as on the lean route, in
 * request-level form: the header count and URI bounds, authentication by the token cache and the
 * route's scopes, the owner check (a principal that may not see the order is sent the ordinary way,
 * which answers the same 404 as for an order that does not exist), admission (a slot taken and
 * given back, its latency sampled), the rate limits (the same buckets and {@code RateLimit}
 * headers), the trace (the same ids, {@code traceparent} rules and span), the route's timer and the
 * access-log line. The response is the lean route's bytes: status line, then {@code X-Request-Id},
 * {@code traceparent}, the security headers, the rate-limit fields, {@code ETag}, {@code
 * Cache-Control}, both {@code Vary}, {@code Last-Modified}, {@code Content-Type}, {@code
 * content-length}, {@code Server-Timing}, then the body, in one buffer and one write.
 *
 * <p>Taken only when nothing could make the answer differ and the answer is known at once: a GET
 * over HTTP/1.1, kept alive, with no body, no query, no conditional header, no {@code
 * Accept-Encoding}, {@code Expect}, {@code Upgrade} or client deadline, one plain {@code Host} (a
 * name or address and a port: Vert.x answers 400 to a request without a valid one), a plain {@code
 * Accept} (none, {@code *}{@code /*}, {@code application/json}), an id of 1 to 18 digits without a
 * leading zero, a bearer token already verified (in the token cache) that grants the route's
 * scopes, an order the cache holds for a principal that may see it, room in admission and quota in
 * every bucket; and only while no earlier request of the connection is still with Vert.x (so
 * HTTP/1.1's order of answers holds), the connection can take more (its outbound buffer is below
 * Netty's high-water mark: a client that does not read its answers is left to Vert.x, which stops
 * reading the connection until the client reads) and the server is not draining. Anything else
 * passes up to Vert.x unchanged, as before: a miss, a 401, 403, 404, 304 or 429, a HEAD.
 *
 * <p>Confined to the connection's event loop.
 */
final class PreparedRead extends ChannelDuplexHandler implements AccessLog.Exchange {
  static final String NAME = "hotpath-prepared-read";
  private static final String ENCODER = "httpEncoder";
  private static final String VERTX = "handler";
  private static final String DECODER = "httpDecoder";
  private static final int MAX_DIGITS = 18;

  /** Requests answered here, in the whole process (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder ANSWERED =
      new java.util.concurrent.atomic.LongAdder();

  /** Cached reads passed up because the connection's outbound buffer was full (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder HELD_FOR_FULL =
      new java.util.concurrent.atomic.LongAdder();

  private static final byte[] STATUS_AND_ID =
      PreparedReads.ascii("HTTP/1.1 200 OK\r\nX-Request-Id: ");
  private static final byte[] TRACEPARENT = PreparedReads.ascii("\r\ntraceparent: ");
  private static final byte[] CRLF = PreparedReads.ascii("\r\n");
  private static final byte[] LEFT = PreparedReads.ascii(";r=");
  private static final byte[] RESET = PreparedReads.ascii(";t=");
  private static final byte[] RATE_LIMIT_POLICY = PreparedReads.ascii("RateLimit-Policy: ");
  private static final byte[] RATE_LIMIT = PreparedReads.ascii("\r\nRateLimit: ");
  private static final byte[] LAST_MODIFIED = PreparedReads.ascii("Last-Modified: ");
  private static final byte[] CONTENT_TYPE = PreparedReads.ascii("Content-Type: ");
  private static final byte[] CONTENT_LENGTH = PreparedReads.ascii("\r\ncontent-length: ");
  private static final byte[] SERVER_TIMING = PreparedReads.ascii("\r\nServer-Timing: ");
  private static final byte[] END = PreparedReads.ascii("\r\n\r\n");

  private final PreparedReads reads;
  private final HttpConnection connection;
  private final @Nullable Valve valve;
  private final @Nullable BodyFraming framing;
  private final Runnable answered;
  private final BooleanSupplier draining;
  private ChannelHandlerContext encoder;

  /** Requests passed up to Vert.x whose response has not ended. */
  private int passedUp;

  /** The body of a request passed up is still arriving: it follows its head. */
  private boolean passing;

  /** The connection's decoder is {@link Decoder}: heads passed up have their token checked. */
  private boolean lenient;

  /** A head with a bad byte in its Authorization value was passed up: the rest is dropped. */
  private boolean discarding;

  /** A head taken, waiting for the end of its (empty) body. */
  private @Nullable HttpRequest held;

  private long heldId;
  private @Nullable String heldToken;
  private @Nullable String heldTraceparent;
  private @Nullable String heldRequestId;
  private long bytesWritten;

  /** The connection's client address, once asked for. */
  private @Nullable String client;

  /** The rate-limit headers of the request being answered (reused). */
  private final RateLimiter.Charged charged = new RateLimiter.Charged();

  private PreparedRead(
      PreparedReads reads,
      HttpConnection connection,
      @Nullable Valve valve,
      @Nullable BodyFraming framing,
      Runnable answered,
      BooleanSupplier draining) {
    this.reads = reads;
    this.connection = connection;
    this.valve = valve;
    this.framing = framing;
    this.answered = answered;
    this.draining = draining;
  }

  /**
   * Installs one in an HTTP/1.x connection's pipeline, just before Vert.x's handler; nothing for
   * any other pipeline (HTTP/2, or TLS, whose chunked writer may hold Vert.x's writes above the
   * encoder).
   *
   * @param answered run after each request answered here (the edge guard's idle time and pause)
   * @param draining whether the server drains (every request then goes to Vert.x)
   */
  static void install(
      ChannelPipeline pipeline,
      PreparedReads reads,
      HttpConnection connection,
      @Nullable Valve valve,
      @Nullable BodyFraming framing,
      Runnable answered,
      BooleanSupplier draining) {
    if (pipeline.context(ENCODER) != null
        && pipeline.context(VERTX) != null
        && pipeline.context("chunkedWriter") == null
        && pipeline.context("ssl") == null) {
      pipeline.addBefore(
          VERTX, NAME, new PreparedRead(reads, connection, valve, framing, answered, draining));
      // not with h2c: Vert.x then sets up the HTTP/1.x pipeline on the first request, from inside
      // its decoder, which cannot be replaced while it decodes
      if (reads.options != null
          && !reads.options.isHttp2ClearTextEnabled()
          && pipeline.get(DECODER) instanceof VertxHttpRequestDecoder
          && !(pipeline.get(DECODER) instanceof Decoder)) {
        // before the first byte is read: without h2c the connection handler runs as the pipeline
        // is set up
        pipeline.replace(DECODER, DECODER, new Decoder(reads.options));
        ((PreparedRead) pipeline.get(NAME)).lenient = true;
      }
    }
  }

  /**
   * Vert.x's request decoder whose header fields are checked as Vert.x checks them (a name of token
   * characters, a value without control characters), except the value of {@code Authorization}: a
   * bearer token is about 330 bytes, the longest field of nearly every request, and checking it
   * byte by byte was the larger part of the decoder's cost. Its value is checked where it is used
   * instead: a token found in the token cache is one that was verified (only its characters were),
   * and {@link PreparedRead} checks every request it passes up to Vert.x, failing one with a bad
   * byte as this decoder would (a 400 problem, the connection closed, nothing after it read).
   */
  static final class Decoder extends VertxHttpRequestDecoder {
    Decoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) {
      return new DefaultHttpRequest(
          HttpVersion.valueOf(initialLine[2]),
          HttpMethod.valueOf(initialLine[0]),
          initialLine[1],
          HeadersMultiMap.httpHeaders(Decoder::check));
    }

    private static void check(CharSequence name, @Nullable CharSequence value) {
      HttpUtils.validateHeaderName(name);
      if (value != null && !authorization(name)) {
        HttpUtils.validateHeaderValue(value);
      }
    }
  }

  private static boolean authorization(CharSequence name) {
    return name.length() == AUTHORIZATION.length()
        && AsciiString.contentEqualsIgnoreCase(name, AUTHORIZATION);
  }

  /**
   * Whether every {@code Authorization} value of a request holds only what a field value may (RFC
   * 9110, 5.5: no control character but HTAB, no DEL), as Vert.x's check of the other fields.
   */
  static boolean authorizationValid(HttpHeaders headers) {
    if (!headers.contains(AUTHORIZATION)) {
      return true;
    }
    for (String value : headers.getAll(AUTHORIZATION)) {
      for (int i = 0, n = value.length(); i < n; i++) {
        char c = value.charAt(i);
        if (c == 0x7F || (c < 0x20 && c != '\t')) {
          return false;
        }
      }
    }
    return true;
  }

  /** The failure the decoder would have given a request with a bad byte in a field value. */
  private static final DecoderResult BAD_AUTHORIZATION =
      DecoderResult.failure(
          new IllegalArgumentException(
              "a header value contains a prohibited character: Authorization"));

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.encoder = ctx.pipeline().context(ENCODER);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (discarding) {
      ReferenceCountUtil.release(msg); // after a head the decoder would have refused
      return;
    }
    HttpRequest head = held;
    if (head != null) {
      held = null;
      if (msg instanceof LastHttpContent last
          && !last.content().isReadable()
          && last.trailingHeaders().isEmpty()
          && answer(head)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      passUp(ctx, head);
      forward(ctx, msg);
      return;
    }
    if (passing) {
      forward(ctx, msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      if (passedUp == 0 && takes(request)) {
        if (!(msg instanceof LastHttpContent)) {
          held = request; // its end follows at once (a GET without a body)
          return;
        }
        LastHttpContent last = (LastHttpContent) msg;
        if (!last.content().isReadable() && last.trailingHeaders().isEmpty() && answer(request)) {
          ReferenceCountUtil.release(msg);
          return;
        }
      }
      passedUp++;
      if (refused(request)) {
        ctx.fireChannelRead(request);
        return;
      }
      passing = !(msg instanceof LastHttpContent);
    }
    ctx.fireChannelRead(msg);
  }

  private void passUp(ChannelHandlerContext ctx, HttpRequest head) {
    passedUp++;
    if (refused(head)) {
      ctx.fireChannelRead(head);
      return;
    }
    passing = true;
    ctx.fireChannelRead(head);
  }

  /**
   * Whether a head passed up is one Vert.x's decoder would have refused for a bad byte in its
   * {@code Authorization} value (which {@link Decoder} leaves unchecked): it is marked failed, as
   * the decoder marks one, so that Vert.x answers its 400 and closes, and nothing after it on the
   * connection is read (its body included), as after the decoder's refusal. Only a head that goes
   * to Vert.x pays for the check: one answered here carried a token the token cache holds.
   */
  private boolean refused(HttpRequest request) {
    if (!lenient || !request.decoderResult().isSuccess() || authorizationValid(request.headers())) {
      return false;
    }
    request.setDecoderResult(BAD_AUTHORIZATION);
    discarding = true;
    passing = false;
    return true;
  }

  private void forward(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof LastHttpContent) {
      passing = false;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent && passedUp > 0 && !interim(msg)) {
      passedUp--;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (held != null) {
      ReferenceCountUtil.release(held);
      held = null;
    }
    ctx.fireChannelInactive();
  }

  /** A 1xx response (100 Continue) is complete in itself and does not end the exchange. */
  private static boolean interim(Object msg) {
    return msg instanceof HttpResponse r
        && r.status().codeClass() == HttpStatusClass.INFORMATIONAL
        && r.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code();
  }

  /**
   * Whether the head is one this handler may answer (read from its request line and its fields):
   * remembers its id, token and trace fields for {@link #answer}.
   */
  private boolean takes(HttpRequest request) {
    if (request.method() != HttpMethod.GET
        || request.protocolVersion() != HttpVersion.HTTP_1_1
        || !request.decoderResult().isSuccess()
        || draining.getAsBoolean()) {
      return false;
    }
    String uri = request.uri();
    int n = uri.length();
    int prefix = PreparedReads.PREFIX.length();
    int digits = n - prefix;
    if (digits < 1
        || digits > MAX_DIGITS
        || n > reads.maxUrlBytes
        || !uri.startsWith(PreparedReads.PREFIX)
        || uri.charAt(prefix) == '0') {
      return false;
    }
    long id = 0;
    for (int i = prefix; i < n; i++) {
      char c = uri.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
      id = id * 10 + (c - '0');
    }
    heldId = id;
    heldToken = null;
    heldTraceparent = null;
    heldRequestId = null;
    return fields(request.headers());
  }

  private static final AsciiString AUTHORIZATION = AsciiString.cached("authorization");
  private static final AsciiString ACCEPT = AsciiString.cached("accept");
  private static final AsciiString TRACEPARENT_NAME = AsciiString.cached("traceparent");
  private static final AsciiString REQUEST_ID = AsciiString.cached("x-request-id");
  private static final AsciiString CONNECTION = AsciiString.cached("connection");
  private static final AsciiString HOST = AsciiString.cached("host");
  private static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");

  /**
   * Names a request that carries any of them is not taken: a body, a coding to negotiate, a
   * precondition, an expectation, an upgrade, a deadline of the client's, a range.
   */
  private static final AsciiString[] REFUSED = {
    AsciiString.cached("content-length"),
    AsciiString.cached("transfer-encoding"),
    AsciiString.cached("accept-encoding"),
    AsciiString.cached("if-none-match"),
    AsciiString.cached("if-modified-since"),
    AsciiString.cached("if-match"),
    AsciiString.cached("if-unmodified-since"),
    AsciiString.cached("if-range"),
    AsciiString.cached("range"),
    AsciiString.cached("expect"),
    AsciiString.cached("upgrade"),
    AsciiString.cached("hotpath-timeout-ms"),
    AsciiString.cached("http2-settings"),
  };

  /** Reads the fields once: what is needed is kept, anything that changes the answer refuses. */
  private boolean fields(HttpHeaders headers) {
    Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
    int count = 0;
    boolean host = false;
    while (it.hasNext()) {
      Map.Entry<CharSequence, CharSequence> field = it.next();
      if (++count > reads.maxHeaderCount) {
        return false;
      }
      CharSequence name = field.getKey();
      CharSequence value = field.getValue();
      if (AsciiString.contentEqualsIgnoreCase(name, AUTHORIZATION)) {
        if (heldToken != null) {
          return false;
        }
        heldToken = value.toString();
      } else if (AsciiString.contentEqualsIgnoreCase(name, ACCEPT)) {
        String accept = value.toString();
        if (!(accept.equals("*/*") || accept.equals("application/json"))) {
          return false;
        }
      } else if (AsciiString.contentEqualsIgnoreCase(name, TRACEPARENT_NAME)) {
        if (heldTraceparent != null) {
          return false;
        }
        heldTraceparent = value.toString();
      } else if (AsciiString.contentEqualsIgnoreCase(name, REQUEST_ID)) {
        if (heldRequestId != null || !ascii(value)) {
          return false;
        }
        heldRequestId = value.toString();
      } else if (AsciiString.contentEqualsIgnoreCase(name, HOST)) {
        // Vert.x refuses a request without a valid authority (400): only a plain one is taken
        if (host || !plainHost(value)) {
          return false;
        }
        host = true;
      } else if (AsciiString.contentEqualsIgnoreCase(name, CONNECTION)) {
        if (!AsciiString.contentEqualsIgnoreCase(value, KEEP_ALIVE)) {
          return false;
        }
      } else {
        for (AsciiString refused : REFUSED) {
          if (AsciiString.contentEqualsIgnoreCase(name, refused)) {
            return false;
          }
        }
      }
    }
    return heldToken != null && host;
  }

  /** A host name or IPv4 address, letters, digits, dots and hyphens, with an optional port. */
  private static boolean plainHost(CharSequence value) {
    int n = value.length();
    int colon = -1;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c == ':' && colon < 0) {
        colon = i;
      } else if (colon >= 0 ? (c < '0' || c > '9') : !hostChar(c)) {
        return false;
      }
    }
    int name = colon < 0 ? n : colon;
    return name > 0 && (colon < 0 || (n - colon - 1 >= 1 && n - colon - 1 <= 5));
  }

  private static boolean hostChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '-';
  }

  private static boolean ascii(CharSequence value) {
    for (int i = 0, n = value.length(); i < n; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        return false;
      }
    }
    return true;
  }

  /**
   * Answers the request taken by {@link #takes} when it is answered at once here; false, with
   * nothing taken (no slot, no quota, no trace), when it must go to Vert.x.
   */
  private boolean answer(HttpRequest request) {
    if (!encoder.channel().isWritable()) {
      // the client is not reading what it was sent: Vert.x answers this one and stops reading the
      // connection until it can write again, where answering here would buffer without bound
      HELD_FOR_FULL.increment();
      return false;
    }
    PreparedReads r = reads;
    Principal principal = r.auth.cachedPrincipal(heldToken);
    if (principal == null || !principal.has(r.requiredScopes)) {
      return false;
    }
    Representation rep = r.hits.apply(heldId);
    if (rep == null || !principal.mayAccess(rep.owner())) {
      return false;
    }
    int inFlight = r.gate.admitBelow(r.policy);
    if (inFlight < 0) {
      return false;
    }
    long start = r.clock.getAsLong();
    RateLimiter.Charged charged = null;
    if (r.limiter != null) {
      charged = this.charged;
      if (!r.limiter.chargeBelow(principal, client(), r.policy.cost(), charged)) {
        if (inFlight > 0) {
          r.gate.endBelow(start, inFlight, 429); // the slot back, no latency sample
        }
        return false;
      }
    }
    RequestTrace trace;
    try {
      trace = r.observability.openBelow(heldTraceparent, heldRequestId, r.route);
      trace.cache(true);
      // counted before the answer leaves: a client that has it sees it counted
      ANSWERED.increment();
      write(rep, trace, charged);
    } finally {
      if (inFlight > 0) {
        r.gate.endBelow(start, inFlight, 200); // given back whatever happened
      }
    }
    if (valve != null) {
      valve.answeredAbove();
    }
    if (framing != null) {
      framing.answeredAbove();
    }
    held = request; // for the access log's fields, until the line is made
    r.observability.closeBelow(trace, 200, this);
    held = null;
    ReferenceCountUtil.release(request);
    answered.run();
    return true;
  }

  private void write(
      Representation rep, RequestTrace trace, RateLimiter.@Nullable Charged charged) {
    ByteBuf body = ((BufferInternal) rep.body()).getByteBuf();
    int length = body.readableBytes();
    ByteBuf out = reads.buffer(length + 1024);
    out.writeBytes(STATUS_AND_ID);
    ByteBufUtil.writeAscii(out, Observability.requestIdHeader(trace));
    out.writeBytes(TRACEPARENT);
    ByteBufUtil.writeAscii(out, Observability.traceparentHeader(trace));
    out.writeBytes(CRLF);
    out.writeBytes(reads.security);
    if (charged != null) {
      out.writeBytes(RATE_LIMIT_POLICY);
      ascii(out, charged.policy());
      out.writeBytes(RATE_LIMIT);
      ascii(out, charged.reported());
      out.writeBytes(LEFT);
      decimal(out, charged.left());
      out.writeBytes(RESET);
      decimal(out, charged.reset());
      out.writeBytes(CRLF);
    }
    out.writeBytes(PreparedReads.ETAG);
    ByteBufUtil.writeAscii(out, rep.etag());
    out.writeBytes(reads.afterEtag);
    if (rep.lastModified() != Representation.NO_DATE) {
      out.writeBytes(LAST_MODIFIED);
      ByteBufUtil.writeAscii(out, rep.lastModifiedHeader());
      out.writeBytes(CRLF);
    }
    out.writeBytes(CONTENT_TYPE);
    ByteBufUtil.writeAscii(out, rep.format().contentType());
    out.writeBytes(CONTENT_LENGTH);
    decimal(out, length);
    out.writeBytes(SERVER_TIMING);
    ByteBufUtil.writeAscii(out, Observability.serverTimingHeader(trace));
    out.writeBytes(END);
    out.writeBytes(body, body.readerIndex(), length);
    bytesWritten = length;
    out.retain(); // kept for the next answer: the write's release leaves it to PreparedReads alone
    encoder.writeAndFlush(out, encoder.voidPromise());
  }

  private static void decimal(ByteBuf out, long v) {
    if (v >= 10) {
      decimal(out, v / 10);
    }
    out.writeByte((int) ('0' + v % 10));
  }

  private static void ascii(ByteBuf out, AsciiString s) {
    out.writeBytes(s.array(), s.arrayOffset(), s.length());
  }

  /** Requests answered below Vert.x so far in this process. */
  static long answered() {
    return ANSWERED.sum();
  }

  /** Cached reads passed up to Vert.x because their connection could take no more (tests). */
  static long heldForFullConnections() {
    return HELD_FOR_FULL.sum();
  }

  // what the access log reads of the exchange answered here

  @Override
  public String path() {
    return held == null ? "-" : held.uri();
  }

  @Override
  public String client() {
    String a = client;
    if (a == null) {
      client = a = ClientAddress.of(connection); // a connection's peer does not change
    }
    return a;
  }

  @Override
  public @Nullable String header(String name) {
    return held == null ? null : held.headers().get(name);
  }

  @Override
  public long bytesWritten() {
    return bytesWritten;
  }
}
