package dev.hotpath.observe;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Libraries that log through {@code java.util.logging} (grpc-java) log into the server's JSON log
 * like everything else, instead of as plain text lines on stderr that a log pipeline cannot parse.
 * logback's {@code LevelChangePropagator} (logback.xml) keeps java.util.logging's levels equal to
 * logback's, so a record below its logger's level costs nothing.
 */
public final class LibraryLogs {
  private LibraryLogs() {}

  /** Routes java.util.logging into SLF4J, once per process. */
  public static synchronized void route() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }
}
