package dev.hotpath.serve;

import dev.hotpath.store.MonthIds;
import dev.hotpath.store.MonthPartitions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The months that have a partition of their own in both {@code orders} and {@code order_items}
 * (migration V12: one per month, the range of ids that carry the month), so that a page whose
 * orders all lie in one month reads that month's two tables by name. Read through the partitioned
 * tables, the same statement costs PostgreSQL 17 about 60-70 us more per page: each run of its
 * generic plan locks every partition of both tables (58 in the demo data) before it prunes all but
 * one month, and the prune itself runs once per order (pgbench on customer 42's cursor page of 5,
 * backend CPU per statement: 166-198 us through the parents, 107-125 us by name).
 *
 * <p>A month is taken only when both partitions exist with exactly its range; any other page (its
 * orders in two months, a month without partitions, whose rows are in the default partition, the
 * legacy partition) reads through the parents, as before, so a month this has not seen yet is read
 * the slower way, never missed. Monthly partitions of orders and lines are created ahead and never
 * dropped ({@code compute/Maintenance} drops only the outbox's), so a month once seen stays valid.
 * Reads the catalog when started and then every {@link #REFRESH}; safe to read from any thread.
 */
public final class OrderMonths {
  private static final Logger log = LoggerFactory.getLogger(OrderMonths.class);

  /** How often the catalog is read again: a new month is created months ahead of its orders. */
  public static final Duration REFRESH = Duration.ofMinutes(1);

  /**
   * Per month key: the page statement without lines ([0]) and with them ([1]), and the single order
   * with its lines ([2]), by name.
   */
  private volatile Map<Long, String[]> byMonth = Map.of();

  /** Reads {@code catalog} now and every {@link #REFRESH} on {@code vertx}. */
  public OrderMonths start(
      Vertx vertx, Supplier<Future<Map<Long, MonthPartitions.Tables>>> catalog) {
    refresh(catalog);
    vertx.setPeriodic(REFRESH.toMillis(), id -> refresh(catalog));
    return this;
  }

  /**
   * Reads which months have both partitions ({@link MonthPartitions#read}); until it completes (and
   * if it fails) the months known before stay. Completes with the number of months known.
   */
  public Future<Integer> refresh(Supplier<Future<Map<Long, MonthPartitions.Tables>>> catalog) {
    return catalog
        .get()
        .map(
            months -> {
              Map<Long, String[]> next = new HashMap<>();
              months.forEach(
                  (month, tables) -> {
                    String o = quote(tables.orders());
                    String i = quote(tables.items());
                    next.put(
                        month,
                        new String[] {
                          OrderReads.ordersStatement(false, o, i),
                          OrderReads.ordersStatement(true, o, i),
                          OrderReads.orderWithLines(o, i)
                        });
                  });
              byMonth = Map.copyOf(next);
              return next.size();
            })
        .onFailure(
            e -> log.warn("could not read the monthly partitions of orders: {}", e.toString()));
  }

  /**
   * The statement of a page's orders by id ({@link OrderReads#ordersStatement(boolean)}, same
   * parameters and rows): by the month's tables when every id lies in one month known here, else
   * through the partitioned tables.
   */
  public String ordersStatement(boolean withLines, Long[] ids) {
    long month = ids[0] >>> MonthIds.NUMBER_BITS;
    for (int i = 1; i < ids.length; i++) {
      if (ids[i] >>> MonthIds.NUMBER_BITS != month) {
        return OrderReads.ordersStatement(withLines);
      }
    }
    String[] byName = ids[0] < 0 ? null : byMonth.get(month);
    return byName == null ? OrderReads.ordersStatement(withLines) : byName[withLines ? 1 : 0];
  }

  /**
   * The statement of one order with its lines ({@link OrderReads#ORDER_WITH_LINES}, same parameter
   * and rows): by its month's tables when that month is known here, else through the partitioned
   * tables. An order's id carries its month, so every order has one.
   */
  public String orderStatement(long id) {
    String[] byName = id < 0 ? null : byMonth.get(id >>> MonthIds.NUMBER_BITS);
    return byName == null ? OrderReads.ORDER_WITH_LINES : byName[2];
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }
}
