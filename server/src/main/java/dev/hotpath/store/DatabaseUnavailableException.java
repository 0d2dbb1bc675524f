package dev.hotpath.store;

import java.util.concurrent.CancellationException;

/**
 * The database cannot be reached: its circuit breaker is open, so the statement was not sent.
 * Without a stack trace: while the database is down this is the expected answer to every request
 * that needs it. A {@link CancellationException} (the statement was called off before it was sent),
 * so that the response cache does not log a failed load per request.
 */
public final class DatabaseUnavailableException extends CancellationException {
  private static final long serialVersionUID = 1L;

  public DatabaseUnavailableException(String message) {
    super(message);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
