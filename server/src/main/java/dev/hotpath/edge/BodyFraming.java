package dev.hotpath.edge;

import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.http.Problems;
import dev.hotpath.http.SecurityHeaders;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;

/**
 * Answers an HTTP/1.x request whose body the decoder could not frame (a chunk size that is not
 * hexadecimal, a chunk or trailer past the decoder's bounds) with a 400 problem and closes the
 * connection. Left to Vert.x, such a request got no answer at all: its connection fails on the
 * first undecodable chunk and closes. The request's head was valid, so Vert.x already has the
 * request; its body never ends, so no handler that waits for the body (every write) ran, and
 * closing the connection ends the request there with nothing changed.
 *
 * <p>The problem is written only when it is the next response the client expects: the failed
 * request is the only one of the connection still unanswered and no part of its response was
 * written. Otherwise (its answer already written, as a 401 is for the head alone, or under way, or
 * earlier pipelined requests still being answered) what was written is flushed and the connection
 * closed.
 *
 * <p>In the connection's Netty pipeline just before Vert.x's handler (after the admission valve, if
 * any, so it sees only the requests Vert.x sees). Confined to the connection's event loop.
 */
final class BodyFraming extends ChannelDuplexHandler {
  static final String NAME = "hotpath-body-framing";
  private static final String ENCODER = "httpEncoder";
  private static final String VERTX = "handler";

  static final ProblemException MALFORMED =
      new ProblemException(
          ProblemType.BAD_REQUEST,
          "The request body is not framed as HTTP/1.1 asks: a chunk size that is not hexadecimal,"
              + " or a chunk or trailer past this server's bounds");

  private final boolean tls;

  /** Requests passed on whose response has not ended. */
  private int unanswered;

  /** Part of a response was written and its end not yet. */
  private boolean responding;

  private BodyFraming(boolean tls) {
    this.tls = tls;
  }

  /**
   * Installs one in an HTTP/1.x connection's pipeline and returns it; nothing for any other
   * pipeline (null).
   */
  static BodyFraming install(ChannelPipeline pipeline, boolean tls) {
    if (pipeline.context(ENCODER) != null && pipeline.context(VERTX) != null) {
      BodyFraming framing = new BodyFraming(tls);
      pipeline.addBefore(VERTX, NAME, framing);
      return framing;
    }
    return null;
  }

  /**
   * A request passed on from here was answered by a handler between this one and Vert.x ({@link
   * PreparedRead}), whose response did not pass through here.
   */
  void answeredAbove() {
    unanswered = Math.max(0, unanswered - 1);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      unanswered++;
    } else if (msg instanceof HttpContent content && !content.decoderResult().isSuccess()) {
      ReferenceCountUtil.release(msg);
      if (unanswered == 1 && !responding) {
        ctx.writeAndFlush(problem()).addListener(ChannelFutureListener.CLOSE);
      } else {
        // what was written is sent before the close (a 401 written for the head, say): a close
        // alone drops the writes not yet flushed, and the client got nothing
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
      // 100 Continue: complete in itself, the exchange goes on
    } else if (msg instanceof LastHttpContent) {
      responding = false;
      unanswered = Math.max(0, unanswered - 1);
    } else if (msg instanceof HttpResponse) {
      responding = true;
    }
    ctx.write(msg, promise);
  }

  private FullHttpResponse problem() {
    byte[] body = Problems.encode(MALFORMED, null).getBytes();
    var response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST, Unpooled.wrappedBuffer(body));
    var headers = response.headers();
    headers
        .set("Content-Type", Problems.CONTENT_TYPE)
        .set("Cache-Control", "no-store")
        .set("Content-Length", body.length)
        .set("Connection", "close");
    var security = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
    SecurityHeaders.add(security, tls);
    for (Map.Entry<String, String> h : security) {
      headers.add(h.getKey(), h.getValue());
    }
    return response;
  }
}
