package dev.hotpath.observe;

import dev.hotpath.config.AccessLogSettings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
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
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request. The line is built by hand on the event loop (no field map, no boxing),
 * queued without locks, and written in batches by one background thread every 50 ms. Measured here,
 * handing each line to an async logging appender cost about 6 microseconds of CPU per request (a
 * lock and a thread wake-up per line); this costs a queue append. When the writer falls more than
 * {@link #MAX_PENDING} lines or {@link #MAX_PENDING_BYTES} behind, lines are dropped and counted,
 * never waited for.
 *
 * <p>The log is bounded three ways (an unbounded one reached 11 GB here over a few benchmark
 * sittings and filled the disk). Size: a file is rotated before a line would take it past {@code
 * maxBytes / maxFiles} ({@code NAME} becomes {@code NAME.1}, older ones shift up, the one past
 * {@code maxFiles} is deleted), so the files together never pass {@code maxBytes}. Age: the file
 * being written is rotated once it is {@code maxAge} old, and a rotated file whose newest line is
 * older than that is deleted. Rate: a route past {@code sampleAbove} lines a second writes one in
 * {@code sampleOneIn} of its successful fast requests, each written one carrying {@code
 * "sample":n}, the requests it stands for ({@link AccessSampler}); metrics still count every
 * request. Rotation and deletion run on the writer thread, never on an event loop.
 */
public final class AccessLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  static final int MAX_PENDING = 200_000;

  /**
   * Bound on the characters of the lines waiting (a line's characters are its bytes but for non-
   * ASCII in a path or a User-Agent): 16 MiB, a few seconds of lines at full speed, whatever their
   * length.
   */
  static final long MAX_PENDING_BYTES = 16L << 20;

  private static final CharSequence IDEMPOTENCY_KEY =
      HttpHeaders.createOptimized("Idempotency-Key");

  private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong pendingBytes =
      new java.util.concurrent.atomic.AtomicLong();
  private final LongAdder dropped = new LongAdder();
  private final AccessSampler sampler;
  private final Map<String, Long> slowNanosByClass;
  private final Path path;
  private final long fileBytes;
  private final int keep;
  private final long maxAgeMillis;
  private final LongSupplier millisClock;

  /** Null after a failed write until the file is opened again. */
  private @Nullable OutputStream out;

  private long written;

  /** Lines in the stream's buffer, not yet flushed. */
  private int unflushed;

  /** Writing failed and has not succeeded since. */
  private boolean failing;

  private long startedMillis;
  private long agesCheckedMillis = Long.MIN_VALUE / 2;
  private final ScheduledExecutorService writer;

  /**
   * Where the log goes on from when it opens: its stream, its file (null for stdout), the bytes the
   * file already holds and when the file was started (epoch milliseconds).
   */
  private record Opened(OutputStream out, Path path, long written, long startedMillis) {}

  private AccessLog(
      Opened opened,
      AccessLogSettings settings,
      Map<String, Duration> slowByClass,
      LongSupplier millisClock,
      LongSupplier nanoClock) {
    this.out = opened.out();
    this.path = opened.path();
    this.written = opened.written();
    this.startedMillis = opened.startedMillis();
    this.fileBytes = settings.maxBytes() / settings.maxFiles();
    this.keep = settings.maxFiles() - 1;
    this.maxAgeMillis = settings.maxAge().toMillis();
    this.millisClock = millisClock;
    this.sampler = new AccessSampler(settings.sampleAbove(), settings.sampleOneIn(), nanoClock);
    Map<String, Long> slow = new HashMap<>();
    slowByClass.forEach((k, v) -> slow.put(k, v.toNanos()));
    this.slowNanosByClass = Map.copyOf(slow);
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
   * Opens the access log of {@code settings}, or returns null when it is {@code off}. {@code
   * slowByClass} is the latency past which a request of a route class is slow (always written).
   *
   * @throws IllegalStateException naming the file when it cannot be opened
   */
  public static AccessLog open(AccessLogSettings settings, Map<String, Duration> slowByClass) {
    return open(settings, slowByClass, System::currentTimeMillis, System::nanoTime);
  }

  static AccessLog open(
      AccessLogSettings settings,
      Map<String, Duration> slowByClass,
      LongSupplier millisClock,
      LongSupplier nanoClock) {
    String target = settings.target();
    if (!settings.enabled()) {
      return null;
    }
    try {
      if ("stdout".equals(target)) {
        return new AccessLog(
            new Opened(
                new BufferedOutputStream(System.out, 1 << 18), null, 0, millisClock.getAsLong()),
            settings,
            slowByClass,
            millisClock,
            nanoClock);
      }
      Path path = Path.of(target).toAbsolutePath();
      if (path.getParent() != null) {
        Files.createDirectories(path.getParent());
      }
      long existing = 0;
      long started = millisClock.getAsLong();
      if (Files.exists(path)) {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        existing = attributes.size();
        started = Math.min(started, attributes.creationTime().toMillis());
      }
      return new AccessLog(
          new Opened(append(path), path, existing, started),
          settings,
          slowByClass,
          millisClock,
          nanoClock);
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

  /** Shifts NAME.1..NAME.(keep-1) up by one, NAME to NAME.1, and starts a new NAME. */
  private void rotate() throws IOException {
    out.flush();
    unflushed = 0;
    out.close();
    Files.deleteIfExists(rotated(keep + 1));
    if (keep == 0) {
      Files.deleteIfExists(path);
    } else {
      Files.deleteIfExists(rotated(keep));
      for (int i = keep - 1; i >= 1; i--) {
        if (Files.exists(rotated(i))) {
          Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
    }
    out = append(path);
    written = 0;
    startedMillis = millisClock.getAsLong();
  }

  private Path rotated(int n) {
    return path.resolveSibling(path.getFileName() + "." + n);
  }

  /**
   * Once a second at most: rotates the file being written when it is {@code maxAge} old, and
   * deletes rotated files whose newest line is older than that.
   */
  private void enforceAge() throws IOException {
    long now = millisClock.getAsLong();
    if (path == null || now - agesCheckedMillis < 1_000) {
      return;
    }
    agesCheckedMillis = now;
    if (written > 0 && now - startedMillis >= maxAgeMillis) {
      rotate();
    }
    for (int i = 1; i <= keep; i++) {
      Path old = rotated(i);
      if (Files.exists(old) && now - Files.getLastModifiedTime(old).toMillis() >= maxAgeMillis) {
        Files.deleteIfExists(old);
      }
    }
  }

  long dropped() {
    return dropped.sum();
  }

  /** Lines queued and not yet written. */
  int pending() {
    return size.get();
  }

  /** Lines left out by sampling (their requests are counted by the lines written). */
  long sampledOut() {
    return sampler.leftOut();
  }

  void write(RequestTrace t, HttpServerResponse response, int status, long nanos) {
    int weight = weigh(t, status, nanos);
    if (weight > 0) {
      queue(line(t, response, status, nanos, weight));
    }
  }

  /**
   * As {@link #write(RequestTrace, HttpServerResponse, int, long)}, for a GET answered below Vert.x
   * (no request or response object): the same line from the request's own values.
   */
  void write(RequestTrace t, Exchange exchange, int status, long nanos) {
    int weight = weigh(t, status, nanos);
    if (weight > 0) {
      StringBuilder sb = start();
      string(sb, "method", "GET");
      string(sb, "path", exchange.path());
      string(sb, "client", exchange.client());
      string(sb, "user_agent", exchange.header("User-Agent"));
      string(sb, "content_type", exchange.header("Content-Type"));
      string(sb, "idem_key", shortHash(exchange.header("Idempotency-Key")));
      queue(rest(sb, t, status, nanos, exchange.bytesWritten(), weight));
    }
  }

  /**
   * What the access log and the request's metrics read of an exchange answered below Vert.x: its
   * path, its client's address, a request header, the body bytes written.
   */
  public interface Exchange {
    String path();

    String client();

    String header(String name);

    long bytesWritten();
  }

  /** The weight the line of a request would be written with, 0 when none is (taken a place). */
  private int weigh(RequestTrace t, int status, long nanos) {
    int weight = sampler.weigh(t.route, sampleable(t, status, nanos));
    if (weight == 0) {
      return 0;
    }
    if (size.incrementAndGet() > MAX_PENDING) {
      size.decrementAndGet();
      dropped.increment();
      return 0;
    }
    return weight;
  }

  /** Successful, not slower than its class's objective, and not carrying an idempotency key. */
  private boolean sampleable(RequestTrace t, int status, long nanos) {
    if (status < 200 || status >= 400) {
      return false;
    }
    Long slow = slowNanosByClass.get(t.routeClass);
    if (slow != null && nanos > slow) {
      return false;
    }
    // only unsafe methods carry an idempotency key: a GET needs no header lookup
    return t.request == null
        || t.request.method() == HttpMethod.GET
        || t.request.getHeader(IDEMPOTENCY_KEY) == null;
  }

  /** Queues a finished line (tests). */
  void enqueue(String line) {
    size.incrementAndGet();
    queue(line);
  }

  /** Queues a line that has its place in {@link #size}, unless the lines waiting are too large. */
  private void queue(String line) {
    if (pendingBytes.addAndGet(line.length()) > MAX_PENDING_BYTES) {
      pendingBytes.addAndGet(-line.length());
      size.decrementAndGet();
      dropped.increment();
      return;
    }
    pending.add(line);
  }

  /**
   * Writes what is queued; runs on the writer thread (and once more on close). A line leaves the
   * queue once it is in the stream's buffer. A write, flush or rotation that fails (a full disk, a
   * directory gone or read-only) closes the file: the lines still queued wait, those in the lost
   * buffer are counted as dropped, and the next drain opens the file again (one WARN when writing
   * stops, one INFO when it starts again, not one per drain).
   */
  synchronized void drain() {
    if (out == null && !reopen()) {
      return;
    }
    try {
      String line;
      while ((line = pending.peek()) != null) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        if (path != null && written > 0 && written + bytes.length + 1 > fileBytes) {
          rotate();
        }
        out.write(bytes);
        out.write('\n');
        pending.poll();
        size.decrementAndGet();
        pendingBytes.addAndGet(-line.length());
        unflushed++;
        written += bytes.length + 1;
      }
      if (unflushed > 0) {
        out.flush();
        unflushed = 0;
        if (failing) {
          failing = false;
          log.info("access log writing again");
        }
      }
      enforceAge();
    } catch (IOException e) {
      failed(e);
    }
  }

  /** A write failed: the buffer's lines are lost (counted), the file is opened again next time. */
  private void failed(IOException e) {
    dropped.add(unflushed);
    unflushed = 0;
    if (!failing) {
      failing = true;
      log.warn(
          "access log write failed ({}): lines wait, up to {} or {} bytes, until it can write again",
          e.toString(),
          MAX_PENDING,
          MAX_PENDING_BYTES);
    }
    if (path != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // what it held is counted as dropped
      }
      out = null;
    }
  }

  /** Opens the file again after a failure; false while it cannot. */
  private boolean reopen() {
    try {
      long existing = Files.exists(path) ? Files.size(path) : 0;
      out = append(path);
      written = existing;
      if (existing == 0) {
        startedMillis = millisClock.getAsLong();
      } else if (!endsWithNewline(path, existing)) {
        out.write('\n'); // a line cut short by the failure is not joined to the next one
        written++;
      }
      return true;
    } catch (IOException e) {
      out = null;
      return false;
    }
  }

  private static boolean endsWithNewline(Path path, long size) throws IOException {
    try (var channel = Files.newByteChannel(path, StandardOpenOption.READ)) {
      var last = java.nio.ByteBuffer.allocate(1);
      channel.position(size - 1).read(last);
      return last.get(0) == '\n';
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
    if (out == null) {
      return;
    }
    try {
      out.flush();
      if (path != null) {
        out.close();
      }
    } catch (IOException e) {
      log.warn("access log close failed: {}", e.toString());
    }
  }

  static String line(
      RequestTrace t, HttpServerResponse response, int status, long nanos, int weight) {
    StringBuilder sb = start();
    HttpServerRequest request = t.request;
    if (request != null) {
      string(sb, "method", request.method().name());
      string(sb, "path", request.path());
      string(sb, "client", request.remoteAddress() == null ? null : ClientAddress.of(request));
      string(sb, "user_agent", request.getHeader("User-Agent"));
      string(sb, "content_type", request.getHeader("Content-Type"));
      string(sb, "idem_key", shortHash(request.getHeader("Idempotency-Key")));
    }
    return rest(sb, t, status, nanos, response.bytesWritten(), weight);
  }

  /** A line's beginning: its time. */
  private static StringBuilder start() {
    StringBuilder sb = new StringBuilder(384);
    sb.append("{\"ts\":\"");
    timestamp(sb, System.currentTimeMillis());
    sb.append('"');
    return sb;
  }

  /** A line's fields after the request's own: the route, the outcome, the trace. */
  private static String rest(
      StringBuilder sb, RequestTrace t, int status, long nanos, long bytes, int weight) {
    string(sb, "route", t.route);
    sb.append(",\"status\":").append(status);
    sb.append(",\"duration_ms\":").append(nanos / 1_000_000.0);
    sb.append(",\"bytes\":").append(bytes);
    string(sb, "request_id", t.requestId());
    string(sb, "trace_id", t.traceId());
    string(sb, "cache", t.cache == null ? "-" : t.cache);
    sb.append(",\"db_queries\":").append(t.dbQueries);
    sb.append(",\"limited\":").append(t.limited);
    sb.append(",\"shed\":").append(t.shed);
    if (t.problem != null) {
      string(sb, "problem", t.problem);
    }
    if (weight > 1) {
      sb.append(",\"sample\":").append(weight);
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

  /**
   * A short, non-reversible tag of a header value, so retries can be grouped without logging it.
   */
  static String shortHash(String value) {
    if (value == null) {
      return null;
    }
    java.security.MessageDigest sha = SHA256.get();
    sha.reset();
    byte[] digest = sha.digest(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return java.util.HexFormat.of().formatHex(digest, 0, 6);
  }

  /** This thread's digest for {@link #shortHash}: getInstance per line cost more than the hash. */
  private static final ThreadLocal<java.security.MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
              throw new IllegalStateException(e);
            }
          });
}
