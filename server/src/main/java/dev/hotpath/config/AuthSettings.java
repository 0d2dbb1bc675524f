package dev.hotpath.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Authentication of API requests: JWTs verified locally against a JWKS.
 *
 * @param enabled {@code HOTPATH_AUTH}: on (the default) or off (every route open, admin routes
 *     absent; for measuring what authentication costs)
 * @param jwks a file path or an http(s) URL of the JSON Web Key Set whose public keys sign tokens
 * @param issuer the {@code iss} every token must carry
 * @param audience a value the token's {@code aud} must contain
 * @param refresh how often the key set is reloaded
 * @param refreshFloor the least time between two reloads, also when a token names an unknown key
 * @param clockSkew leeway when checking {@code exp}, {@code nbf} and {@code iat}
 * @param claimsCacheSize most verified tokens kept (each until it expires)
 * @param failuresPerMinute failed authentications allowed per client address per minute (as a
 *     burst, refilled evenly); beyond it, 429
 * @param trackedAddresses most client addresses whose failures are tracked at once
 */
public record AuthSettings(
    boolean enabled,
    Optional<String> jwks,
    Optional<String> issuer,
    Optional<String> audience,
    Duration refresh,
    Duration refreshFloor,
    Duration clockSkew,
    int claimsCacheSize,
    int failuresPerMinute,
    int trackedAddresses) {
  public AuthSettings {
    new Rules()
        .positive("JWKS_REFRESH_FLOOR_MS", refreshFloor)
        .notAbove(
            "JWKS_REFRESH_FLOOR_MS", refreshFloor.toMillis(), "JWKS_REFRESH_MS", refresh.toMillis())
        .notNegative("JWT_CLOCK_SKEW_S", clockSkew)
        .atLeast("CLAIMS_CACHE_SIZE", claimsCacheSize, 1)
        .atLeast("AUTH_FAILURES_PER_MINUTE", failuresPerMinute, 1)
        .atLeast("AUTH_FAILURE_ADDRESSES", trackedAddresses, 1)
        .require(
            !enabled || jwks.isPresent(),
            EnvReader.var("JWKS")
                + " (a file or http(s) URL of the signing keys) is required when "
                + EnvReader.var("AUTH")
                + " is on; serve --demo makes a development key")
        .require(
            !enabled || issuer.isPresent(),
            EnvReader.var("JWT_ISSUER") + " is required when " + EnvReader.var("AUTH") + " is on")
        .require(
            !enabled || audience.isPresent(),
            EnvReader.var("JWT_AUDIENCE") + " is required when " + EnvReader.var("AUTH") + " is on")
        .require(!enabled || jwks.isEmpty() || usable(jwks.get()), unusable(jwks))
        .enforce();
  }

  /**
   * HOTPATH_AUTH and what it needs when on: HOTPATH_JWKS (a file or an http(s) URL),
   * HOTPATH_JWT_ISSUER and HOTPATH_JWT_AUDIENCE; the refresh, skew, cache and failure bounds.
   */
  static AuthSettings from(EnvReader r) {
    return new AuthSettings(
        r.bool("AUTH", true),
        r.optionalString("JWKS"),
        r.optionalString("JWT_ISSUER"),
        r.optionalString("JWT_AUDIENCE"),
        r.millis("JWKS_REFRESH_MS", 300_000, 1_000, 86_400_000),
        r.millis("JWKS_REFRESH_FLOOR_MS", 30_000, 100, 3_600_000),
        r.seconds("JWT_CLOCK_SKEW_S", 30, 0, 300),
        r.integer("CLAIMS_CACHE_SIZE", 100_000, 100, 10_000_000),
        r.integer("AUTH_FAILURES_PER_MINUTE", 30, 1, 1_000_000),
        r.integer("AUTH_FAILURE_ADDRESSES", 100_000, 100, 10_000_000));
  }

  private static boolean isUrl(String jwks) {
    return jwks.startsWith("http://") || jwks.startsWith("https://");
  }

  /** A valid URL, or a readable file. */
  private static boolean usable(String jwks) {
    if (!isUrl(jwks)) {
      return Files.isReadable(Path.of(jwks));
    }
    try {
      URI.create(jwks).toURL();
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static String unusable(Optional<String> jwks) {
    String value = jwks.orElse("");
    return EnvReader.var("JWKS")
        + "="
        + value
        + (isUrl(value) ? " is not a valid URL" : " is not a readable file");
  }
}
