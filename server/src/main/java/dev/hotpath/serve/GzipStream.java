package dev.hotpath.serve;

import io.vertx.core.buffer.Buffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Incremental gzip (RFC 1952) for streamed responses: feed chunks, get compressed chunks back, then
 * {@link #finish}. Not thread-safe; CPU work, so callers run it on a worker thread.
 */
final class GzipStream {
  private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  private final Deflater deflater = new Deflater(6, true);
  private final CRC32 crc = new CRC32();
  private final byte[] scratch = new byte[16 * 1024];
  private boolean started;
  private long size;

  Buffer write(byte[] data) {
    Buffer out = Buffer.buffer(data.length / 3 + 16);
    start(out);
    crc.update(data);
    size += data.length;
    deflater.setInput(data);
    while (!deflater.needsInput()) {
      int n = deflater.deflate(scratch, 0, scratch.length, Deflater.NO_FLUSH);
      out.appendBytes(scratch, 0, n);
    }
    return out;
  }

  Buffer finish() {
    Buffer out = Buffer.buffer(64);
    start(out);
    deflater.finish();
    while (!deflater.finished()) {
      int n = deflater.deflate(scratch);
      out.appendBytes(scratch, 0, n);
    }
    deflater.end();
    out.appendIntLE((int) crc.getValue());
    out.appendIntLE((int) size);
    return out;
  }

  private void start(Buffer out) {
    if (!started) {
      out.appendBytes(HEADER);
      started = true;
    }
  }
}
