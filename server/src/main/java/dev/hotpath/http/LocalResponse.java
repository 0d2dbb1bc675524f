package dev.hotpath.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The response to a {@link LocalRequest}: status, headers and body kept in memory and handed whole
 * to whoever sent the request when it ends; the handlers a route sets (headers end, body end, end,
 * close) run when a socket's response would run them. Closed when its sender goes away (a cancelled
 * call), which the route sees as a client that has gone. Used on its event loop only.
 */
final class LocalResponse implements HttpServerResponse {
  private static final Future<Void> CLOSED =
      Future.failedFuture(new HttpClosedException("the in-process caller has gone"));

  /** What becomes of the response: its end, or its close before it ended. */
  interface Outcome {
    /** The response has ended, before its end handler runs (where a socket's would be traced). */
    void ending(LocalResponse response);

    /** The response has ended and its handlers have run: the answer may go. */
    void ended(LocalResponse response);

    /** The caller went away before the response ended. */
    void closed(LocalResponse response);
  }

  private final Outcome outcome;
  private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
  private @Nullable MultiMap trailers;
  private int status = 200;
  private @Nullable String statusMessage;
  private boolean chunked;
  private @Nullable Buffer body;
  private boolean owned;
  private long bytesWritten;
  private boolean headWritten;
  private boolean ended;
  private boolean closed;
  private @Nullable Handler<Void> headersEndHandler;
  private @Nullable Handler<Void> bodyEndHandler;
  private @Nullable Handler<Void> endHandler;
  private @Nullable Handler<Void> closeHandler;
  private @Nullable Handler<Throwable> exceptionHandler;

  LocalResponse(Outcome outcome) {
    this.outcome = outcome;
  }

  /** The body written so far (empty when none). */
  Buffer body() {
    return body == null ? Buffer.buffer(0) : body;
  }

  /** The caller has gone: the route is told as a socket's route is when its client disconnects. */
  void close() {
    if (ended || closed) {
      return;
    }
    closed = true;
    if (exceptionHandler != null) {
      exceptionHandler.handle(new HttpClosedException("the in-process caller has gone"));
    }
    if (closeHandler != null) {
      closeHandler.handle(null);
    }
    outcome.closed(this);
  }

  private void head() {
    if (!headWritten) {
      if (headersEndHandler != null) {
        headersEndHandler.handle(null);
      }
      headWritten = true;
    }
  }

  private void append(Buffer chunk) {
    if (chunk.length() == 0) {
      return;
    }
    if (body == null) {
      body = chunk;
    } else {
      if (!owned) {
        // the first write may be a buffer the route shares (a cached answer): never appended to
        body = Buffer.buffer(body.length() + chunk.length()).appendBuffer(body);
        owned = true;
      }
      body.appendBuffer(chunk);
    }
    bytesWritten += chunk.length();
  }

  @Override
  public Future<Void> write(Buffer data) {
    if (closed) {
      return CLOSED;
    }
    if (ended) {
      return Future.failedFuture(new IllegalStateException("the response has ended"));
    }
    head();
    append(data);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> write(String chunk, String enc) {
    return write(Buffer.buffer(chunk, enc));
  }

  @Override
  public Future<Void> write(String chunk) {
    return write(Buffer.buffer(chunk));
  }

  @Override
  public Future<Void> end(Buffer chunk) {
    if (closed) {
      return CLOSED;
    }
    if (ended) {
      return Future.failedFuture(new IllegalStateException("the response has ended"));
    }
    head();
    append(chunk);
    ended = true;
    if (bodyEndHandler != null) {
      bodyEndHandler.handle(null);
    }
    outcome.ending(this);
    if (endHandler != null) {
      endHandler.handle(null);
    }
    outcome.ended(this);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> end(String chunk) {
    return end(Buffer.buffer(chunk));
  }

  @Override
  public Future<Void> end(String chunk, String enc) {
    return end(Buffer.buffer(chunk, enc));
  }

  @Override
  public Future<Void> end() {
    return end(Buffer.buffer(0));
  }

  @Override
  public Future<Void> writeHead() {
    head();
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> writeContinue() {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> writeEarlyHints(MultiMap headers) {
    return Future.succeededFuture();
  }

  @Override
  public HttpServerResponse exceptionHandler(@Nullable Handler<Throwable> handler) {
    this.exceptionHandler = handler;
    return this;
  }

  @Override
  public HttpServerResponse setWriteQueueMaxSize(int maxSize) {
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return false;
  }

  @Override
  public HttpServerResponse drainHandler(@Nullable Handler<Void> handler) {
    return this;
  }

  @Override
  public int getStatusCode() {
    return status;
  }

  @Override
  public HttpServerResponse setStatusCode(int statusCode) {
    this.status = statusCode;
    return this;
  }

  @Override
  public String getStatusMessage() {
    return statusMessage != null
        ? statusMessage
        : io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase();
  }

  @Override
  public HttpServerResponse setStatusMessage(String statusMessage) {
    this.statusMessage = statusMessage;
    return this;
  }

  @Override
  public HttpServerResponse setChunked(boolean chunked) {
    this.chunked = chunked;
    return this;
  }

  @Override
  public boolean isChunked() {
    return chunked;
  }

  @Override
  public MultiMap headers() {
    return headers;
  }

  @Override
  public HttpServerResponse putHeader(String name, String value) {
    headers.set(name, value);
    return this;
  }

  @Override
  public HttpServerResponse putHeader(CharSequence name, CharSequence value) {
    headers.set(name, value);
    return this;
  }

  @Override
  public HttpServerResponse putHeader(String name, Iterable<String> values) {
    headers.set(name, values);
    return this;
  }

  @Override
  public HttpServerResponse putHeader(CharSequence name, Iterable<CharSequence> values) {
    headers.set(name, values);
    return this;
  }

  @Override
  public MultiMap trailers() {
    if (trailers == null) {
      trailers = MultiMap.caseInsensitiveMultiMap();
    }
    return trailers;
  }

  @Override
  public HttpServerResponse putTrailer(String name, String value) {
    trailers().set(name, value);
    return this;
  }

  @Override
  public HttpServerResponse putTrailer(CharSequence name, CharSequence value) {
    trailers().set(name, value);
    return this;
  }

  @Override
  public HttpServerResponse putTrailer(String name, Iterable<String> values) {
    trailers().set(name, values);
    return this;
  }

  @Override
  public HttpServerResponse putTrailer(CharSequence name, Iterable<CharSequence> value) {
    trailers().set(name, value);
    return this;
  }

  @Override
  public HttpServerResponse closeHandler(@Nullable Handler<Void> handler) {
    this.closeHandler = handler;
    return this;
  }

  @Override
  public HttpServerResponse endHandler(@Nullable Handler<Void> handler) {
    this.endHandler = handler;
    return this;
  }

  @Override
  public HttpServerResponse headersEndHandler(@Nullable Handler<Void> handler) {
    this.headersEndHandler = handler;
    return this;
  }

  @Override
  public HttpServerResponse bodyEndHandler(@Nullable Handler<Void> handler) {
    this.bodyEndHandler = handler;
    return this;
  }

  @Override
  public Future<Void> sendFile(String filename, long offset, long length) {
    return Future.failedFuture("files are not sent in process");
  }

  @Override
  public Future<Void> sendFile(FileChannel channel, long offset, long length) {
    return Future.failedFuture("files are not sent in process");
  }

  @Override
  public Future<Void> sendFile(RandomAccessFile file, long offset, long length) {
    return Future.failedFuture("files are not sent in process");
  }

  @Override
  public boolean ended() {
    return ended;
  }

  @Override
  public boolean closed() {
    return closed;
  }

  @Override
  public boolean headWritten() {
    return headWritten;
  }

  @Override
  public long bytesWritten() {
    return bytesWritten;
  }

  @Override
  public int streamId() {
    return -1;
  }

  @Override
  public Future<HttpServerResponse> push(
      HttpMethod method, HostAndPort authority, String path, MultiMap headers) {
    return Future.failedFuture("no push in process");
  }

  @Override
  public Future<Void> reset(long code) {
    close();
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> writeCustomFrame(int type, int flags, Buffer payload) {
    return Future.succeededFuture();
  }

  @Override
  public HttpServerResponse addCookie(Cookie cookie) {
    headers.add("Set-Cookie", cookie.encode());
    return this;
  }

  @Override
  public @Nullable Cookie removeCookie(String name, boolean invalidate) {
    return null;
  }

  @Override
  public Set<Cookie> removeCookies(String name, boolean invalidate) {
    return Set.of();
  }

  @Override
  public @Nullable Cookie removeCookie(
      String name, String domain, String path, boolean invalidate) {
    return null;
  }
}
