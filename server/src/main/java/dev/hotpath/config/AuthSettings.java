package dev.hotpath.config;

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
    int trackedAddresses) {}
