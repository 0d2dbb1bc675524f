package dev.hotpath.edge.admission;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import java.util.Optional;

/**
 * The valve of one HTTP/2 connection: while any of its streams is held for a slot ({@link
 * AdmissionGate}), the connection is not read, so the rest of its client's excess (new streams,
 * their frames) stays in the kernel's buffers and TCP's window pushes back on the client; once none
 * is held, it is read again.
 *
 * <p>It sits first in the connection's Netty pipeline (in front of TLS, if any) and drops the
 * socket reads asked for while it is closed. Turning Netty's auto-read off is not enough for
 * HTTP/2: the HTTP/2 codec is a byte-to-message decoder that passes no message on, and such a
 * decoder asks for another read after each one while auto-read is off, assuming it needs more bytes
 * to make progress. Frames already read when a stream was held are decoded and handled as usual
 * (their streams are held too, or admitted).
 *
 * <p>Confined to the connection's event loop.
 */
final class StreamValve extends ChannelOutboundHandlerAdapter {
  static final String NAME = "hotpath-stream-valve";

  private ChannelHandlerContext ctx;

  /** This connection's streams held for a slot now. */
  private int held;

  /** A socket read was asked for while closed: issued on opening. */
  private boolean readWanted;

  private StreamValve() {}

  /**
   * Puts a valve first in an HTTP/2 connection's pipeline, whose connection handler is {@code
   * handler}; empty when it is not Netty's HTTP/2 connection handler (an HTTP/1.x connection).
   */
  static Optional<StreamValve> install(Object handler, ChannelPipeline pipeline) {
    if (!(handler instanceof Http2ConnectionHandler) || pipeline.get(NAME) != null) {
      return Optional.empty();
    }
    StreamValve valve = new StreamValve();
    pipeline.addFirst(NAME, valve);
    return Optional.of(valve);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** One more stream of this connection is held: the connection stops being read. */
  void hold() {
    if (held++ == 0) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  /** A held stream left the queue (admitted, refused or gone): read again once none is held. */
  void release() {
    if (held > 0 && --held == 0 && ctx.channel().isActive()) {
      // turning auto-read on asks for a read, which passes now
      ctx.channel().config().setAutoRead(true);
      if (readWanted) {
        readWanted = false;
        ctx.read();
      }
    }
  }

  /** Whether a stream of this connection is held (so it is not read). */
  boolean closed() {
    return held > 0;
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    if (held > 0) {
      readWanted = true;
      return;
    }
    ctx.read();
  }
}
