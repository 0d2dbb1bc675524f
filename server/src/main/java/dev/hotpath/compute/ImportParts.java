package dev.hotpath.compute;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts an import file, fed as it arrives, into parts of whole lines: a part ends after {@code
 * chunkLines} lines or once it holds {@code partBytes} bytes, whichever comes first, so no part is
 * larger than {@code partBytes} plus one line. A part is what one chunk of the import job parses
 * and applies in one transaction, so its size bounds the memory of a chunk in flight.
 *
 * <p>A line longer than {@link ImportParser#MAX_LINE_BYTES} is rejected by the parser whatever it
 * holds ("the line is longer than ..."), or skipped when it is blank: it is kept as {@code
 * MAX_LINE_BYTES + 2} bytes of {@code x} (or as an empty line when blank), so that a file of one
 * 200 MiB line costs no more memory than any other, with the same outcome line by line.
 *
 * <p>Not thread-safe: one cutter per file.
 */
public final class ImportParts {
  /** What a part holds at most, besides the line that crosses it. */
  public static final int PART_BYTES = 1 << 20;

  private static final int KEPT = ImportParser.MAX_LINE_BYTES + 2;
  private static final int FIRST_LINE_BYTES = 1024;

  /** One part: lines {@code firstLine .. firstLine + lines - 1} of the file, in {@code data}. */
  public record Part(int index, int firstLine, int lines, byte[] data) {}

  private final int chunkLines;
  private final int partBytes;
  private byte[] buf = new byte[4096];
  private int size;
  private int lineStart;
  private long lineLength;
  private boolean nonBlank;
  private boolean afterCr;
  private int partLines;
  private int partFirstLine = 1;
  private int parts;
  private long lines;
  private long bytes;
  private boolean firstLineDone;
  private byte[] firstLineBytes = new byte[0];

  public ImportParts(int chunkLines, int partBytes) {
    this.chunkLines = chunkLines;
    this.partBytes = partBytes;
  }

  /** Feeds {@code len} bytes of the file; completed parts go to {@code out}. */
  public void feed(byte[] data, int off, int len, Consumer<Part> out) {
    bytes += len;
    for (int i = off; i < off + len; i++) {
      byte b = data[i];
      if (b == '\n') {
        endLine();
        append(b);
        lines++;
        partLines++;
        lineStart = size;
        if (partLines == chunkLines || size >= partBytes) {
          emit(out);
        }
        continue;
      }
      if (afterCr || (b != ' ' && b != '\t' && b != '\r')) {
        // a carriage return inside a line is text, only the one before the newline is the break
        nonBlank = true;
      }
      afterCr = b == '\r';
      lineLength++;
      if (lineLength <= KEPT) {
        append(b);
      }
    }
  }

  /** The end of the file: its last part, when any line is left. */
  public void finish(Consumer<Part> out) {
    if (size > lineStart || lineLength > 0) {
      endLine();
      lines++;
      partLines++;
    }
    if (partLines > 0) {
      emit(out);
    }
  }

  /** Lines so far: newlines, plus a last line without one once {@link #finish} ran. */
  public long lines() {
    return lines;
  }

  /** Bytes fed so far. */
  public long bytes() {
    return bytes;
  }

  /** The first line (at most its first 1,024 bytes), once it has ended; null before. */
  public byte[] firstLine() {
    return firstLineDone ? firstLineBytes : null;
  }

  private void endLine() {
    if (!firstLineDone) {
      int end = size;
      if (end > lineStart && buf[end - 1] == '\r') {
        end--;
      }
      firstLineBytes =
          Arrays.copyOfRange(buf, lineStart, Math.min(end, lineStart + FIRST_LINE_BYTES));
      firstLineDone = true;
    }
    if (lineLength > KEPT) {
      size = lineStart;
      if (nonBlank) {
        // longer than the parser takes: rejected for its length whatever it holds
        for (int k = 0; k < KEPT; k++) {
          append((byte) 'x');
        }
      }
    }
    lineLength = 0;
    nonBlank = false;
    afterCr = false;
  }

  private void append(byte b) {
    if (size == buf.length) {
      buf = Arrays.copyOf(buf, Math.max(16, Math.min(buf.length * 2, partBytes + KEPT + 16)));
      if (size == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
    }
    buf[size++] = b;
  }

  private void emit(Consumer<Part> out) {
    Part part = new Part(parts++, partFirstLine, partLines, Arrays.copyOf(buf, size));
    partFirstLine += partLines;
    partLines = 0;
    size = 0;
    lineStart = 0;
    if (buf.length > 64 * 1024) {
      buf = new byte[4096];
    }
    out.accept(part);
  }
}
