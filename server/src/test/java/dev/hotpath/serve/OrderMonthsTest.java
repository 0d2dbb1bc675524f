package dev.hotpath.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hotpath.store.DatabaseCoordinates;
import dev.hotpath.store.Migrations;
import dev.hotpath.store.MonthIds;
import dev.hotpath.store.MonthPartitions;
import dev.hotpath.support.Sql;
import dev.hotpath.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A page whose orders lie in one month reads that month's partitions by name, with the same rows as
 * through the partitioned tables; any other page, and a month created since the catalog was last
 * read, reads through the partitioned tables.
 */
class OrderMonthsTest {
  private static final TestServer server = TestServer.get();
  private static Vertx vertx;
  private static Pool seeded;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    seeded = pool(server.database());
  }

  @AfterAll
  static void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static Pool pool(DatabaseCoordinates database) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1))
        .connectingTo(database.connectOptions(1))
        .using(vertx)
        .build();
  }

  @Test
  void aPageInOneMonthReadsItsPartitionsByNameAndTheSameRowsAsThroughTheParents() throws Exception {
    OrderMonths months = new OrderMonths();
    assertThat(months.refresh(() -> MonthPartitions.read(seeded)).await(30, TimeUnit.SECONDS))
        .isGreaterThan(1);
    // a customer with several orders, some with several lines, in one month
    String[] found =
        server
            .queryText(
                "SELECT k.customer_id || ' ' || string_agg(k.order_id::text, ',' ORDER BY"
                    + " k.created_at DESC, k.order_id DESC) FROM orders_by_customer k"
                    + " WHERE k.created_at < date_trunc('month', now())"
                    + " GROUP BY k.customer_id, date_trunc('month', k.created_at)"
                    + " HAVING count(*) >= 3 ORDER BY k.customer_id LIMIT 1")
            .trim()
            .split(" ");
    long customer = Long.parseLong(found[0]);
    Long[] ids = Arrays.stream(found[1].split(",")).map(Long::valueOf).toArray(Long[]::new);
    YearMonth month = MonthIds.month(ids[0]);
    String suffix = String.format("_y%04dm%02d\"", month.getYear(), month.getMonthValue());
    for (boolean withLines : new boolean[] {false, true}) {
      String byName = months.ordersStatement(withLines, ids);
      String parents = OrderReads.ordersStatement(withLines);
      assertThat(byName).contains("\"orders" + suffix).isNotEqualTo(parents);
      assertThat(byName.contains("\"order_items" + suffix)).isEqualTo(withLines);
      List<String> expected = rows(seeded, parents, customer, ids);
      assertThat(expected).hasSizeGreaterThanOrEqualTo(ids.length);
      assertThat(rows(seeded, byName, customer, ids)).isEqualTo(expected);
    }
    // one order with its lines: by its month's name, the same rows as through the parents
    for (Long id : ids) {
      String byName = months.orderStatement(id);
      assertThat(byName)
          .contains("\"orders" + suffix)
          .contains("\"order_items" + suffix)
          .isNotEqualTo(OrderReads.ORDER_WITH_LINES);
      List<String> expected = order(seeded, OrderReads.ORDER_WITH_LINES, id);
      assertThat(expected).isNotEmpty();
      assertThat(order(seeded, byName, id)).isEqualTo(expected);
    }
    assertThat(months.orderStatement(7L)).isEqualTo(OrderReads.ORDER_WITH_LINES);
    assertThat(months.orderStatement(-1L)).isEqualTo(OrderReads.ORDER_WITH_LINES);
    // the first order of the month before: two months, so through the parents
    long before =
        server.queryLong(
            "SELECT max(order_id) FROM orders_by_customer WHERE order_id < "
                + (ids[0] >>> 40 << 40));
    Long[] twoMonths = {ids[0], before};
    assertThat(months.ordersStatement(true, twoMonths)).isEqualTo(OrderReads.ordersStatement(true));
    // an id of the legacy partition (no month of its own)
    assertThat(months.ordersStatement(true, new Long[] {7L}))
        .isEqualTo(OrderReads.ordersStatement(true));
  }

  @Test
  void aMonthCreatedAfterTheCatalogWasReadIsReadThroughTheParentsUntilTheNextRead()
      throws Exception {
    DatabaseCoordinates database = Sql.newDatabase("order_months");
    Migrations.migrate(database);
    Pool fresh = pool(database);
    try {
      OrderMonths months = new OrderMonths();
      months.refresh(() -> MonthPartitions.read(fresh)).await(30, TimeUnit.SECONDS);
      Long[] ids = {MonthIds.id(micros(YearMonth.of(2091, 3)), 1)};
      assertThat(months.ordersStatement(true, ids)).isEqualTo(OrderReads.ordersStatement(true));

      // orders' partition alone: the month is not taken (its lines would be in the default)
      fresh
          .query("SELECT create_month_partitions('orders', '2091-03-01Z', '2091-03-01Z')")
          .execute()
          .await(30, TimeUnit.SECONDS);
      months.refresh(() -> MonthPartitions.read(fresh)).await(30, TimeUnit.SECONDS);
      assertThat(months.ordersStatement(true, ids)).isEqualTo(OrderReads.ordersStatement(true));

      fresh
          .query("SELECT create_month_partitions('order_items', '2091-03-01Z', '2091-03-01Z')")
          .execute()
          .await(30, TimeUnit.SECONDS);
      assertThat(months.ordersStatement(true, ids)).isEqualTo(OrderReads.ordersStatement(true));
      months.refresh(() -> MonthPartitions.read(fresh)).await(30, TimeUnit.SECONDS);
      assertThat(months.ordersStatement(true, ids))
          .contains("\"orders_y2091m03\"")
          .contains("\"order_items_y2091m03\"");
      // it runs: no order of that month yet
      assertThat(rows(fresh, months.ordersStatement(true, ids), 1, ids)).isEmpty();
    } finally {
      fresh.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static long micros(YearMonth month) {
    return month.atDay(1).atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond() * 1_000_000L;
  }

  /** Every column of every row of {@code sql} run as the single order's read runs it, as text. */
  private static List<String> order(Pool pool, String sql, long id) throws Exception {
    return text(
        pool.preparedQuery(sql)
            .execute(io.vertx.sqlclient.Tuple.of(id))
            .await(30, TimeUnit.SECONDS));
  }

  /** Every column of every row of {@code sql} run as a page reads it, as text. */
  private static List<String> rows(Pool pool, String sql, long customer, Long[] ids)
      throws Exception {
    RowSet<Row> rows =
        pool.preparedQuery(sql)
            .execute(OrderReads.byIds(customer, ids))
            .await(30, TimeUnit.SECONDS);
    return text(rows);
  }

  private static List<String> text(RowSet<Row> rows) {
    List<String> out = new ArrayList<>();
    for (Row row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(row.getValue(i)).append('|');
      }
      out.add(line.toString());
    }
    return out;
  }
}
