package dev.hotpath.http;

import io.vertx.core.buffer.Buffer;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip content coding: when to use it, and the coding itself. Thread-safe.
 *
 * <p>Compression runs on the event loop. Bodies are bounded (a page holds at most 100 rows, some 60
 * KiB at most), and at the levels used a 60 KiB body deflates in well under a millisecond, less
 * than encoding it cost; handing it to a worker thread would add two thread hops and, on a machine
 * with as many event loops as cores, no capacity. Cached representations are compressed at most
 * once ({@link Representation#gzip()} memoises the result), so they use the default level; bodies
 * built for one response use the fastest level, since they pay it on every request.
 */
public final class Compression {
  /** Level for bodies compressed once and served many times. */
  public static final int CACHED_LEVEL = Deflater.DEFAULT_COMPRESSION;

  /** Level for bodies compressed for one response. */
  public static final int ONE_OFF_LEVEL = Deflater.BEST_SPEED;

  private static final LongAdder COMPRESSIONS = new LongAdder();
  private static final ThreadLocal<Deflater[]> DEFLATERS =
      ThreadLocal.withInitial(() -> new Deflater[10]);
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[8192]);
  private static final byte[] HEADER = {
    0x1f, (byte) 0x8b, Deflater.DEFLATED, 0, 0, 0, 0, 0, 0, (byte) 0xff
  };

  private final int minBytes;

  /**
   * @param minBytes smallest body worth compressing; smaller ones go uncoded unless the client
   *     refuses identity
   */
  public Compression(int minBytes) {
    if (minBytes < 0) {
      throw new IllegalArgumentException("minBytes must not be negative, was " + minBytes);
    }
    this.minBytes = minBytes;
  }

  /**
   * Whether to send a body of {@code length} bytes gzip-coded, given the request's {@code
   * Accept-Encoding} (null when absent: no coding, as a client that says nothing may not decode
   * one). gzip is chosen when the client prefers it and the body is large enough, or when the
   * client refuses identity and accepts gzip.
   */
  public boolean useGzip(String acceptEncoding, int length) {
    if (acceptEncoding == null || acceptEncoding.isEmpty()) {
      return false;
    }
    AcceptEncoding accepted = AcceptEncoding.parse(acceptEncoding);
    if (accepted.effectiveGzip() <= 0) {
      return false;
    }
    return (length >= minBytes && accepted.prefersGzip()) || !accepted.identityAcceptable();
  }

  /** How many bodies this process has compressed: a cached one counts once. */
  public static long compressions() {
    return COMPRESSIONS.sum();
  }

  /**
   * {@code body} as a gzip member (RFC 1952) deflated at {@code level}, in a buffer of exactly its
   * size (cached forms stay in memory).
   */
  public static Buffer gzip(Buffer body, int level) {
    COMPRESSIONS.increment();
    byte[] input = body.getBytes();
    Deflater[] byLevel = DEFLATERS.get();
    int slot = level < 0 ? 6 : level;
    Deflater deflater = byLevel[slot];
    if (deflater == null) {
      deflater = new Deflater(level, true);
      byLevel[slot] = deflater;
    }
    byte[] out = SCRATCH.get();
    System.arraycopy(HEADER, 0, out, 0, HEADER.length);
    int pos = HEADER.length;
    try {
      deflater.setInput(input);
      deflater.finish();
      while (!deflater.finished()) {
        if (pos == out.length) {
          out = grow(out);
        }
        pos += deflater.deflate(out, pos, out.length - pos);
      }
    } finally {
      deflater.reset();
    }
    if (out.length - pos < 8) {
      out = grow(out);
    }
    CRC32 crc = new CRC32();
    crc.update(input);
    putIntLe(out, pos, (int) crc.getValue());
    putIntLe(out, pos + 4, input.length);
    return Buffer.buffer(Arrays.copyOf(out, pos + 8));
  }

  private static byte[] grow(byte[] scratch) {
    byte[] bigger = Arrays.copyOf(scratch, scratch.length * 2);
    SCRATCH.set(bigger);
    return bigger;
  }

  private static void putIntLe(byte[] b, int at, int v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }
}
