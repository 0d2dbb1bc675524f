package dev.hotpath.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
   * Runs {@code writer} and returns the bytes it wrote. The generator collects its output in a
   * recycled buffer of its own (8,000 bytes) and hands it over when that fills and when it closes:
   * a body that fits (an order, a customer) arrives in one piece at the close and is copied once,
   * into a buffer of exactly its size, which {@link Representation#cached} then keeps as it is. A
   * larger body (a page) goes into a buffer of {@code sizeHint} bytes, grown as needed.
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
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.buffer == null ? Buffer.buffer(0) : out.buffer;
  }

  private static final class BufferStream extends OutputStream {
    private final int sizeHint;
    private @Nullable Buffer buffer;

    /** Set before the generator's close, whose flush is then the last write. */
    boolean closing;

    BufferStream(int sizeHint) {
      this.sizeHint = sizeHint;
    }

    private Buffer buffer(int len) {
      Buffer b = buffer;
      if (b == null) {
        // the first write at the close is the whole body: exactly its size
        b = Buffer.buffer(closing ? len : Math.max(sizeHint, len));
        buffer = b;
      }
      return b;
    }

    @Override
    public void write(int b) {
      buffer(1).appendByte((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      buffer(len).appendBytes(b, off, len);
    }
  }
}
