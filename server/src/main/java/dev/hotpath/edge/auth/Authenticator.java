package dev.hotpath.edge.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.hotpath.config.AuthSettings;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.observe.ClientAddress;
import dev.hotpath.observe.Tracing;
import io.netty.util.AsciiString;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.concurrent.TimeUnit;

/**
 * Authenticates requests by {@code Authorization: Bearer <JWT>} and checks the scopes of their
 * route. A verified token's principal is cached, keyed by the header value as sent, until the token
 * expires (bounded in count): a request with a cached token costs one hash lookup, no parsing and
 * no signature check. A miss verifies the token in full ({@link TokenVerifier}), reloading the keys
 * when the token names an unknown key. Failures answer 401 with {@code WWW-Authenticate} (RFC 6750)
 * and count against the client address's {@link FailedAuthLimiter} (429 once it is spent); a
 * missing scope answers 403. Thread-safe; one instance serves every event loop.
 */
public final class Authenticator {
  private static final AsciiString AUTHORIZATION = AsciiString.cached("Authorization");
  private static final AsciiString WWW_AUTHENTICATE = AsciiString.cached("WWW-Authenticate");
  private static final String CHALLENGE = "Bearer realm=\"hotpath\"";

  private final Jwks jwks;
  private final TokenVerifier verifier;
  private final FailedAuthLimiter limiter;
  private final Cache<String, Principal> claims;
  private final java.util.concurrent.atomic.LongAdder verifications =
      new java.util.concurrent.atomic.LongAdder();

  public Authenticator(AuthSettings settings, Jwks jwks) {
    this.jwks = jwks;
    this.verifier =
        new TokenVerifier(
            settings.issuer().orElseThrow(),
            settings.audience().orElseThrow(),
            settings.clockSkew());
    this.limiter = new FailedAuthLimiter(settings.failuresPerMinute(), settings.trackedAddresses());
    this.claims =
        Caffeine.newBuilder()
            .maximumSize(settings.claimsCacheSize())
            .executor(Runnable::run) // maintenance on the caller: see ResponseCache
            .expireAfter(
                new Expiry<String, Principal>() {
                  @Override
                  public long expireAfterCreate(String key, Principal p, long now) {
                    long left = p.expiresAtMillis() - System.currentTimeMillis();
                    return TimeUnit.MILLISECONDS.toNanos(Math.max(0, left));
                  }

                  @Override
                  public long expireAfterUpdate(String key, Principal p, long now, long current) {
                    return current;
                  }

                  @Override
                  public long expireAfterRead(String key, Principal p, long now, long current) {
                    return current;
                  }
                })
            .build();
  }

  public Jwks jwks() {
    return jwks;
  }

  public FailedAuthLimiter limiter() {
    return limiter;
  }

  /**
   * Lets requests that send exactly {@code Authorization: <header>} act as {@code subject} with
   * {@code scopes} (names, as in tokens) until {@code expiresAtMillis}, with no token to verify:
   * the server's own warm-up requests over loopback use it with a random value that never leaves
   * the process. Running the returned action revokes it at once.
   */
  public Runnable admitInternal(
      String header, String subject, java.util.Collection<String> scopes, long expiresAtMillis) {
    claims.put(header, new Principal(subject, 0, Scope.mask(scopes), expiresAtMillis));
    return () -> {
      claims.invalidate(header);
      revocations++; // after the entry is gone: see revocations()
    };
  }

  /**
   * How many admissions {@link #admitInternal} gave have been revoked. A caller that remembers a
   * principal of {@link #cachedPrincipal} reads this before the lookup and uses what it remembers
   * only while the count is unchanged: a revocation counts after its entry is gone, so a lookup
   * made after the new count was read no longer finds it. Expired tokens need no count (the caller
   * checks the expiry), and a token the cache merely let go (its size bound) is still verified.
   */
  public int revocations() {
    return revocations;
  }

  private volatile int revocations;

  /** Tokens checked in full (claims-cache misses), for tests and metrics. */
  public long verifications() {
    return verifications.sum();
  }

  /** Verified tokens held now (estimate). */
  public long cachedTokens() {
    return claims.estimatedSize();
  }

  /**
   * The principal of a token verified before, by the exact {@code Authorization} value, while it is
   * unexpired; null otherwise (nothing is verified, counted or refused here: the caller sends such
   * a request the ordinary way).
   */
  public Principal cachedPrincipal(String header) {
    Principal cached = claims.getIfPresent(header);
    return cached != null && cached.expiresAtMillis() > System.currentTimeMillis() ? cached : null;
  }

  /**
   * A route's first handler after its naming: lets the request through with its {@link Principal}
   * when its token is valid and grants every scope of {@code required}. A platform handler, so it
   * runs before a body is read.
   */
  public PlatformHandler require(int required) {
    return ctx -> authenticate(ctx, required);
  }

  private void authenticate(RoutingContext ctx, int required) {
    HttpServerRequest request = ctx.request();
    String header = request.getHeader(AUTHORIZATION);
    if (header == null) {
      ctx.response().putHeader(WWW_AUTHENTICATE, CHALLENGE);
      ctx.fail(
          new ProblemException(
              ProblemType.UNAUTHORIZED, "Send Authorization: Bearer <token> to use this route"));
      return;
    }
    Principal cached = claims.getIfPresent(header);
    if (cached != null && cached.expiresAtMillis() > System.currentTimeMillis()) {
      authorize(ctx, cached, required);
      return;
    }
    String address = address(request);
    if (limiter.blocked(address)) {
      tooMany(ctx, address);
      return;
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      reject(ctx, address, "use the Bearer scheme");
      return;
    }
    String token = header.substring(7).trim();
    verifications.increment();
    TokenVerifier.Outcome outcome = verifier.verify(token, jwks.current(), now());
    if (outcome instanceof TokenVerifier.UnknownKey) {
      Context context = Vertx.currentContext();
      // the body must wait for its handler while the keys are fetched, or its chunks are lost
      if (!request.isEnded()) {
        request.pause();
      }
      jwks.reloadIfAllowed()
          .whenComplete(
              (keys, failure) ->
                  context.runOnContext(
                      v -> {
                        if (!request.isEnded()) {
                          request.resume();
                        }
                        TokenVerifier.Outcome again = verifier.verify(token, jwks.current(), now());
                        conclude(ctx, header, address, again, required);
                      }));
      return;
    }
    conclude(ctx, header, address, outcome, required);
  }

  private void conclude(
      RoutingContext ctx,
      String header,
      String address,
      TokenVerifier.Outcome outcome,
      int required) {
    switch (outcome) {
      case TokenVerifier.Verified v -> {
        claims.put(header, v.principal());
        authorize(ctx, v.principal(), required);
      }
      case TokenVerifier.Rejected r -> reject(ctx, address, r.reason());
      case TokenVerifier.UnknownKey u -> reject(ctx, address, "the token's key is not trusted");
    }
  }

  /**
   * Names, in the response's {@code WWW-Authenticate} (RFC 6750), the scopes {@code missing} that a
   * 403 about to be sent needs.
   */
  public static void challengeForScope(RoutingContext ctx, String missing) {
    ctx.response()
        .putHeader(
            WWW_AUTHENTICATE,
            CHALLENGE + ", error=\"insufficient_scope\", scope=\"" + missing + "\"");
  }

  private static void authorize(RoutingContext ctx, Principal principal, int required) {
    if (!principal.has(required)) {
      String missing = Scope.names(required & ~principal.scopes());
      challengeForScope(ctx, missing);
      ctx.fail(
          new ProblemException(
              ProblemType.FORBIDDEN, "This route needs the scope(s) " + missing + " in the token"));
      return;
    }
    ctx.put(Principal.KEY, principal);
    ctx.next();
  }

  private void reject(RoutingContext ctx, String address, String reason) {
    if (!limiter.fail(address)) {
      tooMany(ctx, address);
      return;
    }
    ctx.response()
        .putHeader(
            WWW_AUTHENTICATE,
            CHALLENGE + ", error=\"invalid_token\", error_description=\"" + reason + "\"");
    ctx.fail(new ProblemException(ProblemType.UNAUTHORIZED, "The token is refused: " + reason));
  }

  private void tooMany(RoutingContext ctx, String address) {
    Tracing.current().ifPresent(t -> t.markLimited());
    ctx.response().putHeader("Retry-After", Long.toString(limiter.retryAfterSeconds(address)));
    ctx.fail(
        new ProblemException(
            ProblemType.TOO_MANY_REQUESTS,
            "Too many failed authentications from this address; retry later"));
  }

  private static String address(HttpServerRequest request) {
    return ClientAddress.of(request);
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
