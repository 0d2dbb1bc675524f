package dev.hotpath.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts Vert.x's blocked-thread warnings (an event loop held longer than it may be) over the whole
 * test run, so that fault tests can assert that no event loop was blocked.
 */
public final class BlockedLoops extends AppenderBase<ILoggingEvent> {
  private static final AtomicLong warnings = new AtomicLong();

  @Override
  protected void append(ILoggingEvent event) {
    warnings.incrementAndGet();
  }

  /** Blocked-thread warnings so far. */
  public static long count() {
    return warnings.get();
  }
}
