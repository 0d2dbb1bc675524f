package dev.hotpath.store;

/**
 * The database cannot be reached: its circuit breaker is open, so the statement was not sent.
 * Created without a stack trace: while the database is down this is the expected answer to every
 * request that needs it.
 */
public final class DatabaseUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DatabaseUnavailableException(String message) {
    super(message, null, false, false);
  }
}
