package dev.hotpath.graphql;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.hotpath.http.JsonOutput;
import dev.hotpath.serve.CustomerRepresentation;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.ProductRepresentation;
import dev.hotpath.serve.Timestamps;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Rows as the values GraphQL resolves fields on: a map from each REST property name to the value
 * the REST representation writes for it (numbers, strings, timestamps in RFC 3339 and UTC as {@code
 * Timestamps} writes them, addresses and payments as objects, null where REST writes null), read
 * from the row's columns once. GraphqlApiTest compares the answers with the REST routes' field by
 * field.
 */
final class Nodes {
  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  /** Reads a JSON object as {@link #MAP}, its type resolved once rather than on every row. */
  private static final ObjectReader OBJECT = JsonOutput.MAPPER.readerFor(MAP);

  private Nodes() {}

  /** How a column becomes the value of its field. */
  private enum Kind {
    LONG,
    INT,
    TEXT,
    /** A JSON document kept as text (an address): an object, or null. */
    JSON,
    /** A timestamp: RFC 3339 in UTC, as {@link Timestamps#text} writes it. */
    TIME
  }

  /** The fields of consecutive columns, in column order. */
  private record Columns(String[] names, Kind[] kinds) {
    /** From {@code "name:kind name:kind ..."}, kinds in lower case. */
    static Columns of(String spec) {
      String[] fields = spec.split(" ");
      String[] names = new String[fields.length];
      Kind[] kinds = new Kind[fields.length];
      for (int i = 0; i < fields.length; i++) {
        int colon = fields[i].indexOf(':');
        names[i] = fields[i].substring(0, colon);
        kinds[i] = Kind.valueOf(fields[i].substring(colon + 1).toUpperCase(Locale.ROOT));
      }
      return new Columns(names, kinds);
    }

    /** The fields of the columns from {@code offset} of {@code row}, into {@code node}. */
    Map<String, Object> read(Row row, int offset, Map<String, Object> node) {
      for (int i = 0; i < names.length; i++) {
        int c = offset + i;
        node.put(
            names[i],
            switch (kinds[i]) {
              case LONG -> row.getLong(c);
              case INT -> row.getInteger(c);
              case TEXT -> row.getString(c);
              case JSON -> json(row.getString(c));
              case TIME -> Timestamps.text(row.getOffsetDateTime(c));
            });
      }
      return node;
    }
  }

  private static final Columns CUSTOMER =
      Columns.of(
          "id:long email:text name:text status:text address:json version:int created_at:time"
              + " updated_at:time");
  private static final Columns PRODUCT =
      Columns.of(
          "id:long sku:text name:text description:text category:text price_minor:long"
              + " currency:text stock:int status:text version:int created_at:time updated_at:time");

  /** The order's columns but the payment's two, which make one object. */
  private static final Columns ORDER =
      Columns.of(
          "id:long customer_id:long status:text currency:text subtotal_minor:long"
              + " total_minor:long item_count:int shipping_address:json version:int"
              + " created_at:time updated_at:time");

  private static final Columns LINE =
      Columns.of(
          "line_no:int product_id:long product_name:text unit_price_minor:long quantity:int"
              + " line_total_minor:long");

  /** A row of {@link CustomerRepresentation#COLUMNS}. */
  static Map<String, Object> customer(Row row) {
    return CUSTOMER.read(row, 0, HashMap.newHashMap(8));
  }

  /** A row of {@link ProductRepresentation#COLUMNS}. */
  static Map<String, Object> product(Row row) {
    return PRODUCT.read(row, 0, HashMap.newHashMap(12));
  }

  /**
   * A row whose first {@value OrderRepresentation#ORDER_COLUMN_COUNT} columns are {@link
   * OrderRepresentation#COLUMNS}; no {@code items}, which the {@code items} field loads by itself.
   */
  static Map<String, Object> order(Row row) {
    Map<String, Object> node = ORDER.read(row, 0, HashMap.newHashMap(12));
    String payment = row.getString(11);
    if (payment != null) {
      Map<String, Object> value = HashMap.newHashMap(2);
      value.put("status", payment);
      value.put("authorization_id", row.getString(12));
      node.put("payment", value);
    }
    return node;
  }

  /** A line: {@link OrderRepresentation#ITEM_COLUMNS} from column {@code offset} of {@code row}. */
  static Map<String, Object> line(Row row, int offset) {
    return LINE.read(row, offset, HashMap.newHashMap(6));
  }

  /** A JSON document kept as text (an address), as an object; null when absent. */
  private static @Nullable Map<String, Object> json(@Nullable String text) {
    if (text == null) {
      return null;
    }
    try {
      return OBJECT.readValue(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON object (a REST representation) as a map. */
  static Map<String, Object> read(Buffer json) {
    try {
      return OBJECT.readValue(json.getBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
