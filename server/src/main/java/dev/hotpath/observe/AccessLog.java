package dev.hotpath.observe;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request. The line is built by hand on the event loop (no field map, no boxing),
 * queued without locks, and written in batches by one background thread every 50 ms. Measured here,
 * handing each line to an async logging appender cost about 6 microseconds of CPU per request (a
 * lock and a thread wake-up per line); this costs a queue append. When the writer falls more than
 * {@link #MAX_PENDING} lines behind, lines are dropped and counted, never waited for.
 *
 * <p>A file log is rotated by size on the writer thread: past {@link #ROTATE_BYTES} the file is
 * renamed to {@code NAME.1} (older ones shift up to {@code NAME.}{@value #KEEP}, the oldest is
 * deleted) and a new file is started, so the log never holds more than about {@code (KEEP + 1) x
 * 256 MiB}. (An unrotated log reached 11 GB here over a few benchmark sittings and filled the
 * disk.)
 */
public final class AccessLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  static final int MAX_PENDING = 200_000;
  static final long ROTATE_BYTES = 256L << 20;
  static final int KEEP = 4;

  private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final LongAdder dropped = new LongAdder();
  private final Path path;
  private final long rotateBytes;
  private OutputStream out;
  private long written;
  private final ScheduledExecutorService writer;

  private AccessLog(OutputStream out, Path path, long rotateBytes, long written) {
    this.out = out;
    this.path = path;
    this.rotateBytes = rotateBytes;
    this.written = written;
    this.writer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "access-log");
              t.setDaemon(true);
              return t;
            });
    writer.scheduleWithFixedDelay(this::drain, 50, 50, TimeUnit.MILLISECONDS);
  }

  /**
   * Opens the access log at {@code target}: a file path (appended to), {@code stdout}, or {@code
   * off} (nothing written).
   */
  public static AccessLog open(String target) {
    return open(target, ROTATE_BYTES);
  }

  static AccessLog open(String target, long rotateBytes) {
    if ("off".equals(target)) {
      return null;
    }
    try {
      if ("stdout".equals(target)) {
        return new AccessLog(new BufferedOutputStream(System.out, 1 << 18), null, 0, 0);
      }
      Path path = Path.of(target).toAbsolutePath();
      if (path.getParent() != null) {
        Files.createDirectories(path.getParent());
      }
      long existing = Files.exists(path) ? Files.size(path) : 0;
      return new AccessLog(append(path), path, rotateBytes, existing);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot open the access log " + target + ": " + e.getMessage(), e);
    }
  }

  private static OutputStream append(Path path) throws IOException {
    return new BufferedOutputStream(
        Files.newOutputStream(
            path, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
        1 << 18);
  }

  /** Shifts NAME.1..NAME.(KEEP-1) up by one, NAME to NAME.1, and starts a new NAME. */
  private void rotate() throws IOException {
    out.close();
    Files.deleteIfExists(rotated(KEEP));
    for (int i = KEEP - 1; i >= 1; i--) {
      if (Files.exists(rotated(i))) {
        Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
    out = append(path);
    written = 0;
  }

  private Path rotated(int n) {
    return path.resolveSibling(path.getFileName() + "." + n);
  }

  long dropped() {
    return dropped.sum();
  }

  void write(RequestTrace t, HttpServerResponse response, int status, long nanos) {
    if (size.incrementAndGet() > MAX_PENDING) {
      size.decrementAndGet();
      dropped.increment();
      return;
    }
    pending.add(line(t, response, status, nanos));
  }

  /** Queues a finished line (tests). */
  void enqueue(String line) {
    size.incrementAndGet();
    pending.add(line);
  }

  private void drain() {
    try {
      String line;
      int n = 0;
      while ((line = pending.poll()) != null) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        out.write(bytes);
        out.write('\n');
        written += bytes.length + 1;
        n++;
      }
      if (n > 0) {
        size.addAndGet(-n);
        out.flush();
        if (path != null && written >= rotateBytes) {
          rotate();
        }
      }
    } catch (IOException e) {
      log.warn("access log write failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    writer.shutdown();
    try {
      writer.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    drain();
  }

  static String line(RequestTrace t, HttpServerResponse response, int status, long nanos) {
    StringBuilder sb = new StringBuilder(384);
    sb.append("{\"ts\":\"");
    timestamp(sb, System.currentTimeMillis());
    sb.append('"');
    HttpServerRequest request = t.request;
    if (request != null) {
      string(sb, "method", request.method().name());
      string(sb, "path", request.path());
      string(
          sb,
          "client",
          request.remoteAddress() == null ? null : request.remoteAddress().hostAddress());
      string(sb, "user_agent", request.getHeader("User-Agent"));
      string(sb, "content_type", request.getHeader("Content-Type"));
      string(sb, "idem_key", Observability.shortHash(request.getHeader("Idempotency-Key")));
    }
    string(sb, "route", t.route);
    sb.append(",\"status\":").append(status);
    sb.append(",\"duration_ms\":").append(nanos / 1_000_000.0);
    sb.append(",\"bytes\":").append(response.bytesWritten());
    string(sb, "request_id", t.requestId);
    string(sb, "trace_id", t.traceId);
    string(sb, "cache", t.cache == null ? "-" : t.cache);
    sb.append(",\"db_queries\":").append(t.dbQueries);
    sb.append(",\"limited\":").append(t.limited);
    sb.append(",\"shed\":").append(t.shed);
    if (t.problem != null) {
      string(sb, "problem", t.problem);
    }
    return sb.append('}').toString();
  }

  /** The second's text, formatted once per second and shared: "2026-11-22T07:20:53". */
  private record Second(long epochSecond, String text) {}

  private static volatile Second second = new Second(-1, "");

  /** RFC 3339 with milliseconds, in UTC, without formatting a date per request. */
  static void timestamp(StringBuilder sb, long millis) {
    long epochSecond = Math.floorDiv(millis, 1000);
    Second s = second;
    if (s.epochSecond != epochSecond) {
      String text = Instant.ofEpochSecond(epochSecond).toString();
      s = new Second(epochSecond, text.substring(0, text.length() - 1));
      second = s;
    }
    int ms = (int) Math.floorMod(millis, 1000);
    sb.append(s.text)
        .append('.')
        .append((char) ('0' + ms / 100))
        .append((char) ('0' + ms / 10 % 10))
        .append((char) ('0' + ms % 10))
        .append('Z');
  }

  /** Most values (paths, ids, user agents) need no escaping: append them whole. */
  private static boolean plain(String value) {
    for (int i = 0, n = value.length(); i < n; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x2028) {
        return false;
      }
    }
    return true;
  }

  private static void string(StringBuilder sb, String name, String value) {
    sb.append(",\"").append(name).append("\":");
    if (value == null) {
      sb.append("null");
      return;
    }
    sb.append('"');
    if (plain(value)) {
      sb.append(value).append('"');
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append("\\u00").append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
