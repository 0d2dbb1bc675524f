package dev.hotpath.config;

import java.time.Duration;

/**
 * Back-pressure below HTTP: what the server does with its connections while admission is saturated
 * (every request slot taken), so that excess load is left unread in the clients' sockets instead of
 * being parsed and answered.
 *
 * @param enabled whether connections are paused, and HTTP/2 streams held with their connections
 *     unread, while saturated; off: every request is read and refused with a 503 as before
 * @param pauseMax the longest an HTTP/1.x connection stays paused: then its next request is read
 *     (and admitted, queued or refused as any other), so a probe on a paused keep-alive connection
 *     is answered within this bound even if the server stays saturated; and the longest an HTTP/1.x
 *     request or HTTP/2 stream that found no slot for its class is held before it is refused
 * @param saturatedStreams the {@code SETTINGS_MAX_CONCURRENT_STREAMS} an HTTP/2 connection is
 *     lowered to after one of its streams was held or refused; raised again step by step while
 *     admission has room
 */
public record BackpressureSettings(boolean enabled, Duration pauseMax, int saturatedStreams) {
  public BackpressureSettings {
    new Rules()
        .positive("BACKPRESSURE_PAUSE_MS", pauseMax)
        .atLeast("BACKPRESSURE_H2_STREAMS", saturatedStreams, 0)
        .enforce();
  }

  /** HOTPATH_BACKPRESSURE (on), HOTPATH_BACKPRESSURE_PAUSE_MS, HOTPATH_BACKPRESSURE_H2_STREAMS. */
  static BackpressureSettings from(EnvReader r) {
    return new BackpressureSettings(
        r.bool("BACKPRESSURE", true),
        r.millis("BACKPRESSURE_PAUSE_MS", 100, 1, 600_000),
        r.integer("BACKPRESSURE_H2_STREAMS", 1, 0, 1000));
  }
}
