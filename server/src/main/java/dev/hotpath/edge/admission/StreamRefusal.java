package dev.hotpath.edge.admission;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.vertx.core.http.HttpConnection;

/**
 * Refuses HTTP/2 streams below Vert.x while admission is full: a decorator of the connection's
 * frame listener that resets a new {@code /v1/} stream with {@code REFUSED_STREAM} as soon as its
 * HEADERS frame is decoded, before Vert.x creates a stream, a request, a trace or a timer for it;
 * one counter moves. Its connection's concurrent streams are lowered and its reset budget kept by
 * {@link Backpressure#refuseStream}; past that budget, and while back-pressure is off, the stream
 * goes on to Vert.x and gets the 503 of {@link AdmissionGate#refuseEarly}. HPACK decoding still
 * happens (the codec's header table must stay in step with the client's).
 *
 * <p>Confined to the connection's event loop.
 */
final class StreamRefusal extends Http2FrameListenerDecorator {
  private final Http2ConnectionHandler handler;
  private final HttpConnection connection;
  private final AdmissionGate gate;
  private final Backpressure backpressure;

  private StreamRefusal(
      Http2FrameListener vertx,
      Http2ConnectionHandler handler,
      HttpConnection connection,
      AdmissionGate gate,
      Backpressure backpressure) {
    super(vertx);
    this.handler = handler;
    this.connection = connection;
    this.gate = gate;
    this.backpressure = backpressure;
  }

  /**
   * Decorates the frame listener of an HTTP/2 connection whose handler is {@code handler}.
   *
   * @return whether it was installed (the handler was Netty's HTTP/2 connection handler)
   */
  static boolean install(
      Object handler, HttpConnection connection, AdmissionGate gate, Backpressure backpressure) {
    if (!(handler instanceof Http2ConnectionHandler h2)) {
      return false;
    }
    Http2ConnectionDecoder decoder = h2.decoder();
    Http2FrameListener vertx = decoder.frameListener();
    if (vertx == null || vertx instanceof StreamRefusal) {
      return false;
    }
    decoder.frameListener(new StreamRefusal(vertx, h2, connection, gate, backpressure));
    return true;
  }

  @Override
  public void onHeadersRead(
      ChannelHandlerContext ctx,
      int streamId,
      Http2Headers headers,
      int padding,
      boolean endOfStream)
      throws Http2Exception {
    if (!refused(ctx, streamId, headers)) {
      super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }
  }

  @Override
  public void onHeadersRead(
      ChannelHandlerContext ctx,
      int streamId,
      Http2Headers headers,
      int streamDependency,
      short weight,
      boolean exclusive,
      int padding,
      boolean endOfStream)
      throws Http2Exception {
    if (!refused(ctx, streamId, headers)) {
      super.onHeadersRead(
          ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
    }
  }

  /** Resets a new API stream while admission is full and the connection's budget lasts. */
  private boolean refused(ChannelHandlerContext ctx, int streamId, Http2Headers headers) {
    if (!gate.full() || !backpressure.refusesStreams() || !api(headers.path())) {
      return false;
    }
    // (trailers carry no :path, so only a new stream's headers get here)
    if (!backpressure.refuseStream(connection)) {
      return false; // its budget is spent: Vert.x answers 503
    }
    gate.refusedFull();
    handler.resetStream(ctx, streamId, Http2Error.REFUSED_STREAM.code(), ctx.newPromise());
    return true;
  }

  private static boolean api(CharSequence path) {
    return path != null
        && path.length() > 4
        && path.charAt(0) == '/'
        && path.charAt(1) == 'v'
        && path.charAt(2) == '1'
        && path.charAt(3) == '/';
  }
}
