package dev.hotpath.graphql;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.hotpath.http.Fields;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.serve.CustomerRepresentation;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.ProductRepresentation;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows as the values GraphQL resolves fields on: each is encoded by its REST representation's own
 * writer and read back as a map, so a GraphQL field holds exactly what the REST property of the
 * same name holds (addresses, payments and timestamps included), by construction.
 */
final class Nodes {
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  /** Every field of an order but its items, which the {@code items} field loads by itself. */
  private static final Fields.Selection ORDER_WITHOUT_ITEMS =
      OrderRepresentation.FIELDS.selection(((1L << 13) - 1) & ~(1L << 8), 0);

  private static final OrderRepresentation.Lines NO_LINES =
      new OrderRepresentation.RowLines(List.of(), 0, 0, 0);

  private Nodes() {}

  /** A row of {@link CustomerRepresentation#COLUMNS}. */
  static Map<String, Object> customer(Row row) {
    return read(
        JsonOutput.write(
            256,
            gen -> CustomerRepresentation.write(gen, row, CustomerRepresentation.FIELDS.all())));
  }

  /** A row of {@link ProductRepresentation#COLUMNS}. */
  static Map<String, Object> product(Row row) {
    return read(
        JsonOutput.write(
            256, gen -> ProductRepresentation.write(gen, row, ProductRepresentation.FIELDS.all())));
  }

  /** A row whose first 13 columns are {@link OrderRepresentation#COLUMNS}; no {@code items}. */
  static Map<String, Object> order(Row row) {
    return read(
        JsonOutput.write(
            384, gen -> OrderRepresentation.write(gen, row, NO_LINES, ORDER_WITHOUT_ITEMS)));
  }

  /** A line: {@link OrderRepresentation#ITEM_COLUMNS} from column {@code offset} of {@code row}. */
  static Map<String, Object> line(Row row, int offset) {
    Map<String, Object> line = new LinkedHashMap<>(8);
    line.put("line_no", row.getInteger(offset));
    line.put("product_id", row.getLong(offset + 1));
    line.put("product_name", row.getString(offset + 2));
    line.put("unit_price_minor", row.getLong(offset + 3));
    line.put("quantity", row.getInteger(offset + 4));
    line.put("line_total_minor", row.getLong(offset + 5));
    return line;
  }

  /** A JSON object (a REST representation) as a map. */
  static Map<String, Object> read(Buffer json) {
    try {
      return JsonOutput.MAPPER.readValue(json.getBytes(), MAP);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
