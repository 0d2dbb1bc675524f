package dev.hotpath;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.config.Settings;
import io.vertx.core.http.HttpServerOptions;
import org.junit.jupiter.api.Test;

/**
 * The HTTP server offers no WebSocket compression (it serves no WebSocket): with it, Vert.x puts
 * Netty's WebSocket extension handler in every HTTP/1.x pipeline, which inspects every request and
 * queues an entry per request until its response passes it, and an order answered below Vert.x
 * (edge.PreparedRead) never passes it (PreparedReadPipelineTest).
 */
class HttpVerticleOptionsTest {
  @Test
  void noWebSocketCompressionIsOffered() {
    HttpServerOptions options = HttpVerticle.serverOptions(Settings.forTools(java.util.Map.of()));
    assertThat(options.getPerMessageWebSocketCompressionSupported()).isFalse();
    assertThat(options.getPerFrameWebSocketCompressionSupported()).isFalse();
  }
}
