package dev.hotpath.edge.admission;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * The valve of one HTTP/1.x connection, in its Netty pipeline between the HTTP codec and Vert.x: it
 * refuses requests below Vert.x while admission is full, and stops reading the connection while
 * {@link Backpressure} pauses it.
 *
 * <p><b>Refusal.</b> A decoded request for {@code /v1/} that arrives while no class of request
 * could be admitted ({@link AdmissionGate#full}) and while none of the connection's earlier
 * requests is still being answered is answered with the pre-encoded {@link Refusal}, written below
 * the HTTP encoder; one counter moves. Vert.x never sees it: no request or response object, no
 * trace, no access-log line, no header encoding, no router. Its body, if one follows, is discarded
 * as it arrives. A request that might expect {@code 100 Continue}, or that asks to close, gets the
 * {@code Connection: close} variant and the connection closes. HEAD and requests the decoder
 * rejected pass on to Vert.x, as do all requests while the server drains.
 *
 * <p><b>Pause.</b> Paused, the connection's channel stops reading (Netty auto-read off): no read is
 * issued, so the next request stays in the kernel's buffers and TCP's window pushes back on the
 * client, and nothing runs for the connection until it is resumed. Messages already decoded when
 * the pause took effect are held here and handled in order on resume.
 *
 * <p>Confined to the connection's event loop.
 */
public final class Valve extends ChannelDuplexHandler {
  static final String NAME = "hotpath-valve";
  private static final String ENCODER = "httpEncoder";
  private static final String VERTX = "handler";
  private static final String CHUNKED_WRITER = "chunkedWriter";

  private final AdmissionGate gate;
  private final Refusal refusal;
  private final Runnable refused;
  private ChannelHandlerContext ctx;
  private ChannelHandlerContext encoder;

  /**
   * Vert.x's chunked writer (with TLS) sits between it and the encoder and holds writes until they
   * are flushed: a response it holds must leave before a refusal written below it.
   */
  private boolean holdsWrites;

  /** Requests passed on to Vert.x whose response has not ended. */
  private int answering;

  /** The body of a refused request is arriving: dropped. */
  private boolean discarding;

  private boolean paused;
  private boolean draining;
  private boolean needsFlush;
  private ArrayDeque<Object> held;

  private Valve(AdmissionGate gate, Refusal refusal, Runnable refused) {
    this.gate = gate;
    this.refusal = refusal;
    this.refused = refused;
  }

  /**
   * Puts a valve in an HTTP/1.x connection's pipeline, in front of Vert.x's handler; empty when the
   * pipeline is not that of an HTTP/1.x connection (HTTP/2 has no such codec).
   *
   * @param refused run after a request was refused and its connection kept
   */
  static Optional<Valve> install(
      ChannelPipeline pipeline, AdmissionGate gate, Refusal refusal, Runnable refused) {
    if (pipeline.context(ENCODER) == null || pipeline.context(VERTX) == null) {
      return Optional.empty();
    }
    Valve valve = new Valve(gate, refusal, refused);
    pipeline.addBefore(VERTX, NAME, valve);
    return Optional.of(valve);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.encoder = ctx.pipeline().context(ENCODER);
    this.holdsWrites = ctx.pipeline().context(CHUNKED_WRITER) != null;
  }

  /** From now on every request goes to Vert.x (the server drains; it answers with close). */
  public void drain() {
    draining = true;
  }

  boolean paused() {
    return paused;
  }

  /** Whether the connection is still open. */
  boolean open() {
    return ctx.channel().isActive();
  }

  /** Stops reading the connection. */
  void pause() {
    if (!paused) {
      paused = true;
      ctx.channel().config().setAutoRead(false);
    }
  }

  /** Handles what was held while paused, then reads the connection again unless paused again. */
  void resume() {
    if (!paused) {
      return;
    }
    paused = false;
    while (!paused && held != null && !held.isEmpty()) {
      handle(held.poll());
    }
    flushIfNeeded();
    if (!paused && ctx.channel().isActive()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (paused) {
      // Vert.x may have switched reading on again (it does after holding messages of its own)
      ctx.channel().config().setAutoRead(false);
      if (held == null) {
        held = new ArrayDeque<>(4);
      }
      held.add(msg);
      return;
    }
    handle(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flushIfNeeded();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (held != null) {
      held.forEach(ReferenceCountUtil::release);
      held.clear();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof LastHttpContent && answering > 0 && !interim(msg)) {
      answering--;
    }
    ctx.write(msg, promise);
  }

  /**
   * A request this valve passed on was answered by a handler between it and Vert.x, whose response
   * did not pass through here ({@code edge.PreparedRead} writes below the encoder).
   */
  public void answeredAbove() {
    if (answering > 0) {
      answering--;
    }
  }

  /** A 1xx response (100 Continue) is complete in itself and does not end the exchange. */
  private static boolean interim(Object msg) {
    return msg instanceof HttpResponse r
        && r.status().codeClass() == HttpStatusClass.INFORMATIONAL
        && r.status().code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code();
  }

  private void handle(Object msg) {
    if (msg instanceof HttpRequest request) {
      if (refusable(request)) {
        refuse(request);
        return;
      }
      answering++;
    } else if (discarding && msg instanceof HttpContent) {
      discarding = !(msg instanceof LastHttpContent);
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  private boolean refusable(HttpRequest request) {
    return !draining
        && answering == 0
        && gate.full()
        && request.uri().startsWith("/v1/")
        && request.method() != HttpMethod.HEAD
        && request.decoderResult().isSuccess()
        && nothingHeld();
  }

  /** Whether no earlier response is still held above the encoder (flushing it if need be). */
  private boolean nothingHeld() {
    if (!holdsWrites) {
      return true;
    }
    ctx.flush(); // the chunked writer writes what it holds while the channel is writable
    return ctx.channel().isWritable();
  }

  private void refuse(HttpRequest request) {
    gate.refusedFull();
    boolean keep = HttpUtil.isKeepAlive(request) && !HttpUtil.is100ContinueExpected(request);
    discarding = !(request instanceof LastHttpContent);
    ReferenceCountUtil.release(request);
    // written below the HTTP encoder, which is between responses (none is being answered)
    if (keep) {
      encoder.write(refusal.bytes(true), encoder.voidPromise());
      needsFlush = true;
      refused.run();
    } else {
      encoder.writeAndFlush(refusal.bytes(false)).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void flushIfNeeded() {
    if (needsFlush) {
      needsFlush = false;
      encoder.flush();
    }
  }
}
