package dev.hotpath.edge;

import dev.hotpath.store.ReadFloor;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * Read-your-writes over read replicas, for every request: a response to a request that wrote
 * carries the cookie {@value #COOKIE} with the primary's WAL position after its writes, and a
 * request carrying it has its reads served only by a replica that has replayed that far (the
 * primary otherwise). Only routed while replicas are configured. A malformed cookie is ignored: it
 * cannot make a read stale, only send it to a replica as a request without one would.
 */
public final class ReadYourWrites {
  /** The cookie's name. */
  public static final String COOKIE = "hotpath_lsn";

  private static final CharSequence SET_COOKIE =
      io.vertx.core.http.HttpHeaders.createOptimized("Set-Cookie");

  private final String attributes;

  /**
   * @param age how long the cookie lives after the client's last write
   */
  public ReadYourWrites(Duration age) {
    this.attributes = "; Path=/; Max-Age=" + age.toSeconds() + "; HttpOnly; SameSite=Lax";
  }

  /** Binds the request's floor from its cookie and hands back its writes' position. */
  public void handle(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    OptionalLong needed =
        cookie == null ? OptionalLong.empty() : ReadFloor.parse(cookie.getValue());
    HttpServerResponse response = ctx.response();
    ReadFloor.bind(
        needed.orElse(0),
        written -> {
          if (!response.headWritten()) {
            response
                .headers()
                .set(SET_COOKIE, COOKIE + "=" + ReadFloor.format(written) + attributes);
          }
        });
    ctx.next();
  }
}
