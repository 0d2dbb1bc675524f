package dev.hotpath.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * The "connection" of one {@link LocalRequest}: it carries that one request only. Shutting it down
 * (a drain) changes nothing, as the exchange ends with its response anyway; closing it is the
 * caller going away, as for a socket closed under a request.
 */
final class LocalConnection implements HttpConnection {
  private final LocalResponse response;
  private final SocketAddress remote;
  private final SocketAddress local;

  LocalConnection(LocalResponse response, SocketAddress remote, SocketAddress local) {
    this.response = response;
    this.remote = remote;
    this.local = local;
  }

  @Override
  public Future<Void> close() {
    response.close();
    return Future.succeededFuture();
  }

  @Override
  public HttpConnection goAway(long errorCode, int lastStreamId, @Nullable Buffer debugData) {
    return this;
  }

  @Override
  public HttpConnection goAwayHandler(@Nullable Handler<GoAway> handler) {
    return this;
  }

  @Override
  public HttpConnection shutdownHandler(@Nullable Handler<Void> handler) {
    return this;
  }

  @Override
  public Future<Void> shutdown(long timeout, TimeUnit unit) {
    return Future.succeededFuture();
  }

  @Override
  public HttpConnection closeHandler(@Nullable Handler<Void> handler) {
    return this;
  }

  @Override
  public Http2Settings settings() {
    return new Http2Settings();
  }

  @Override
  public Future<Void> updateSettings(Http2Settings settings) {
    return Future.succeededFuture();
  }

  @Override
  public Http2Settings remoteSettings() {
    return new Http2Settings();
  }

  @Override
  public HttpConnection remoteSettingsHandler(@Nullable Handler<Http2Settings> handler) {
    return this;
  }

  @Override
  public Future<Buffer> ping(Buffer data) {
    return Future.succeededFuture(data);
  }

  @Override
  public HttpConnection pingHandler(@Nullable Handler<Buffer> handler) {
    return this;
  }

  @Override
  public HttpConnection exceptionHandler(@Nullable Handler<Throwable> handler) {
    return this;
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public SocketAddress remoteAddress(boolean real) {
    return remote;
  }

  @Override
  public SocketAddress localAddress() {
    return local;
  }

  @Override
  public SocketAddress localAddress(boolean real) {
    return local;
  }

  @Override
  public boolean isSsl() {
    return false;
  }

  @Override
  public @Nullable SSLSession sslSession() {
    return null;
  }

  @Override
  public List<Certificate> peerCertificates() {
    return List.of();
  }

  @Override
  public @Nullable String indicatedServerName() {
    return null;
  }
}
