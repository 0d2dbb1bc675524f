package dev.hotpath.edge;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Writes successful responses: pre-encoded header names and values, bodies as ready buffers. */
public final class Responses {
  public static final CharSequence CONTENT_TYPE = HttpHeaders.createOptimized("Content-Type");
  public static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  public static final CharSequence LOCATION = HttpHeaders.createOptimized("Location");
  public static final CharSequence LINK = HttpHeaders.createOptimized("Link");

  private Responses() {}

  public static void json(RoutingContext ctx, int status, Buffer body) {
    ctx.response().setStatusCode(status).putHeader(CONTENT_TYPE, JSON).end(body);
  }

  public static void created(RoutingContext ctx, String location, Buffer body) {
    ctx.response()
        .setStatusCode(201)
        .putHeader(LOCATION, location)
        .putHeader(CONTENT_TYPE, JSON)
        .end(body);
  }

  /**
   * Sends one page of a list, with {@code Link: <...>; rel="next"} when {@code nextCursor} is
   * present. The link repeats the request's own parameters with the new cursor.
   */
  public static void page(RoutingContext ctx, Buffer body, Optional<String> nextCursor) {
    if (nextCursor.isPresent()) {
      ctx.response().putHeader(LINK, "<" + nextUri(ctx, nextCursor.get()) + ">; rel=\"next\"");
    }
    json(ctx, 200, body);
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
