package dev.hotpath.store;

import java.util.concurrent.TimeoutException;

/**
 * A statement did not answer within the request's deadline; the request is answered without it.
 * Without a stack trace (an expected outcome while the database is slow or frozen). A {@link
 * TimeoutException}, so that the response cache does not log a failed load per request; never
 * thrown, only the failure of a future.
 */
public final class DatabaseTimeoutException extends TimeoutException {
  private static final long serialVersionUID = 1L;

  public DatabaseTimeoutException(String message) {
    super(message);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
