package dev.hotpath.observe.analyze;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table: numeric columns right-aligned, text columns left-aligned. */
final class TextTable {
  private final String[] header;
  private final List<String[]> rows = new ArrayList<>();

  TextTable(String... header) {
    this.header = header;
  }

  void row(String... cells) {
    rows.add(cells);
  }

  @Override
  public String toString() {
    int[] width = new int[header.length];
    for (int c = 0; c < header.length; c++) {
      width[c] = header[c].length();
      for (String[] r : rows) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    boolean[] right = new boolean[header.length];
    for (int c = 1; c < header.length; c++) {
      final int col = c;
      right[c] = rows.stream().allMatch(r -> r[col].matches("[-+0-9.,%]*"));
    }
    StringBuilder b = new StringBuilder();
    line(b, header, width, right);
    int total = 0;
    for (int w : width) {
      total += w + 2;
    }
    b.append("  ").append("-".repeat(Math.max(0, total - 2))).append('\n');
    for (String[] r : rows) {
      line(b, r, width, right);
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String[] cells, int[] width, boolean[] right) {
    StringBuilder l = new StringBuilder(" ");
    for (int c = 0; c < cells.length; c++) {
      String cell = cells[c];
      String pad = " ".repeat(width[c] - cell.length());
      l.append(' ').append(right[c] ? pad + cell : cell + pad).append(' ');
    }
    b.append(l.toString().stripTrailing()).append('\n');
  }
}
