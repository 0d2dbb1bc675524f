package dev.hotpath.config;

import java.time.Duration;

/**
 * Where the access log goes and how big it may grow.
 *
 * @param target a file path (appended to), {@code stdout}, or {@code off}
 * @param maxBytes bound on the file and its rotated copies together; each file is rotated before it
 *     would pass {@code maxBytes / maxFiles}
 * @param maxFiles files kept, the one being written included ({@code NAME}, {@code NAME.1} ...)
 * @param maxAge the file being written is rotated once it is this old; a rotated file is deleted
 *     once its newest line is this old, so a line lives between one and two {@code maxAge}
 * @param sampleAbove lines per second per route written in full; above it, successful requests
 *     faster than their class's p99 objective are sampled (errors, slow requests and requests with
 *     an {@code Idempotency-Key} are always written)
 * @param sampleOneIn of the sampled requests, one in this many is written, carrying {@code
 *     "sample":n} (the requests it stands for); 1 writes every line
 */
public record AccessLogSettings(
    String target, long maxBytes, int maxFiles, Duration maxAge, int sampleAbove, int sampleOneIn) {
  public AccessLogSettings {
    new Rules()
        .atLeast("ACCESS_LOG_MAX_FILES", maxFiles, 1)
        .require(
            maxBytes >= maxFiles,
            EnvReader.var("ACCESS_LOG_MAX_BYTES")
                + " must allow a byte per file ("
                + maxFiles
                + ")")
        .positive("ACCESS_LOG_MAX_AGE_H", maxAge)
        .atLeast("ACCESS_LOG_SAMPLE_ABOVE", sampleAbove, 0)
        .atLeast("ACCESS_LOG_SAMPLE_ONE_IN", sampleOneIn, 1)
        .enforce();
  }

  /** No access log at all. */
  public static AccessLogSettings off() {
    return new AccessLogSettings("off", 1, 1, Duration.ofDays(1), 0, 1);
  }

  public boolean enabled() {
    return !"off".equals(target);
  }

  /**
   * HOTPATH_ACCESS_LOG and its bounds: HOTPATH_ACCESS_LOG_MAX_BYTES (512 MiB),
   * HOTPATH_ACCESS_LOG_MAX_FILES (5), HOTPATH_ACCESS_LOG_MAX_AGE_H (168),
   * HOTPATH_ACCESS_LOG_SAMPLE_ABOVE (100 lines/s per route), HOTPATH_ACCESS_LOG_SAMPLE_ONE_IN
   * (100).
   */
  static AccessLogSettings from(EnvReader r) {
    int maxFiles = r.integer("ACCESS_LOG_MAX_FILES", 5, 1, 1000);
    return new AccessLogSettings(
        r.string("ACCESS_LOG", "data/access.log"),
        maxBytes(r, maxFiles),
        maxFiles,
        Duration.ofHours(r.integer("ACCESS_LOG_MAX_AGE_H", 168, 1, 24 * 3650)),
        r.integer("ACCESS_LOG_SAMPLE_ABOVE", 100, 0, 10_000_000),
        r.integer("ACCESS_LOG_SAMPLE_ONE_IN", 100, 1, 1_000_000));
  }

  private static long maxBytes(EnvReader r, int maxFiles) {
    String name = EnvReader.var("ACCESS_LOG_MAX_BYTES");
    long fallback = 512L << 20;
    String value = r.string("ACCESS_LOG_MAX_BYTES", Long.toString(fallback));
    long min = 1024L * maxFiles;
    try {
      long bytes = Long.parseLong(value);
      if (bytes < min) {
        r.fail(name + "=" + value + " must be at least 1024 bytes per file (" + min + ")");
        return fallback;
      }
      return bytes;
    } catch (NumberFormatException e) {
      r.fail(name + "=" + value + " is not a whole number of bytes");
      return fallback;
    }
  }
}
