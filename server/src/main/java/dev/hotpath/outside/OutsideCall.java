package dev.hotpath.outside;

import dev.hotpath.http.Deadline;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.Optional;

/**
 * One call to an outside service, as {@link OutsideClient#call} sends it.
 *
 * @param service which service
 * @param method HTTP method
 * @param path path and query, relative to the service's base URL
 * @param body JSON body, when there is one
 * @param idempotencyKey the service's {@code Idempotency-Key}, when the call has one
 * @param deadline when the caller stops waiting
 * @param maxAttempts attempts in all (1: never retried)
 * @param hedge whether the call may be hedged (the service must allow it too)
 */
public record OutsideCall(
    Service service,
    HttpMethod method,
    String path,
    Optional<Buffer> body,
    Optional<String> idempotencyKey,
    Deadline deadline,
    int maxAttempts,
    boolean hedge) {
  /** An idempotent read, retried and hedged as the settings allow. */
  public static OutsideCall read(Service service, String path, Deadline deadline, int maxAttempts) {
    return new OutsideCall(
        service,
        HttpMethod.GET,
        path,
        Optional.empty(),
        Optional.empty(),
        deadline,
        maxAttempts,
        true);
  }

  /** A POST made idempotent by the service's {@code key}. */
  public static OutsideCall post(
      Service service, String path, Buffer body, String key, Deadline deadline, int attempts) {
    return new OutsideCall(
        service,
        HttpMethod.POST,
        path,
        Optional.of(body),
        Optional.of(key),
        deadline,
        attempts,
        false);
  }
}
