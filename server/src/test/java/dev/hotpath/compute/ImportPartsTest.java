package dev.hotpath.compute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.http.Contract;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A file cut into parts as it arrives parses to the same lines as the whole file did, whatever the
 * pieces it arrives in, the lines per part and the bytes per part; no part holds more than its
 * bytes plus one line, even for a line of megabytes.
 */
class ImportPartsTest {
  private static final Contract CONTRACT = Contract.load();
  private static final int MAX = ImportParser.MAX_LINE_BYTES;

  private static byte[] file() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringBuilder text = new StringBuilder("customer_id,items\r\n");
    for (int i = 1; i <= 400; i++) {
      text.append(
          switch (i % 9) {
            case 0 -> "\n";
            case 1 -> "   \t\r\n";
            case 2 -> i + ",7:" + i + ";9:1\r\n";
            case 3 -> "x," + i + ":1\n";
            case 4 -> i + ",\"7:1\"\n";
            default -> i + "," + (i + 1) + ":2\n";
          });
    }
    out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
    // long lines: text (rejected for its length), blanks (skipped), one exactly at the limit, one
    // just above it ending in CR, one of 3 MiB, and a blank one with a CR inside (not blank)
    out.writeBytes(("1," + "9".repeat(MAX) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes((" ".repeat(MAX + 10) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(("1,7:1" + " ".repeat(MAX - 5) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(("1,7:1" + " ".repeat(MAX - 4) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(("1,7:1" + " ".repeat(MAX - 3) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(("2,".repeat(3 << 19) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(
        (" ".repeat(MAX) + "\r" + " ".repeat(10) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes((" ".repeat(MAX + 10) + "x\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes("42,7:1".getBytes(StandardCharsets.US_ASCII)); // no final newline
    return out.toByteArray();
  }

  private static String describe(List<ImportParser.Line> lines) {
    StringBuilder s = new StringBuilder();
    for (ImportParser.Line l : lines) {
      s.append(l.lineNo())
          .append(' ')
          .append(l.customerId())
          .append(' ')
          .append(java.util.Arrays.toString(l.productIds()))
          .append(' ')
          .append(l.errors())
          .append('\n');
    }
    return s.toString();
  }

  @Test
  void partsParseAsTheWholeFileWhateverThePiecesAndSizes() {
    byte[] data = file();
    ImportParser parser = new ImportParser(CONTRACT, "csv");
    List<ImportParser.Line> whole = new ArrayList<>();
    for (ImportParser.Chunk c : ImportParser.chunks(data, 1_000_000)) {
      whole.addAll(parser.parse(data, c));
    }
    String expected = describe(whole);
    assertThat(whole).hasSizeGreaterThan(300);
    for (int chunkLines : new int[] {1, 7, 50, 10_000}) {
      for (int partBytes : new int[] {64, 4096, ImportParts.PART_BYTES}) {
        for (int piece : new int[] {1, 1000, 65_536}) {
          if (piece == 1 && chunkLines != 7) {
            continue; // byte by byte once is enough
          }
          ImportParts cutter = new ImportParts(chunkLines, partBytes);
          List<ImportParts.Part> parts = new ArrayList<>();
          for (int at = 0; at < data.length; at += piece) {
            cutter.feed(data, at, Math.min(piece, data.length - at), parts::add);
          }
          cutter.finish(parts::add);
          List<ImportParser.Line> cut = new ArrayList<>();
          int next = 1;
          for (int i = 0; i < parts.size(); i++) {
            ImportParts.Part p = parts.get(i);
            assertThat(p.index()).isEqualTo(i);
            assertThat(p.firstLine()).isEqualTo(next);
            assertThat(p.lines()).isBetween(1, chunkLines);
            assertThat(p.data().length).isLessThanOrEqualTo(partBytes + MAX + 3);
            next += p.lines();
            cut.addAll(
                parser.parse(
                    p.data(),
                    new ImportParser.Chunk(i, 0, p.data().length, p.firstLine(), p.lines())));
          }
          assertThat(next - 1).isEqualTo(ImportParser.countLines(data));
          assertThat(cutter.lines()).isEqualTo(ImportParser.countLines(data));
          assertThat(new String(cutter.firstLine(), StandardCharsets.UTF_8))
              .isEqualTo("customer_id,items");
          assertThat(describe(cut))
              .as("chunk lines %d, part bytes %d, pieces of %d", chunkLines, partBytes, piece)
              .isEqualTo(expected);
        }
      }
    }
  }
}
