package dev.hotpath.store;

/**
 * A statement did not answer within the request's deadline; the request is answered without it.
 * Created without a stack trace (an expected outcome while the database is slow or frozen).
 */
public final class DatabaseTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DatabaseTimeoutException(String message) {
    super(message, null, false, false);
  }
}
