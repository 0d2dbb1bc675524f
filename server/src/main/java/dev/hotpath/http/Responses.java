package dev.hotpath.http;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;

/** Writes successful responses: pre-encoded header names and values, bodies as ready buffers. */
public final class Responses {
  public static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("Content-Type");
  public static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  public static final CharSequence LOCATION = HttpHeaders.createOptimized("Location");
  public static final CharSequence LINK = HttpHeaders.createOptimized("Link");
  public static final Headers.Name CONTENT_TYPE_NAME = Headers.Name.of("Content-Type");
  private static final Headers.Name LINK_NAME = Headers.Name.of("Link");

  private static volatile Consumer<RoutingContext> notModifiedHook = ctx -> {};

  private Responses() {}

  /**
   * Sets what runs for every 304 before it is sent: the rate limiter gives back the request's
   * charge there (a 304 costs no quota). The toolkit knows no limiter; the limiter registers.
   */
  public static void onNotModified(Consumer<RoutingContext> hook) {
    notModifiedHook = hook;
  }

  /** Runs the hook of {@link #onNotModified} for a request about to be answered 304. */
  public static void notModified(RoutingContext ctx) {
    notModifiedHook.accept(ctx);
  }

  /**
   * Sends a representation of a GET: 304 when the request's preconditions say the client has it
   * (RFC 9110 section 13.2.2), else 200 with the body, gzip-coded when {@code compression} says so.
   * Both carry the entity tag of the coding chosen, {@code Cache-Control} and {@code Vary:
   * Accept-Encoding} (and a second {@code Vary: Accept} where the route offers more than one {@link
   * Format}); a page with a next page gets its {@code Link}.
   */
  public static void represent(
      RoutingContext ctx, Representation rep, CachePolicy policy, Compression compression) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    if (response.ended()) {
      return; // the request timed out and has been answered
    }
    boolean gzip = compression.useGzip(request.getHeader(Headers.ACCEPT_ENCODING), rep.length());
    boolean h2 = request.version() == HttpVersion.HTTP_2;
    response
        .putHeader(Headers.ETAG_NAME.on(h2), gzip ? rep.gzipEtag() : rep.etag())
        .putHeader(Headers.CACHE_CONTROL_NAME.on(h2), policy.header())
        .putHeader(Headers.VARY_NAME.on(h2), Headers.ACCEPT_ENCODING);
    if (Format.negotiated(ctx)) {
      // a second field line (RFC 9110 section 5.3): the first stays what every route sends
      response.headers().add(Headers.VARY_NAME.on(h2), Format.ACCEPT);
    }
    if (Conditional.notModified(request, rep)) {
      notModified(ctx);
      response.setStatusCode(304).end();
      return;
    }
    if (rep.lastModified() != Representation.NO_DATE) {
      response.putHeader(Headers.LAST_MODIFIED_NAME.on(h2), rep.lastModifiedHeader());
    }
    if (rep.nextCursor().isPresent()) {
      response.putHeader(
          LINK_NAME.on(h2), "<" + nextUri(ctx, rep.nextCursor().get()) + ">; rel=\"next\"");
    }
    response.setStatusCode(200).putHeader(CONTENT_TYPE_NAME.on(h2), rep.format().contentType());
    if (gzip) {
      response.putHeader(Headers.CONTENT_ENCODING_NAME.on(h2), Headers.GZIP).end(rep.gzip());
    } else {
      response.end(rep.body());
    }
  }

  /** Adds the validators of a representation a write returns (201 or 200 of an update). */
  public static void validators(RoutingContext ctx, String opaqueTag, long lastModified) {
    if (ctx.response().headWritten()) {
      return;
    }
    ctx.response()
        .putHeader(Headers.ETAG, "\"" + opaqueTag + "\"")
        .putHeader(Headers.LAST_MODIFIED, HttpDates.format(lastModified));
  }

  public static void json(RoutingContext ctx, int status, Buffer body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader(CONTENT_TYPE, JSON).end(body);
  }

  public static void created(RoutingContext ctx, String location, Buffer body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(201)
        .putHeader(LOCATION, location)
        .putHeader(CONTENT_TYPE, JSON)
        .end(body);
  }

  /**
   * The shape of a handler that answers from one piece of work: runs {@code then} with its result
   * on completion. A failure of {@code work}, or one {@code then} throws (a 404, say), fails the
   * request and is answered as a problem.
   */
  public static <T> void whenDone(RoutingContext ctx, Future<T> work, Consumer<T> then) {
    work.onComplete(
        ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          try {
            then.accept(ar.result());
          } catch (RuntimeException e) {
            ctx.fail(e);
          }
        });
  }

  /**
   * As {@link #whenDone}, for work that looks one thing up: when it found nothing, the request
   * fails with a 404 naming {@code what} and {@code id} (e.g. "Job 7").
   */
  public static <T> void whenFound(
      RoutingContext ctx, Future<Optional<T>> found, String what, long id, Consumer<T> then) {
    whenDone(
        ctx,
        found,
        result ->
            then.accept(result.orElseThrow(() -> ProblemException.notFound(what + " " + id))));
  }

  /** Sends {@code body} as a 200 JSON answer that no cache may keep (a state that changes). */
  public static void uncached(RoutingContext ctx, Buffer body) {
    ctx.response().putHeader(Headers.CACHE_CONTROL, "no-store");
    json(ctx, 200, body);
  }

  /**
   * Sends one page of a list that is not cached, with {@code Link: <...>; rel="next"} when {@code
   * nextCursor} is present.
   */
  public static void page(RoutingContext ctx, Buffer body, java.util.Optional<String> nextCursor) {
    page(ctx, Format.JSON, body, nextCursor);
  }

  /** As {@link #page(RoutingContext, Buffer, Optional)}, for a body in {@code format}. */
  public static void page(
      RoutingContext ctx, Format format, Buffer body, java.util.Optional<String> nextCursor) {
    boolean h2 = ctx.request().version() == HttpVersion.HTTP_2;
    nextCursor.ifPresent(
        c -> ctx.response().putHeader(LINK_NAME.on(h2), "<" + nextUri(ctx, c) + ">; rel=\"next\""));
    if (ctx.response().ended()) {
      return;
    }
    ctx.response()
        .setStatusCode(200)
        .putHeader(CONTENT_TYPE_NAME.on(h2), format.contentType())
        .end(body);
  }

  static String nextUri(RoutingContext ctx, String cursor) {
    StringBuilder uri = new StringBuilder(ctx.request().path()).append('?');
    MultiMap query = ctx.queryParams();
    for (String name : query.names()) {
      if (!"cursor".equals(name)) {
        uri.append(encode(name)).append('=').append(encode(query.get(name))).append('&');
      }
    }
    return uri.append("cursor=").append(cursor).toString();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
