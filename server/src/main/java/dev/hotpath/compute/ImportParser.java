package dev.hotpath.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hotpath.http.Contract;
import dev.hotpath.http.DisplayText;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.ProblemException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses and validates the lines of an import file without the database: syntax, the {@code
 * OrderCreate} schema of the contract, repeated products. Pure and thread-safe, so chunks can be
 * parsed by any number of workers; the outcome of a line depends on that line alone.
 *
 * <p>Formats: NDJSON, one {@code OrderCreate} object per line; CSV with the header {@value
 * #CSV_HEADER} and lines like {@code 42,7:2;9:1} (customer 42 orders 2 of product 7 and 1 of
 * product 9; the customer's address is the shipping address). Blank lines are skipped. Line numbers
 * are the file's (the CSV header is line 1). A CSV line holding a control character other than a
 * tab is rejected, naming it.
 */
public final class ImportParser {
  public static final String CSV_HEADER = "customer_id,items";
  public static final int MAX_LINE_BYTES = 64 * 1024;

  /** A run of whole lines: bytes {@code [start, end)}, the first being line {@code firstLine}. */
  public record Chunk(int index, int start, int end, int firstLine, int lines) {}

  /** One line, parsed: the order it asks for, or why it cannot be one. */
  public record Line(
      int lineNo,
      long customerId,
      long[] productIds,
      int[] quantities,
      String shippingAddress,
      List<FieldError> errors) {
    public boolean valid() {
      return errors.isEmpty();
    }

    static Line rejected(int lineNo, List<FieldError> errors) {
      return new Line(lineNo, 0, new long[0], new int[0], null, List.copyOf(errors));
    }
  }

  private final Contract contract;
  private final boolean csv;

  public ImportParser(Contract contract, String format) {
    this.contract = contract;
    this.csv = "csv".equals(format);
  }

  /** {@code csv} or {@code ndjson}. */
  public String format() {
    return csv ? "csv" : "ndjson";
  }

  /** Lines before the first order of a file: the CSV header; NDJSON has none. */
  public static int headerLines(String format) {
    return "csv".equals(format) ? 1 : 0;
  }

  /**
   * Lines of {@code data} that may hold an order: every line but the CSV header. What an import
   * reports as its {@code lines} (and is limited by), so that {@code imported + rejected} plus the
   * blank lines makes it; line numbers stay the file's.
   */
  public static int orderLines(byte[] data, String format) {
    return Math.max(0, countLines(data) - headerLines(format));
  }

  /** Lines of {@code data}: newlines, plus a last line without one. */
  public static int countLines(byte[] data) {
    int lines = 0;
    for (byte b : data) {
      if (b == '\n') {
        lines++;
      }
    }
    return data.length > 0 && data[data.length - 1] != '\n' ? lines + 1 : lines;
  }

  /** The first line, without its line break. */
  public static String firstLine(byte[] data) {
    int end = 0;
    while (end < data.length && data[end] != '\n') {
      end++;
    }
    if (end > 0 && data[end - 1] == '\r') {
      end--;
    }
    return new String(data, 0, end, StandardCharsets.UTF_8);
  }

  /** Cuts {@code data} into chunks of {@code chunkLines} lines; depends on nothing else. */
  public static List<Chunk> chunks(byte[] data, int chunkLines) {
    List<Chunk> chunks = new ArrayList<>();
    int start = 0;
    int line = 1;
    int inChunk = 0;
    for (int i = 0; i < data.length; i++) {
      if (data[i] == '\n') {
        inChunk++;
        if (inChunk == chunkLines) {
          chunks.add(new Chunk(chunks.size(), start, i + 1, line, inChunk));
          line += inChunk;
          start = i + 1;
          inChunk = 0;
        }
      }
    }
    if (start < data.length) {
      inChunk += data[data.length - 1] == '\n' ? 0 : 1;
    }
    if (inChunk > 0) {
      chunks.add(new Chunk(chunks.size(), start, data.length, line, inChunk));
    }
    return chunks;
  }

  /** Parses the lines of one chunk, in order. */
  public List<Line> parse(byte[] data, Chunk chunk) {
    List<Line> lines = new ArrayList<>(chunk.lines());
    int lineNo = chunk.firstLine();
    int start = chunk.start();
    for (int i = chunk.start(); i <= chunk.end(); i++) {
      if (i == chunk.end() || data[i] == '\n') {
        if (i == chunk.end() && start == i) {
          break;
        }
        int end = i;
        if (end > start && data[end - 1] == '\r') {
          end--;
        }
        if (!blank(data, start, end) && !(csv && lineNo == 1)) {
          lines.add(line(data, start, end, lineNo));
        }
        lineNo++;
        start = i + 1;
      }
    }
    return lines;
  }

  private static boolean blank(byte[] data, int start, int end) {
    for (int i = start; i < end; i++) {
      if (data[i] != ' ' && data[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  private Line line(byte[] data, int start, int end, int lineNo) {
    if (end - start > MAX_LINE_BYTES) {
      return Line.rejected(
          lineNo,
          List.of(new FieldError("/", "the line is longer than " + MAX_LINE_BYTES + " bytes")));
    }
    if (csv) {
      // String.trim(), which takes off a field's padding, takes off every control character too:
      // a NUL after a customer id would have vanished instead of rejecting the line
      for (int i = start; i < end; i++) {
        int b = data[i] & 0xff;
        if ((b < 0x20 && b != '\t') || b == 0x7f) {
          return Line.rejected(
              lineNo,
              List.of(
                  new FieldError(
                      "/",
                      "the line holds the control character U+"
                          + Integer.toHexString(0x10000 | b).substring(1).toUpperCase(Locale.ROOT)
                          + " at byte "
                          + (i - start + 1))));
        }
      }
    }
    JsonNode order;
    try {
      order =
          csv
              ? csvOrder(new String(data, start, end - start, StandardCharsets.UTF_8))
              : contract.readJson(data, start, end - start, "OrderCreate");
    } catch (ProblemException e) {
      return Line.rejected(
          lineNo, e.errors().isEmpty() ? List.of(new FieldError("/", e.detail())) : e.errors());
    }
    JsonNode items = order.get("items");
    int n = items.size();
    long[] products = new long[n];
    int[] quantities = new int[n];
    Map<Long, Integer> seen = new HashMap<>();
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      products[i] = items.get(i).get("product_id").asLong();
      quantities[i] = items.get(i).get("quantity").asInt();
      Integer first = seen.putIfAbsent(products[i], i);
      if (first != null) {
        errors.add(
            new FieldError(
                "/items/" + i + "/product_id",
                "product " + products[i] + " is already in /items/" + first));
      }
    }
    JsonNode given = order.get("shipping_address");
    String address = given == null ? null : DisplayText.address(given, "/shipping_address", errors);
    if (!errors.isEmpty()) {
      return Line.rejected(lineNo, errors);
    }
    return new Line(
        lineNo, order.get("customer_id").asLong(), products, quantities, address, List.of());
  }

  /**
   * The fields of one CSV line (RFC 4180): separated by commas, each either bare or enclosed in
   * double quotes, inside which a comma is text and {@code ""} is one quote. Null when the quoting
   * is malformed: an unclosed quote, text after a closing quote, or a quote in a bare field. A
   * quoted field cannot span lines here: an import's line is one order.
   */
  public static String[] csvFields(String line) {
    List<String> fields = new ArrayList<>(2);
    StringBuilder field = new StringBuilder();
    int i = 0;
    int n = line.length();
    while (true) {
      field.setLength(0);
      if (i < n && line.charAt(i) == '"') {
        i++;
        while (true) {
          if (i >= n) {
            return null;
          }
          char c = line.charAt(i++);
          if (c != '"') {
            field.append(c);
          } else if (i < n && line.charAt(i) == '"') {
            field.append('"');
            i++;
          } else {
            break;
          }
        }
        if (i < n && line.charAt(i) != ',') {
          return null;
        }
      } else {
        while (i < n && line.charAt(i) != ',') {
          char c = line.charAt(i++);
          if (c == '"') {
            return null;
          }
          field.append(c);
        }
      }
      fields.add(field.toString());
      if (i >= n) {
        return fields.toArray(String[]::new);
      }
      i++; // the comma
    }
  }

  /** Whether {@code line} is the CSV header: its two names, each possibly quoted or padded. */
  public static boolean csvHeader(String line) {
    String[] names = csvFields(line.trim());
    return names != null
        && names.length == 2
        && names[0].trim().equals("customer_id")
        && names[1].trim().equals("items");
  }

  /** {@code customer_id,pid:qty;pid:qty} as an OrderCreate, validated by the same schema. */
  private JsonNode csvOrder(String text) {
    String[] fields = csvFields(text);
    if (fields == null) {
      throw ProblemException.invalid(
          "/", "a quoted field is not closed, or a quote stands inside an unquoted field");
    }
    if (fields.length != 2) {
      throw ProblemException.invalid(
          "/", "expected 2 fields (" + CSV_HEADER + "), found " + fields.length);
    }
    List<FieldError> errors = new ArrayList<>();
    ObjectNode order = JsonNodeFactory.instance.objectNode();
    Long customer = number(fields[0].trim());
    if (customer == null) {
      errors.add(new FieldError("/customer_id", "must be a positive integer"));
    } else {
      order.put("customer_id", customer);
    }
    ArrayNode items = order.putArray("items");
    String list = fields[1].trim();
    String[] entries = list.isEmpty() ? new String[0] : list.split(";", -1);
    for (int i = 0; i < entries.length; i++) {
      String[] pair = entries[i].split(":", -1);
      Long product = pair.length == 2 ? number(pair[0].trim()) : null;
      Long quantity = pair.length == 2 ? number(pair[1].trim()) : null;
      if (product == null || quantity == null) {
        errors.add(
            new FieldError("/items/" + i, "must be PRODUCT_ID:QUANTITY with positive integers"));
      } else {
        items.addObject().put("product_id", product).put("quantity", quantity);
      }
    }
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
    List<FieldError> schema = contract.validate(order, "OrderCreate");
    if (!schema.isEmpty()) {
      throw ProblemException.validation(schema);
    }
    return order;
  }

  private static Long number(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return null;
      }
    }
    return Long.parseLong(s);
  }
}
