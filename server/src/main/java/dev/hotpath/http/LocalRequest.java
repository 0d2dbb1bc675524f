package dev.hotpath.http;

import io.netty.handler.codec.DecoderResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpFrame;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.StreamPriority;
import io.vertx.core.http.impl.HttpUtils;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request this process hands to one of its event loops' request handlers in memory ({@link
 * InProcess}): its method, URI, headers and body as a client would have sent them, its caller's
 * address as the peer, read as an HTTP/1.1 request over plain HTTP. Nothing is encoded or parsed.
 * Its body, if any, is delivered as one chunk once the route reads it. Used on its event loop only.
 */
final class LocalRequest extends HttpServerRequestInternal {
  private final ContextInternal context;
  private final HttpMethod method;
  private final String uri;
  private final String path;
  private final @Nullable String query;
  private final MultiMap headers;
  private final @Nullable Buffer body;
  private final SocketAddress remote;
  private final SocketAddress local;
  private final LocalResponse response;
  private final LocalConnection connection;
  private @Nullable MultiMap params;
  private Charset paramsCharset = StandardCharsets.UTF_8;
  private @Nullable Handler<Buffer> dataHandler;
  private @Nullable Handler<Void> endHandler;
  private boolean paused;
  private boolean ended;
  private boolean delivering;

  LocalRequest(
      ContextInternal context,
      HttpMethod method,
      String uri,
      MultiMap headers,
      @Nullable Buffer body,
      SocketAddress remote,
      SocketAddress local,
      LocalResponse response) {
    this.context = context;
    this.method = method;
    this.uri = uri;
    int q = uri.indexOf('?');
    this.path = q < 0 ? uri : uri.substring(0, q);
    this.query = q < 0 ? null : uri.substring(q + 1);
    this.headers = headers;
    this.body = body;
    this.remote = remote;
    this.local = local;
    this.response = response;
    this.connection = new LocalConnection(response, remote, local);
    // a request without a body has been read whole when it arrives
    this.ended = body == null;
  }

  /** Delivers the body (if any) and the end, once someone listens and the stream flows. */
  private void deliverLater() {
    if (ended || delivering || paused || endHandler == null) {
      return;
    }
    delivering = true;
    context.runOnContext(
        v -> {
          delivering = false;
          if (ended || paused || response.closed()) {
            return;
          }
          ended = true;
          if (body != null && body.length() > 0 && dataHandler != null) {
            dataHandler.handle(body);
          }
          if (endHandler != null) {
            endHandler.handle(null);
          }
        });
  }

  @Override
  public ContextInternal context() {
    return context;
  }

  @Override
  public @Nullable Object metric() {
    return null;
  }

  @Override
  public boolean isValidAuthority() {
    return true;
  }

  @Override
  public HttpServerRequest exceptionHandler(@Nullable Handler<Throwable> handler) {
    return this;
  }

  @Override
  public HttpServerRequest handler(@Nullable Handler<Buffer> handler) {
    this.dataHandler = handler;
    return this;
  }

  @Override
  public HttpServerRequest pause() {
    paused = true;
    return this;
  }

  @Override
  public HttpServerRequest resume() {
    paused = false;
    deliverLater();
    return this;
  }

  @Override
  public HttpServerRequest fetch(long amount) {
    return resume();
  }

  @Override
  public HttpServerRequest endHandler(@Nullable Handler<Void> handler) {
    this.endHandler = handler;
    if (handler != null && ended && body == null) {
      // the end has been reached already: told on the next turn, as a socket's request would be
      context.runOnContext(v -> handler.handle(null));
      return this;
    }
    deliverLater();
    return this;
  }

  @Override
  public HttpVersion version() {
    return HttpVersion.HTTP_1_1;
  }

  @Override
  public HttpMethod method() {
    return method;
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String query() {
    return query;
  }

  @Override
  public MultiMap headers() {
    return headers;
  }

  @Override
  public String scheme() {
    return "http";
  }

  @Override
  public HostAndPort authority() {
    return HostAndPort.create(local.hostAddress(), local.port());
  }

  @Override
  public HostAndPort authority(boolean real) {
    return authority();
  }

  @Override
  public long bytesRead() {
    return body == null ? 0 : body.length();
  }

  @Override
  public HttpServerResponse response() {
    return response;
  }

  @Override
  public HttpServerRequest setParamsCharset(String charset) {
    Charset next = Charset.forName(charset);
    if (!next.equals(paramsCharset)) {
      paramsCharset = next;
      params = null;
    }
    return this;
  }

  @Override
  public String getParamsCharset() {
    return paramsCharset.name();
  }

  @Override
  public MultiMap params(boolean semicolonIsNormalChar) {
    if (params == null) {
      params = HttpUtils.params(uri, paramsCharset, semicolonIsNormalChar);
    }
    return params;
  }

  @Override
  public String absoluteURI() {
    return "http://" + local.hostAddress() + ":" + local.port() + uri;
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public SocketAddress localAddress() {
    return local;
  }

  @Override
  public Future<Buffer> body() {
    return Future.succeededFuture(body == null ? Buffer.buffer() : body);
  }

  @Override
  public Future<Void> end() {
    return Future.succeededFuture();
  }

  @Override
  public Future<NetSocket> toNetSocket() {
    return Future.failedFuture("an in-process request has no socket");
  }

  @Override
  public HttpServerRequest setExpectMultipart(boolean expect) {
    return this;
  }

  @Override
  public boolean isExpectMultipart() {
    return false;
  }

  @Override
  public HttpServerRequest uploadHandler(@Nullable Handler<HttpServerFileUpload> handler) {
    return this;
  }

  @Override
  public MultiMap formAttributes() {
    return MultiMap.caseInsensitiveMultiMap();
  }

  @Override
  public @Nullable String getFormAttribute(String name) {
    return null;
  }

  @Override
  public Future<ServerWebSocket> toWebSocket() {
    return Future.failedFuture("an in-process request is no WebSocket");
  }

  @Override
  public boolean isEnded() {
    return ended;
  }

  @Override
  public HttpServerRequest customFrameHandler(@Nullable Handler<HttpFrame> handler) {
    return this;
  }

  @Override
  public HttpConnection connection() {
    return connection;
  }

  @Override
  public HttpServerRequest streamPriorityHandler(@Nullable Handler<StreamPriority> handler) {
    return this;
  }

  @Override
  public DecoderResult decoderResult() {
    return DecoderResult.SUCCESS;
  }

  // the requests sent in process carry no cookies

  @Override
  public @Nullable Cookie getCookie(String name) {
    return null;
  }

  @Override
  public @Nullable Cookie getCookie(String name, String domain, String path) {
    return null;
  }

  @Override
  public Set<Cookie> cookies(String name) {
    return Set.of();
  }

  @Override
  public Set<Cookie> cookies() {
    return Set.of();
  }
}
