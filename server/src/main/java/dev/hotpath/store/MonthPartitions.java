package dev.hotpath.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The monthly partitions of {@code orders} and {@code order_items} (migration V12), as the catalog
 * has them: the months that have one in both tables with exactly the month's range of ids.
 */
public final class MonthPartitions {
  /** One month's partition of orders and of order lines (their names, unquoted). */
  public record Tables(String orders, String items) {}

  /** Each partition of the two tables, its parent and its bound. */
  static final String CATALOG =
      "SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
          + " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
          + " WHERE i.inhparent IN ('orders'::regclass, 'order_items'::regclass)";

  private static final Pattern BOUND =
      Pattern.compile("FOR VALUES FROM \\('(\\d+)'\\) TO \\('(\\d+)'\\)");
  private static final long MONTH = 1L << MonthIds.NUMBER_BITS;

  private MonthPartitions() {}

  /**
   * Reads, by month key ({@link MonthIds}), the months with a partition of their own in both
   * tables; the default and legacy partitions are not months.
   */
  public static Future<Map<Long, Tables>> read(SqlClient client) {
    return client
        .query(CATALOG)
        .execute()
        .map(
            rows -> {
              Map<String, Map<Long, String>> tables = new HashMap<>();
              for (Row row : rows) {
                Matcher m = BOUND.matcher(row.getString(2));
                if (!m.matches()) {
                  continue;
                }
                long from = Long.parseLong(m.group(1));
                long to = Long.parseLong(m.group(2));
                if (from % MONTH == 0 && to - from == MONTH) {
                  tables
                      .computeIfAbsent(row.getString(1), t -> new HashMap<>())
                      .put(from >>> MonthIds.NUMBER_BITS, row.getString(0));
                }
              }
              Map<Long, String> items = tables.getOrDefault("order_items", Map.of());
              Map<Long, Tables> months = new HashMap<>();
              tables
                  .getOrDefault("orders", Map.of())
                  .forEach(
                      (month, orders) -> {
                        String lines = items.get(month);
                        if (lines != null) {
                          months.put(month, new Tables(orders, lines));
                        }
                      });
              return Map.copyOf(months);
            });
  }
}
