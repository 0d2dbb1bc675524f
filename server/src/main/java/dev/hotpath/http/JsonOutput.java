package dev.hotpath.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Streams JSON straight into a Vert.x {@link Buffer}: no tree, no intermediate String. The factory
 * is shared and thread-safe; each call gets its own generator.
 */
public final class JsonOutput {
  public static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY =
      JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build();

  private JsonOutput() {}

  /** Something that writes one JSON value with a generator. */
  @FunctionalInterface
  public interface Writer {
    void write(JsonGenerator gen) throws IOException;
  }

  /**
   * Runs {@code writer} and returns the bytes it wrote, in a buffer of exactly their size (which
   * {@link Representation#cached} then keeps as it is, with no copy of its own). The generator
   * collects its output in a recycled buffer of its own (8,000 bytes) and hands it over when that
   * fills and when it closes: a body that fits (an order, a customer) arrives in one piece at the
   * close and is copied once, into its buffer; a larger one (a page) is gathered in a scratch array
   * kept per thread, then copied once into its buffer. {@code sizeHint} sizes that array when the
   * thread has none yet.
   */
  public static Buffer write(int sizeHint, Writer writer) {
    BufferStream out = new BufferStream(sizeHint);
    try {
      JsonGenerator gen = FACTORY.createGenerator(out);
      try {
        writer.write(gen);
      } catch (IOException | RuntimeException e) {
        gen.close();
        throw e;
      }
      out.closing = true;
      gen.close();
      return out.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      out.release();
    }
  }

  /** Scratch arrays above this size are not kept for the thread's next body. */
  private static final int KEEP_AT_MOST = 1 << 20;

  /**
   * Each thread's scratch array for bodies larger than the generator's buffer; null while in use.
   */
  private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>();

  private static final class BufferStream extends OutputStream {
    private final int sizeHint;

    /** The body when it came in one write at the close (a buffer of exactly its size). */
    private @Nullable Buffer whole;

    /** The body so far when it comes in several writes, {@code count} bytes of it. */
    private byte @Nullable [] spill;

    private int count;

    /** Set before the generator's close, whose flush is then the last write. */
    boolean closing;

    BufferStream(int sizeHint) {
      this.sizeHint = sizeHint;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (whole == null && spill == null && closing) {
        whole = Buffer.buffer(len).appendBytes(b, off, len);
        return;
      }
      if (whole != null) { // nothing is written after the close's flush; kept correct anyway
        whole.appendBytes(b, off, len);
        return;
      }
      byte[] to = spill;
      if (to == null) {
        to = SCRATCH.get();
        SCRATCH.set(null); // a nested write on this thread gets an array of its own
        if (to == null || to.length < len) {
          to = new byte[Math.max(Math.max(sizeHint, len), 8_192)];
        }
      } else if (to.length - count < len) {
        to = Arrays.copyOf(to, Math.max(to.length * 2, count + len));
      }
      System.arraycopy(b, off, to, count, len);
      count += len;
      spill = to;
    }

    Buffer body() {
      if (whole != null) {
        return whole;
      }
      return spill == null ? Buffer.buffer(0) : Buffer.buffer(count).appendBytes(spill, 0, count);
    }

    /** Gives the scratch array back to the thread. */
    void release() {
      byte[] used = spill;
      spill = null;
      if (used != null && used.length <= KEEP_AT_MOST) {
        byte[] kept = SCRATCH.get();
        if (kept == null || kept.length < used.length) {
          SCRATCH.set(used);
        }
      }
    }
  }
}
