package dev.hotpath.store;

import dev.hotpath.observe.CurrentContext;
import io.vertx.core.spi.context.storage.ContextLocal;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * What one request needs of a replica and what it wrote, for read-your-writes: the primary's WAL
 * position a replica must have replayed before it may answer this request's reads (the client's own
 * last write, carried back by its cookie), and the position of this request's own writes, for the
 * response to hand back. Bound to the request's Vert.x context by the edge ({@link #bind}), read by
 * {@link Statements} and raised by {@link GuardedPool}. One event loop.
 */
public final class ReadFloor {
  private static final ContextLocal<ReadFloor> LOCAL = ContextLocal.registerLocal(ReadFloor.class);

  private final long needed;
  private final java.util.function.LongConsumer onWrite;
  private long written;

  private ReadFloor(long needed, java.util.function.LongConsumer onWrite) {
    this.needed = needed;
    this.onWrite = onWrite;
  }

  /** Registers the context local; call before the first Vertx instance is built. */
  public static void init() {}

  /**
   * Binds a floor to the request on the current context: {@code needed} is the position the
   * client's reads must see (0: none); {@code onWrite} is told the position after each of the
   * request's writes, before the request answers (the edge hands it to the client).
   */
  public static ReadFloor bind(long needed, java.util.function.LongConsumer onWrite) {
    ReadFloor floor = new ReadFloor(needed, onWrite);
    CurrentContext.put(LOCAL, floor);
    return floor;
  }

  /** The floor of the request on the current context, or null when there is none. */
  static ReadFloor current() {
    return CurrentContext.get(LOCAL);
  }

  /** The position this request's reads must see: its client's last write, or its own. */
  long needed() {
    return Math.max(needed, written);
  }

  /** Records that this request wrote, and the primary was at {@code lsn} once it committed. */
  void wrote(long lsn) {
    if (lsn > written) {
      written = lsn;
      onWrite.accept(lsn);
    }
  }

  /** {@code lsn} as PostgreSQL prints it ({@code 16/B374D848}). */
  public static String format(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT)
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
  }

  /** Parses a position as PostgreSQL prints it; empty when {@code text} is not one. */
  public static OptionalLong parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 1 || slash > 8 || text.length() - slash - 1 < 1 || text.length() - slash > 9) {
      return OptionalLong.empty();
    }
    if (text.indexOf('+') >= 0 || text.indexOf('-') >= 0) {
      return OptionalLong.empty();
    }
    try {
      long high = Long.parseLong(text, 0, slash, 16);
      long low = Long.parseLong(text, slash + 1, text.length(), 16);
      return OptionalLong.of(high << 32 | low);
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
