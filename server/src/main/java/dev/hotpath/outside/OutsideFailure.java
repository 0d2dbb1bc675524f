package dev.hotpath.outside;

import java.time.Duration;
import java.util.Optional;

/**
 * Why an outside call gave no usable answer. Expected on the hot path (a service down, a breaker
 * open), so created without a stack trace.
 */
public final class OutsideFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** The service's circuit breaker is open: no call was made. */
    BREAKER_OPEN(false),
    /** No answer within the time the request had left. */
    TIMEOUT(false),
    /** The connection failed, was refused or was closed mid-answer. */
    CONNECTION(true),
    /** Too many calls already wait for a connection to the service in this event loop. */
    POOL_BUSY(false),
    /** The service answered 5xx, 408 or 429. */
    STATUS(true),
    /** The service answered something that is not the documented shape. */
    MALFORMED(false),
    /** The service is not configured (its URL setting is empty). */
    NOT_CONFIGURED(false);

    private final boolean retryable;

    Kind(boolean retryable) {
      this.retryable = retryable;
    }

    /** Whether another attempt may succeed (idempotent calls only). */
    public boolean retryable() {
      return retryable;
    }
  }

  private final transient Service service;
  private final Kind kind;
  private final int status;
  private final transient Optional<Duration> retryAfter;

  OutsideFailure(
      Service service, Kind kind, int status, Optional<Duration> retryAfter, String why) {
    super(service.id() + ": " + why, null, false, false);
    this.service = service;
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }

  static OutsideFailure of(Service service, Kind kind, String why) {
    return new OutsideFailure(service, kind, 0, Optional.empty(), why);
  }

  public Service service() {
    return service;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, for {@link Kind#STATUS}; 0 otherwise. */
  public int status() {
    return status;
  }

  /** The service's {@code Retry-After}, when it sent one. */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }
}
