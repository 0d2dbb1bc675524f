package dev.hotpath.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.MDC;
import org.slf4j.Marker;

/**
 * Puts the running request's {@code request_id} and {@code trace_id} into every log line written
 * while it runs. An event loop interleaves many requests, so the ids are set from the current
 * Vert.x context at each logging call (where the event captures them), never left for the next.
 */
public final class TraceIdsInLogs extends TurboFilter {
  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (logger == null || level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    var trace = Tracing.current();
    if (trace.isPresent()) {
      MDC.put("request_id", trace.get().requestId());
      MDC.put("trace_id", trace.get().traceId());
    } else if (MDC.get("request_id") != null) {
      MDC.remove("request_id");
      MDC.remove("trace_id");
    }
    return FilterReply.NEUTRAL;
  }
}
