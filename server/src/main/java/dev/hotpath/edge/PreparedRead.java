package dev.hotpath.edge;

import dev.hotpath.edge.admission.RateLimiter;
import dev.hotpath.edge.admission.Valve;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Deadline;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.Representation;
import dev.hotpath.observe.AccessLog;
import dev.hotpath.observe.ClientAddress;
import dev.hotpath.observe.Observability;
import dev.hotpath.observe.RequestTrace;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
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
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpUtils;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Answers a {@code GET /v1/orders/{id}}, or a customer's first page {@code GET
 * /v1/customers/{id}/orders} (the routes of {@link PreparedReads}), below Vert.x's HTTP server, in
 * the connection's Netty pipeline between the request decoder (after the admission valve and the
 * body framing) and Vert.x's handler: no Vert.x request or response, no routing context, no header
 * validation of bytes this server builds from trusted values. The same steps run as on the lean
 * route, in request-level form: the header count and URI bounds, authentication by the token cache
 * and the route's scopes, the owner check (a principal that may not see the order, or act for the
 * page's customer, is sent the ordinary way, which answers the same 404 as for an order or a
 * customer that does not exist; for the page, before anything is looked up or loaded), admission (a
 * slot taken and given back, its latency sampled), the rate limits (the same buckets and {@code
 * RateLimit} headers), the trace (the same ids, {@code traceparent} rules and span), the route's
 * timer and the access-log line. The response is the lean route's bytes: status line, then {@code
 * X-Request-Id}, {@code traceparent}, the security headers, the rate-limit fields, {@code ETag},
 * {@code Cache-Control}, both {@code Vary}, {@code Last-Modified} (an order's), {@code Link} (a
 * page's, when a next page follows), {@code Content-Type}, {@code content-length}, {@code
 * Server-Timing}, then the body, in one buffer and one write.
 *
 * <p>An order the cache does not hold is loaded here as the route loads it ({@link
 * PreparedReads#loads}: the cache's load, which fills it, or the load alone when it keeps nothing),
 * on a context duplicated from the connection's, as Vert.x duplicates one per request, where the
 * request's trace counts and times the query (its span, {@code Server-Timing}'s {@code db} and
 * {@code cache;desc=miss}) and the route's deadline bounds the statement; the admission slot is
 * held and the rate limits charged across the load. While it is outstanding, whatever arrives on
 * the connection waits here, in order, with reading stopped. A load that fails at the database
 * (timed out, or the database unreachable) is answered here with the route's problem, the router's
 * bytes: passed up, the route would query again, and the client would wait a second deadline while
 * the database times out. A load that finds no order, one the principal may not see, or that fails
 * otherwise leaves the request to Vert.x after all, as it arrived (the slot given back without a
 * latency sample, the charge refunded, the trace dropped): Vert.x answers it exactly as before. A
 * connection closed during the load gives its slot back and is counted and logged as Vert.x counts
 * one (499); nothing is written. A load that ends after the server began to drain is answered with
 * {@code Connection: close}, as the router's answers then are, and the connection closes after it;
 * the server's shutdown waits for it ({@link #userEventTriggered}).
 *
 * <p>Taken only when nothing could make the answer differ and the answer is known at once: a GET
 * over HTTP/1.1, kept alive, with no body, no query, no conditional header, no {@code
 * Accept-Encoding}, {@code Expect}, {@code Upgrade} or client deadline, one plain {@code Host} (a
 * name or address and a port: Vert.x answers 400 to a request without a valid one), a plain {@code
 * Accept} (none, {@code *}{@code /*}, {@code application/json}), an id of 1 to 18 digits without a
 * leading zero, a bearer token already verified (in the token cache) that grants the route's
 * scopes, an order or page the cache holds (or loads) for a principal that may see it, room in
 * admission and quota in every bucket; and only while no earlier request of the connection is still
 * with Vert.x (so HTTP/1.1's order of answers holds), the connection can take more (its outbound
 * buffer is below Netty's high-water mark: a client that does not read its answers is left to
 * Vert.x, which stops reading the connection until the client reads) and the server is not
 * draining. Anything else passes up to Vert.x unchanged, as before: a 401, 403, 404, 304 or 429, a
 * HEAD.
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

  /** Of those, the misses loaded here (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder LOADED =
      new java.util.concurrent.atomic.LongAdder();

  /** Cached reads passed up because the connection's outbound buffer was full (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder HELD_FOR_FULL =
      new java.util.concurrent.atomic.LongAdder();

  /** Misses loaded here, then passed up to Vert.x after all (tests read it). */
  private static final java.util.concurrent.atomic.LongAdder LEFT_UP =
      new java.util.concurrent.atomic.LongAdder();

  private static final byte[] STATUS_AND_ID =
      PreparedReads.ascii("HTTP/1.1 200 OK\r\nX-Request-Id: ");
  private static final byte[] ID = PreparedReads.ascii("\r\nX-Request-Id: ");
  private static final byte[] CONNECTION_CLOSE = PreparedReads.ascii("Connection: close\r\n");
  private static final byte[] PROBLEM_HEAD =
      PreparedReads.ascii(
          "Content-Type: "
              + Problems.CONTENT_TYPE
              + "\r\nCache-Control: no-store\r\nRetry-After: 1\r\ncontent-length: ");
  private static final byte[] TRACEPARENT = PreparedReads.ascii("\r\ntraceparent: ");
  private static final byte[] CRLF = PreparedReads.ascii("\r\n");
  private static final byte[] LEFT = PreparedReads.ascii(";r=");
  private static final byte[] RESET = PreparedReads.ascii(";t=");
  private static final byte[] RATE_LIMIT_POLICY = PreparedReads.ascii("RateLimit-Policy: ");
  private static final byte[] RATE_LIMIT = PreparedReads.ascii("\r\nRateLimit: ");
  private static final byte[] LAST_MODIFIED = PreparedReads.ascii("Last-Modified: ");
  private static final byte[] CONTENT_TYPE = PreparedReads.ascii("Content-Type: ");
  private static final byte[] LINK = PreparedReads.ascii("Link: <");
  private static final byte[] CURSOR = PreparedReads.ascii("?cursor=");
  private static final byte[] NEXT = PreparedReads.ascii(">; rel=\"next\"\r\n");
  private static final byte[] CONTENT_LENGTH = PreparedReads.ascii("\r\ncontent-length: ");
  private static final byte[] SERVER_TIMING = PreparedReads.ascii("\r\nServer-Timing: ");
  private static final byte[] END = PreparedReads.ascii("\r\n\r\n");

  private final PreparedReads reads;
  private final HttpConnection connection;
  private final @Nullable Valve valve;
  private final @Nullable BodyFraming framing;
  private final Runnable answered;
  private final Runnable busy;
  private final BooleanSupplier draining;

  /** The connection's context, duplicated for each load; null: every miss goes to Vert.x. */
  private final @Nullable ContextInternal context;

  private ChannelHandlerContext encoder;
  private ChannelHandlerContext self;

  /** The miss whose load is outstanding: what arrives meanwhile waits in {@link #waiting}. */
  private @Nullable Miss loading;

  private @Nullable ArrayDeque<Object> waiting;

  /** The server's shutdown, held while a load is outstanding ({@link #userEventTriggered}). */
  private @Nullable Object shutdown;

  /** Reading was stopped while messages waited for a load. */
  private boolean paused;

  /** When the request being answered was admitted (the admission clock). */
  private long admittedAt;

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

  /** The route of the head taken (its id in {@link #heldId}). */
  private PreparedReads.@Nullable Route heldRoute;

  /** Where {@link PreparedReads#route} leaves the id it found. */
  private final long[] id = new long[1];

  private @Nullable String heldToken;
  private @Nullable String heldTraceparent;
  private @Nullable String heldRequestId;
  private long bytesWritten;

  /** The last token whose principal was found, that principal, and the revocations then. */
  private @Nullable String lastToken;

  private @Nullable Principal lastPrincipal;
  private int lastRevocations;

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
      Runnable busy,
      BooleanSupplier draining) {
    this.reads = reads;
    this.connection = connection;
    this.valve = valve;
    this.framing = framing;
    this.answered = answered;
    this.busy = busy;
    this.draining = draining;
    this.context = reads.loads && connection instanceof ConnectionBase base ? base.context() : null;
  }

  /**
   * Installs one in an HTTP/1.x connection's pipeline, just before Vert.x's handler; nothing for
   * any other pipeline (HTTP/2, or TLS, whose chunked writer may hold Vert.x's writes above the
   * encoder).
   *
   * @param answered run after each request answered here (the edge guard's idle time and pause)
   * @param busy run as a load starts here (the connection is not idle while it is outstanding)
   * @param draining whether the server drains (every request then goes to Vert.x)
   */
  static void install(
      ChannelPipeline pipeline,
      PreparedReads reads,
      HttpConnection connection,
      @Nullable Valve valve,
      @Nullable BodyFraming framing,
      Runnable answered,
      Runnable busy,
      BooleanSupplier draining) {
    if (installable(pipeline)) {
      pipeline.addBefore(
          VERTX,
          NAME,
          new PreparedRead(reads, connection, valve, framing, answered, busy, draining));
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
   * Whether a handler may go in {@code pipeline}: an HTTP/1.x one without TLS, and without a
   * handler between the decoder and Vert.x that pairs each request with its response as the
   * response goes out (Netty's WebSocket extension handler, which Vert.x adds while WebSocket
   * compression is offered): an answer written here, below it, would never pass it, and it would
   * keep one entry per request for as long as the connection lives.
   */
  static boolean installable(ChannelPipeline pipeline) {
    return pipeline.context(ENCODER) != null
        && pipeline.context(VERTX) != null
        && pipeline.context("chunkedWriter") == null
        && pipeline.context("ssl") == null
        && pipeline.get(WebSocketServerExtensionHandler.class) == null;
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
    this.self = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (loading != null) {
      hold(ctx, msg);
      return;
    }
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

  /**
   * The server's shutdown (Vert.x's {@code ShutdownEvent}, sent down every connection's pipeline)
   * waits while a miss is loaded here: Vert.x, which knows nothing of the request, would close the
   * connection at once as one with no response in progress, and the client would get no answer. It
   * goes on when the load has been answered (that answer closes the connection: the server was
   * draining); the statement's deadline bounds the wait.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (loading != null && evt instanceof ShutdownEvent) {
      shutdown = evt;
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (held != null) {
      ReferenceCountUtil.release(held);
      held = null;
    }
    Miss miss = loading;
    if (miss != null) {
      // closed during the load: the slot back (a closed connection says nothing of the server's
      // latency), counted and logged as Vert.x counts a request closed before its response
      loading = null;
      PreparedReads r = reads;
      if (miss.inFlight > 0) {
        r.gate.endBelow(miss.start, miss.inFlight, 429);
      }
      bytesWritten = 0;
      held = miss.request;
      r.observability.closeBelow(miss.trace, CLOSED, this);
      held = null;
      ReferenceCountUtil.release(miss.request);
    }
    if (waiting != null) {
      waiting.forEach(ReferenceCountUtil::release);
      waiting.clear();
    }
    ctx.fireChannelInactive();
  }

  /** The status a request is counted and logged under when its connection closed first. */
  private static final int CLOSED = 499;

  /**
   * Keeps a message that arrived while a load is outstanding, to be handled in order once it is
   * answered; reading stops meanwhile (Vert.x holds pipelined requests the same way).
   */
  private void hold(ChannelHandlerContext ctx, Object msg) {
    ArrayDeque<Object> q = waiting;
    if (q == null) {
      waiting = q = new ArrayDeque<>(4);
    }
    q.add(msg);
    paused = true;
    ctx.channel().config().setAutoRead(false);
  }

  /**
   * Handles the messages that waited for a load, until one starts another; then reads again.
   *
   * @param up whether the loaded request went up to Vert.x
   */
  private void resume(ChannelHandlerContext ctx, boolean up) {
    ArrayDeque<Object> q = waiting;
    while (q != null && loading == null && !q.isEmpty()) {
      up = true;
      channelRead(ctx, q.poll());
    }
    if (loading == null && paused) {
      paused = false;
      if (ctx.channel().isActive()) {
        ctx.channel().config().setAutoRead(true);
      }
    }
    if (up) {
      // what went up to Vert.x outside a read of the socket: it flushes what it wrote at its end
      ctx.fireChannelReadComplete();
    }
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
    PreparedReads.Route route = reads.route(request.uri(), MAX_DIGITS, id);
    if (route == null) {
      return false;
    }
    heldRoute = route;
    heldId = id[0];
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
    PreparedReads.Route route = java.util.Objects.requireNonNull(heldRoute);
    Principal principal = principal(java.util.Objects.requireNonNull(heldToken));
    if (principal == null || !principal.has(route.requiredScopes)) {
      return false;
    }
    if (route.ownerInPath && !principal.mayAccess(heldId)) {
      // the route's owner check answers it (its 404) before anything is looked up or loaded
      return false;
    }
    Representation rep = route.hits.apply(heldId);
    if (rep == null) {
      return context != null && route.loads != null && load(request, route, principal);
    }
    // a hit holds a reference to the cache's off-heap body, given back once its bytes are copied
    // into the answer (or the request goes the ordinary way): an eviction meanwhile frees nothing
    try {
      if (!principal.mayAccess(rep.owner())) {
        return false;
      }
      int inFlight = admit(route, principal);
      if (inFlight < 0) {
        return false;
      }
      RequestTrace trace = r.observability.openBelow(heldTraceparent, heldRequestId, route.info);
      trace.cache(true);
      send(request, route, rep, trace, inFlight, admittedAt, false);
      return true;
    } finally {
      rep.release();
    }
  }

  /**
   * The principal of the verified token {@code token} ({@link
   * dev.hotpath.edge.auth.Authenticator#cachedPrincipal}), null when the token cache does not hold
   * it or it expired. A connection nearly always sends the same token, so the last one found is
   * kept and compared first: an equal token, unexpired, with no revocation since, is the same
   * principal, without hashing the ~330-byte token for the cache's lookup on every request.
   */
  private @Nullable Principal principal(String token) {
    dev.hotpath.edge.auth.Authenticator auth = reads.auth;
    int revocations = auth.revocations(); // before the lookup: see Authenticator.revocations
    Principal p = lastPrincipal;
    if (p != null
        && revocations == lastRevocations
        && token.equals(lastToken)
        && p.expiresAtMillis() > System.currentTimeMillis()) {
      return p;
    }
    p = auth.cachedPrincipal(token);
    if (p != null) {
      lastToken = token;
      lastPrincipal = p;
      lastRevocations = revocations;
    }
    return p;
  }

  /**
   * Takes an admission slot and charges the rate limits for a request of {@code principal}: the
   * number in flight it was admitted with (0 when admission does not apply), its time in {@link
   * #admittedAt}; -1, with nothing taken, when it must go the ordinary way (to wait, or be
   * refused).
   */
  private int admit(PreparedReads.Route route, Principal principal) {
    PreparedReads r = reads;
    int inFlight = r.gate.admitBelow(route.policy);
    if (inFlight < 0) {
      return -1;
    }
    long start = r.clock.getAsLong();
    admittedAt = start;
    if (route.limiter != null
        && !route.limiter.chargeBelow(principal, client(), route.policy.cost(), charged)) {
      if (inFlight > 0) {
        r.gate.endBelow(start, inFlight, 429); // the slot back, no latency sample
      }
      return -1;
    }
    return inFlight;
  }

  /**
   * Writes the 200 of {@code rep} for an admitted request, gives its slot back and closes its trace
   * (the route's timer, span and access-log line); the request is let go.
   */
  private void send(
      HttpRequest request,
      PreparedReads.Route route,
      Representation rep,
      RequestTrace trace,
      int inFlight,
      long start,
      boolean last) {
    PreparedReads r = reads;
    try {
      // counted before the answer leaves: a client that has it sees it counted
      ANSWERED.increment();
      write(request, rep, trace, route.limiter != null ? charged : null, last);
    } finally {
      if (inFlight > 0) {
        r.gate.endBelow(start, inFlight, 200); // given back whatever happened
      }
    }
    finish(request, trace, 200);
  }

  /**
   * After an answer here: the valve and the body framing told, the trace closed (the route's timer,
   * span and access-log line), the request let go.
   */
  private void finish(HttpRequest request, RequestTrace trace, int status) {
    if (valve != null) {
      valve.answeredAbove();
    }
    if (framing != null) {
      framing.answeredAbove();
    }
    held = request; // for the access log's fields, until the line is made
    reads.observability.closeBelow(trace, status, this);
    held = null;
    ReferenceCountUtil.release(request);
    answered.run();
  }

  /**
   * Takes a miss: admitted and charged, its trace opened, its load started on a context of its own;
   * true while it loads (the request is kept until it is answered or passed up), false, with
   * nothing taken, when it must go to Vert.x now.
   */
  private boolean load(HttpRequest request, PreparedReads.Route route, Principal principal) {
    PreparedReads r = reads;
    int inFlight = admit(route, principal);
    if (inFlight < 0) {
      return false;
    }
    RequestTrace trace = r.observability.openBelow(heldTraceparent, heldRequestId, route.info);
    Miss miss = new Miss(request, route, principal, heldId, inFlight, admittedAt, trace);
    // the caller lets its message go; a head that is the whole request stays for a pass up
    ReferenceCountUtil.retain(request);
    loading = miss;
    busy.run();
    java.util.Objects.requireNonNull(context).duplicate().dispatch((Handler<Void>) miss);
    miss.stage.whenComplete(miss);
    return true;
  }

  /** The outcome of a miss's load, on the connection's event loop. */
  private void loaded(Miss miss) {
    if (loading != miss) {
      return; // the connection closed first: its slot was given back
    }
    loading = null;
    Representation rep = miss.rep;
    boolean answeredHere =
        miss.failure == null && rep != null && miss.principal.mayAccess(rep.owner());
    ProblemException fault = miss.failure == null ? null : Problems.ofDatabase(miss.failure);
    // the drain began during the load: this answer is the connection's last, as the router's are
    boolean last = (answeredHere || fault != null) && draining.getAsBoolean();
    if (answeredHere) {
      LOADED.increment();
      send(miss.request, miss.route, rep, miss.trace, miss.inFlight, miss.start, last);
    } else if (fault != null) {
      // the database timed out or cannot be reached: answered here with the route's problem, since
      // passed up the route would query again (a second deadline to wait while it times out)
      sendProblem(miss, fault, last);
    } else {
      // not a plain 200: to Vert.x as it arrived, which answers it as before (its 404, its problem)
      LEFT_UP.increment();
      PreparedReads r = reads;
      if (miss.inFlight > 0) {
        r.gate.endBelow(miss.start, miss.inFlight, 429); // the slot back, no latency sample
      }
      RateLimiter limiter = miss.route.limiter;
      if (limiter != null) {
        limiter.refundBelow(miss.principal, client(), miss.route.policy.cost());
      }
      HttpRequest request = miss.request;
      if (request instanceof LastHttpContent) {
        passedUp++;
        if (!refused(request)) {
          passing = false;
        }
        self.fireChannelRead(request);
      } else {
        passUp(self, request);
        if (!discarding) {
          forward(self, LastHttpContent.EMPTY_LAST_CONTENT);
        }
      }
    }
    if (last) {
      close(self);
      return;
    }
    resume(self, !answeredHere && fault == null);
    Object event = shutdown;
    if (event != null && loading == null) {
      shutdown = null;
      self.fireUserEventTriggered(event); // to Vert.x, now that its request is up there
    }
  }

  /**
   * After the connection's last answer (written with {@code Connection: close}): what waited is let
   * go, nothing more is read, and the connection closes once the answer is written.
   */
  private void close(ChannelHandlerContext ctx) {
    discarding = true;
    ArrayDeque<Object> q = waiting;
    if (q != null) {
      q.forEach(ReferenceCountUtil::release);
      q.clear();
    }
    encoder.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * Writes the route's problem for a miss whose load failed at the database, gives its slot back
   * (with its latency, as an overload signal) and closes its trace; the request is let go.
   */
  private void sendProblem(Miss miss, ProblemException problem, boolean last) {
    PreparedReads r = reads;
    HttpRequest request = miss.request;
    ProblemType type = problem.type();
    RequestTrace trace = miss.trace;
    trace.problem(type.uri().substring(ProblemType.BASE.length()));
    Buffer body = Problems.encode(problem, request.uri());
    try {
      ANSWERED.increment();
      PreparedReads.Head h = reads.head.clear();
      h.bytes(PreparedReads.ascii("HTTP/1.1 " + type.status() + " "));
      h.bytes(PreparedReads.ascii(HttpResponseStatus.valueOf(type.status()).reasonPhrase()));
      h.bytes(ID);
      fields(h, trace, miss.route.limiter != null ? charged : null, last);
      h.bytes(PROBLEM_HEAD);
      h.decimal(body.length());
      h.bytes(SERVER_TIMING);
      byte[] timing = reads.timing;
      h.bytes(timing, 0, Observability.serverTimingHeader(trace, timing));
      h.bytes(END);
      ByteBuf out = reads.buffer(h.length() + body.length());
      out.writeBytes(h.array(), 0, h.length());
      out.writeBytes(((BufferInternal) body).getByteBuf());
      bytesWritten = body.length();
      out.retain(); // kept for the next answer, as in write
      encoder.writeAndFlush(out, encoder.voidPromise());
    } finally {
      if (miss.inFlight > 0) {
        r.gate.endBelow(miss.start, miss.inFlight, type.status());
      }
    }
    finish(request, trace, type.status());
  }

  /**
   * A miss being loaded: started on its own context (as {@link Handler}), its outcome taken where
   * the load completes (as {@link BiConsumer}) and brought to the event loop (as {@link Runnable}).
   */
  private final class Miss
      implements Handler<Void>, BiConsumer<@Nullable Representation, Throwable>, Runnable {
    final HttpRequest request;
    final PreparedReads.Route route;
    final Principal principal;
    final long id;
    final int inFlight;
    final long start;
    final RequestTrace trace;
    CompletionStage<@Nullable Representation> stage;
    @Nullable Representation rep;
    @Nullable Throwable failure;

    Miss(
        HttpRequest request,
        PreparedReads.Route route,
        Principal principal,
        long id,
        int inFlight,
        long start,
        RequestTrace trace) {
      this.request = request;
      this.route = route;
      this.principal = principal;
      this.id = id;
      this.inFlight = inFlight;
      this.start = start;
      this.trace = trace;
    }

    /** On the request's context: its trace and the route's deadline bound, then the load. */
    @Override
    public void handle(Void v) {
      Observability.bindBelow(trace);
      Deadline.bindBelow(route.info.routeClass());
      try {
        stage = java.util.Objects.requireNonNull(route.loads).apply(id);
      } catch (RuntimeException e) {
        stage = java.util.concurrent.CompletableFuture.failedFuture(e);
      }
    }

    @Override
    public void accept(@Nullable Representation loaded, Throwable failed) {
      rep = loaded;
      failure = failed;
      io.netty.channel.EventLoop loop = self.channel().eventLoop();
      if (loop.inEventLoop()) {
        run();
      } else {
        loop.execute(this); // a load shared with another event loop's miss
      }
    }

    @Override
    public void run() {
      loaded(this);
    }
  }

  private void write(
      HttpRequest request,
      Representation rep,
      RequestTrace trace,
      RateLimiter.@Nullable Charged charged,
      boolean last) {
    ByteBuf body = rep.content(); // the off-heap body of a hit, copied once below
    int length = body.readableBytes();
    // the head is put together in the event loop's array, then copied once: each of its twenty-odd
    // pieces written straight into the direct buffer went through the buffer's checks and a copy
    PreparedReads.Head h = reads.head.clear();
    h.bytes(STATUS_AND_ID);
    fields(h, trace, charged, last);
    h.bytes(PreparedReads.ETAG);
    h.ascii(rep.etag());
    h.bytes(reads.afterEtag);
    if (rep.lastModified() != Representation.NO_DATE) {
      h.bytes(LAST_MODIFIED);
      h.ascii(rep.lastModifiedHeader());
      h.bytes(CRLF);
    }
    java.util.Optional<String> next = rep.nextCursor();
    if (next.isPresent()) {
      // the route's link to the next page: its path (a request taken here has no query) and cursor
      h.bytes(LINK);
      h.ascii(request.uri());
      h.bytes(CURSOR);
      h.ascii(next.get());
      h.bytes(NEXT);
    }
    h.bytes(CONTENT_TYPE);
    h.ascii(rep.format().contentType());
    h.bytes(CONTENT_LENGTH);
    h.decimal(length);
    h.bytes(SERVER_TIMING);
    byte[] timing = reads.timing;
    h.bytes(timing, 0, Observability.serverTimingHeader(trace, timing));
    h.bytes(END);
    ByteBuf out = reads.buffer(h.length() + length);
    out.writeBytes(h.array(), 0, h.length());
    out.writeBytes(body, body.readerIndex(), length);
    bytesWritten = length;
    out.retain(); // kept for the next answer: the write's release leaves it to PreparedReads alone
    encoder.writeAndFlush(out, encoder.voidPromise());
  }

  /**
   * After {@code X-Request-Id: }, the fields every answer here starts with: the request id and
   * {@code traceparent}, the security headers, {@code Connection: close} on the connection's last
   * answer, the rate-limit fields of a charged request.
   */
  private void fields(
      PreparedReads.Head h,
      RequestTrace trace,
      RateLimiter.@Nullable Charged charged,
      boolean last) {
    h.ascii(Observability.requestIdHeader(trace));
    h.bytes(TRACEPARENT);
    h.ascii(Observability.traceparentHeader(trace));
    h.bytes(CRLF);
    h.bytes(reads.security);
    if (last) {
      h.bytes(CONNECTION_CLOSE);
    }
    if (charged != null) {
      rateLimit(h, charged);
    }
  }

  /** The rate-limit fields of a charged request, each ended by CRLF. */
  private static void rateLimit(PreparedReads.Head h, RateLimiter.Charged charged) {
    h.bytes(RATE_LIMIT_POLICY);
    h.ascii(charged.policy());
    h.bytes(RATE_LIMIT);
    h.ascii(charged.reported());
    h.bytes(LEFT);
    h.decimal(charged.left());
    h.bytes(RESET);
    h.decimal(charged.reset());
    h.bytes(CRLF);
  }

  /** Requests answered below Vert.x so far in this process. */
  static long answered() {
    return ANSWERED.sum();
  }

  /** Of those, the misses loaded below Vert.x. */
  static long loaded() {
    return LOADED.sum();
  }

  /** Cached reads passed up to Vert.x because their connection could take no more (tests). */
  static long heldForFullConnections() {
    return HELD_FOR_FULL.sum();
  }

  /**
   * Misses loaded below Vert.x and then passed up to it (no order, not the principal's, failed).
   */
  static long leftToVertx() {
    return LEFT_UP.sum();
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
