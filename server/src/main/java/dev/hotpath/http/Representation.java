package dev.hotpath.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AsciiString;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One encoded response body, ready to send many times: the JSON bytes, its strong validators and,
 * once a client asked for it, its gzip form. Immutable apart from that memoised gzip form, and safe
 * to share between event loops.
 *
 * <p>The entity tag is built by the caller from what identifies the content (resource, id, version,
 * fieldset), never by hashing the body; {@code opaqueTag} is its text without quotes, made of
 * letters, digits and {@code .:_-}. The gzip form is a different representation (RFC 9110 section
 * 8.8.3), so it carries the same tag with {@code .gz} appended; both name the same state, and
 * {@link Conditional} accepts either when revalidating.
 */
public final class Representation {
  /** {@link #lastModified()} of a representation that has no date (lists). */
  public static final long NO_DATE = Long.MIN_VALUE;

  /** {@link #owner()} of a representation that belongs to no customer. */
  public static final long NO_OWNER = 0;

  private final Buffer body;
  private final AsciiString etag;
  // made on first use: only a gzip answer or a request with If-None-Match reads it (AsciiString's
  // fields are final, so a racing first use at worst makes it twice)
  private @Nullable AsciiString gzipEtag;
  private final long lastModified;
  private final AsciiString lastModifiedHeader;
  private final Optional<String> nextCursor;
  private final int gzipLevel;
  private final long owner;
  private final Format format;
  private final String opaqueTag;
  private volatile Buffer gzip;

  /**
   * The body of the off-heap form ({@link #offHeap}) in a pooled direct buffer, else null. Its
   * references are counted here ({@link #refs}), not in the buffer: a pooled buffer's object is
   * recycled once released, so a stale reader could retain someone else's buffer, whereas this
   * object is never reused.
   */
  private final @Nullable ByteBuf direct;

  /** References to {@link #direct}: 1 when made, 0 once released (for good). */
  private volatile int refs;

  /** Direct bytes held by off-heap forms, which the owner of this one counts (else null). */
  private final @Nullable LongAdder held;

  /** The off-heap form a heap copy was made from ({@link #onHeap}): its gzip form is kept there. */
  private final @Nullable Representation origin;

  /**
   * The off-heap form made from this heap representation ({@link #offHeap}), if any: a gzip form
   * made here (the first request, answered with the loaded representation) is handed to it, so that
   * the cache's hits do not compress the body again. Holds no reference to its body.
   */
  private volatile @Nullable Representation keptAs;

  private static final AtomicIntegerFieldUpdater<Representation> REFS =
      AtomicIntegerFieldUpdater.newUpdater(Representation.class, "refs");

  private Representation(
      Buffer body,
      String opaqueTag,
      long lastModified,
      Optional<String> nextCursor,
      int gzipLevel,
      long owner,
      Format format) {
    this.body = body;
    this.etag = quoted(opaqueTag, "");
    this.lastModified = lastModified;
    this.lastModifiedHeader = lastModified == NO_DATE ? null : HttpDates.ascii(lastModified);
    this.nextCursor = nextCursor;
    this.gzipLevel = gzipLevel;
    this.owner = owner;
    this.format = format;
    this.opaqueTag = opaqueTag;
    this.direct = null;
    this.held = null;
    this.origin = null;
  }

  /**
   * {@code of} with another body: the off-heap form or a heap copy of it (see {@link #offHeap}).
   */
  private Representation(
      Representation of,
      Buffer body,
      @Nullable ByteBuf direct,
      @Nullable LongAdder held,
      @Nullable Representation origin) {
    this.body = body;
    this.etag = of.etag;
    this.gzipEtag = of.gzipEtag;
    this.lastModified = of.lastModified;
    this.lastModifiedHeader = of.lastModifiedHeader;
    this.nextCursor = of.nextCursor;
    this.gzipLevel = of.gzipLevel;
    this.owner = of.owner;
    this.format = of.format;
    this.opaqueTag = of.opaqueTag;
    this.direct = direct;
    this.held = held;
    this.origin = origin;
    this.refs = direct == null ? 0 : 1;
    if (origin == null) {
      this.gzip = of.gzip;
    }
  }

  /**
   * This representation with its body copied into a direct buffer of {@code allocator} (pooled),
   * for a cache to keep out of the Java heap: its bytes are never promoted to the old generation,
   * and freed (back to the pool) at once when the last reference goes. The form holds one
   * reference, which its keeper gives back with {@link #release()}; a reader takes its own with
   * {@link #acquire()} before it reads the body and gives it back once it has copied or written it.
   * {@code held} counts the direct bytes held until they are freed. A gzip form already made comes
   * along (it stays on the heap, as one made later: gzip is made on demand only).
   */
  public Representation offHeap(ByteBufAllocator allocator, LongAdder held) {
    ByteBuf source = content();
    int length = source.readableBytes();
    ByteBuf bytes = allocator.directBuffer(length, length);
    try {
      bytes.writeBytes(source, source.readerIndex(), length);
    } catch (RuntimeException e) {
      bytes.release();
      throw e;
    }
    held.add(length);
    Representation form = new Representation(this, BufferInternal.buffer(bytes), bytes, held, null);
    keptAs = form;
    return form;
  }

  /**
   * Whether this representation's body is off the heap ({@link #offHeap}); only such a
   * representation needs {@link #acquire()} and {@link #release()}.
   */
  public boolean isOffHeap() {
    return direct != null;
  }

  /**
   * Takes a reference to the body before reading it: true unless the body has been released already
   * (then it must not be read: the reader goes the way of a miss). Always true on the heap.
   */
  public boolean acquire() {
    if (direct == null) {
      return true;
    }
    while (true) {
      int r = refs;
      if (r == 0) {
        return false;
      }
      if (REFS.compareAndSet(this, r, r + 1)) {
        return true;
      }
    }
  }

  /**
   * Gives back a reference ({@link #acquire()}, or the one an off-heap form is made with); the last
   * one frees the body. Nothing on the heap.
   */
  public void release() {
    ByteBuf bytes = direct;
    if (bytes == null) {
      return;
    }
    int r = REFS.decrementAndGet(this);
    if (r == 0) {
      bytes.release();
      java.util.Objects.requireNonNull(held).add(-bytes.capacity());
    } else if (r < 0) {
      throw new io.netty.util.IllegalReferenceCountException(r + 1, -1);
    }
  }

  /** References held to an off-heap body (0 once freed, and always on the heap); for tests. */
  public int references() {
    return refs;
  }

  /**
   * A copy of this off-heap form's body on the heap, for readers that keep or hand on the
   * representation (Vert.x responses, HTTP/2, gRPC, gzip): the caller holds a reference while it
   * copies ({@link #acquire()}). Its gzip form is made and kept in this one. Itself on the heap.
   */
  public Representation onHeap() {
    ByteBuf bytes = direct;
    if (bytes == null) {
      return this;
    }
    int length = bytes.readableBytes();
    byte[] copy = new byte[length];
    bytes.getBytes(bytes.readerIndex(), copy);
    return new Representation(this, Buffer.buffer(copy), null, null, this);
  }

  /**
   * The body's bytes as a Netty buffer, not copied: the off-heap form's direct buffer (read it only
   * while holding a reference), else the heap buffer's. Its indexes must not be moved.
   */
  public ByteBuf content() {
    ByteBuf bytes = direct;
    return bytes != null ? bytes : ((BufferInternal) body).getByteBuf();
  }

  /**
   * A representation to keep and serve many times: the body is held in a buffer of its exact size
   * (copied there unless it is one already), and its gzip form (made on first demand) uses the
   * default level. {@code owner} is the customer it belongs to ({@link #NO_OWNER} for none):
   * whoever is served it from a cache must be allowed to see that customer's resources.
   *
   * @param lastModified seconds since the epoch, or {@link #NO_DATE}
   * @param nextCursor for a page, the cursor of the next one
   */
  public static Representation cached(
      Buffer body, String opaqueTag, long lastModified, Optional<String> nextCursor, long owner) {
    return json(exact(body), opaqueTag, lastModified, nextCursor, Compression.CACHED_LEVEL, owner);
  }

  /**
   * As {@link #cached(Buffer, String, long, Optional, long)}, a body already in {@code format}: its
   * entity tag is {@code opaqueTag} plus the format's suffix, the tag {@link #in} gives the same
   * state in that format, so a body written in that format from the rows and one encoded from the
   * JSON form are the same representation.
   */
  public static Representation cached(
      Format format,
      Buffer body,
      String opaqueTag,
      long lastModified,
      Optional<String> nextCursor,
      long owner) {
    return inFormat(
        format, exact(body), opaqueTag, lastModified, nextCursor, Compression.CACHED_LEVEL, owner);
  }

  /**
   * {@code body} in a buffer of its exact size: itself when it is one already (what {@link
   * JsonOutput#write} makes of a body that fits its generator's buffer), else one copy.
   */
  static Buffer exact(Buffer body) {
    int length = body.length();
    if (body instanceof BufferInternal internal) {
      ByteBuf bytes = internal.getByteBuf();
      if (bytes.hasArray() && bytes.array().length == length) {
        return body; // a heap buffer whose whole array is the body
      }
    }
    return Buffer.buffer(length).appendBuffer(body);
  }

  /**
   * A representation kept elsewhere (the shared cache level) and read back: its body and the gzip
   * form already made, so neither is encoded or compressed again here.
   */
  public static Representation restored(
      Buffer body,
      Buffer gzip,
      String opaqueTag,
      long lastModified,
      Optional<String> nextCursor,
      long owner,
      Format format) {
    Representation rep =
        new Representation(
            body, opaqueTag, lastModified, nextCursor, Compression.CACHED_LEVEL, owner, format);
    rep.gzip = gzip;
    return rep;
  }

  /** The entity tag's text without quotes, as given to {@link #cached}. */
  public String opaqueTag() {
    return opaqueTag;
  }

  /**
   * A representation built for one response (belonging to customer {@code owner}, or {@link
   * #NO_OWNER}); compressed, if at all, at the fastest level.
   */
  public static Representation oneOff(
      Buffer body, String opaqueTag, long lastModified, Optional<String> nextCursor, long owner) {
    return json(body, opaqueTag, lastModified, nextCursor, Compression.ONE_OFF_LEVEL, owner);
  }

  /**
   * As {@link #oneOff}, a body already in {@code format}: its entity tag is {@code opaqueTag} plus
   * the format's suffix, as {@link #in} gives the same state in that format.
   */
  public static Representation oneOff(
      Format format,
      Buffer body,
      String opaqueTag,
      long lastModified,
      Optional<String> nextCursor,
      long owner) {
    return inFormat(
        format, body, opaqueTag, lastModified, nextCursor, Compression.ONE_OFF_LEVEL, owner);
  }

  /** A body in {@code format}, its entity tag {@code opaqueTag} plus the format's suffix. */
  private static Representation inFormat(
      Format format,
      Buffer body,
      String opaqueTag,
      long lastModified,
      Optional<String> nextCursor,
      int gzipLevel,
      long owner) {
    return new Representation(
        body, opaqueTag + format.tagSuffix(), lastModified, nextCursor, gzipLevel, owner, format);
  }

  private static Representation json(
      Buffer body,
      String opaqueTag,
      long lastModified,
      Optional<String> nextCursor,
      int gzipLevel,
      long owner) {
    return new Representation(
        body, opaqueTag, lastModified, nextCursor, gzipLevel, owner, Format.JSON);
  }

  /**
   * The same state in another format: {@code body} encoded in {@code format}, with the same date,
   * cursor, owner and compression level, and an entity tag of its own (this one's plus the format's
   * suffix).
   */
  public Representation in(Format format, Buffer body) {
    return new Representation(
        body, opaqueTag + format.tagSuffix(), lastModified, nextCursor, gzipLevel, owner, format);
  }

  /** The format of {@link #body()}. */
  public Format format() {
    return format;
  }

  /**
   * The customer this representation belongs to, or {@link #NO_OWNER} for shared data (the
   * catalogue, lists only services may read).
   */
  public long owner() {
    return owner;
  }

  public Buffer body() {
    return body;
  }

  public int length() {
    return body.length();
  }

  /** The strong entity tag of the uncoded body, quotes included. */
  public AsciiString etag() {
    return etag;
  }

  /** The strong entity tag of the gzip-coded body, quotes included. */
  public AsciiString gzipEtag() {
    AsciiString tag = gzipEtag;
    if (tag == null) {
      tag = quoted(opaqueTag, ".gz");
      gzipEtag = tag;
    }
    return tag;
  }

  /**
   * {@code "tag suffix"} (quotes included) as header text, its bytes written once: the tag is ASCII
   * (letters, digits and {@code .:_-}), so each char is its byte.
   */
  private static AsciiString quoted(String tag, String suffix) {
    int n = tag.length();
    int m = suffix.length();
    byte[] b = new byte[n + m + 2];
    b[0] = '"';
    for (int i = 0; i < n; i++) {
      b[1 + i] = (byte) tag.charAt(i);
    }
    for (int i = 0; i < m; i++) {
      b[1 + n + i] = (byte) suffix.charAt(i);
    }
    b[n + m + 1] = '"';
    return new AsciiString(b, false);
  }

  /** Seconds since the epoch of the last change, or {@link #NO_DATE}. */
  public long lastModified() {
    return lastModified;
  }

  /** {@link #lastModified()} as an HTTP-date; only when it has one. */
  public AsciiString lastModifiedHeader() {
    return lastModifiedHeader;
  }

  public Optional<String> nextCursor() {
    return nextCursor;
  }

  /**
   * The gzip form, compressed on first call and kept: concurrent first calls wait for one
   * compression rather than each doing their own.
   */
  public Buffer gzip() {
    Representation keeper = origin != null ? origin : this;
    Buffer g = keeper.gzip;
    if (g == null) {
      Representation kept = keeper.keptAs;
      synchronized (keeper) {
        g = keeper.gzip;
        if (g == null && kept != null) {
          g = kept.gzip;
        }
        if (g == null) {
          // a heap copy compresses its own body into the off-heap form it was made from
          g = Compression.gzip(body, gzipLevel);
        }
        keeper.gzip = g;
      }
      if (kept != null && kept.gzip == null) {
        // the loaded representation's gzip form goes to the form the cache keeps
        kept.gzip = g;
      }
    }
    return g;
  }

  /** Whether {@link #gzip()} has been computed. */
  public boolean hasGzip() {
    return (origin != null ? origin : this).gzip != null;
  }

  /**
   * Approximate heap bytes held: the body, its gzip form (estimated at a quarter of the body
   * whether or not it has been made, since the weight is fixed when the entry is stored), the
   * validators and object overhead.
   */
  public int weight() {
    int n = body.length();
    return n + n / 4 + 2 * etag.length() + 256;
  }
}
