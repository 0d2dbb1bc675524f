package dev.hotpath.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import org.junit.jupiter.api.Test;

/**
 * Where {@link PreparedRead} may go: an HTTP/1.x pipeline as Vert.x sets one up, unless a handler
 * between the decoder and Vert.x pairs each request with its response on the way out (Netty's
 * WebSocket extension handler, which Vert.x adds while WebSocket compression is offered): an answer
 * written below it never passes it, and it kept one entry per cached read for as long as the
 * connection lived (an array of 14,215 entries after 20 s of wrk on one connection, promoted to the
 * old generation). The server offers no WebSocket compression, so its pipelines have none
 * (HttpVerticleOptionsTest).
 */
class PreparedReadPipelineTest {
  @Test
  void goesInAPlainHttp1PipelineButNotBelowAHandlerThatPairsRequestsWithResponses() {
    EmbeddedChannel plain = pipeline(false);
    EmbeddedChannel paired = pipeline(true);
    try {
      assertThat(PreparedRead.installable(plain.pipeline())).isTrue();
      assertThat(PreparedRead.installable(paired.pipeline())).isFalse();
    } finally {
      plain.finishAndReleaseAll();
      paired.finishAndReleaseAll();
    }
  }

  /**
   * Vert.x's handler names, in its order; the extension handler just before Vert.x's, as it puts
   * it.
   */
  private static EmbeddedChannel pipeline(boolean webSocketExtensions) {
    EmbeddedChannel channel = new EmbeddedChannel();
    channel.pipeline().addLast("httpDecoder", new HttpRequestDecoder());
    channel.pipeline().addLast("httpEncoder", new HttpResponseEncoder());
    channel.pipeline().addLast("handler", new ChannelInboundHandlerAdapter());
    if (webSocketExtensions) {
      channel
          .pipeline()
          .addBefore(
              "handler",
              "webSocketExtensionHandler",
              new WebSocketServerExtensionHandler(
                  new PerMessageDeflateServerExtensionHandshaker()));
    }
    return channel;
  }
}
