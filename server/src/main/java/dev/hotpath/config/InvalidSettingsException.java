package dev.hotpath.config;

/** Thrown when one or more settings are invalid; the message names every one of them. */
public final class InvalidSettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvalidSettingsException(String message) {
    super(message, null, false, false);
  }
}
