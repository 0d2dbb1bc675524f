package dev.hotpath.compute;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;

/**
 * The {@value #KIND} job: sales by day and by product (orders not cancelled, per currency) over the
 * report's UTC date range, computed by the database into {@code report_rows}, then, when the report
 * has a callback, a signed webhook enqueued as its own job. Idempotent: one transaction replaces
 * the report's rows, so a rerun leaves the same result; the webhook job is deduplicated while
 * pending (receivers get at-least-once delivery with a stable {@code Hotpath-Event-Id}).
 */
public final class ReportJob implements JobHandler {
  public static final String KIND = "report.sales";

  private static final String REPORT =
      "SELECT from_date, to_date, callback_url FROM reports WHERE id = $1";
  private static final String ORDERS_IN_RANGE =
      "o AS (SELECT id, currency, total_minor, (created_at AT TIME ZONE 'UTC')::date AS day"
          + " FROM orders WHERE status <> 'cancelled'"
          + " AND created_at >= $2::date::timestamp AT TIME ZONE 'UTC'"
          + " AND created_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC')";
  private static final String BY_DAY =
      "WITH "
          + ORDERS_IN_RANGE
          + ", u AS (SELECT i.order_id, sum(i.quantity) AS units FROM order_items i"
          + " JOIN o ON o.id = i.order_id GROUP BY i.order_id),"
          + " d AS (SELECT o.day, o.currency, count(*) AS orders, sum(u.units) AS units,"
          + " sum(o.total_minor) AS revenue FROM o JOIN u ON u.order_id = o.id"
          + " GROUP BY o.day, o.currency)"
          + " INSERT INTO report_rows (report_id, row_no, dimension, value, currency, orders, units,"
          + " revenue_minor) SELECT $1, row_number() OVER (ORDER BY day, currency), 'day',"
          + " day::text, currency, orders, units, revenue FROM d";
  private static final String BY_PRODUCT =
      "WITH "
          + ORDERS_IN_RANGE
          + ", p AS (SELECT i.product_id, o.currency, count(*) AS orders, sum(i.quantity) AS units,"
          + " sum(i.line_total_minor) AS revenue FROM o JOIN order_items i ON i.order_id = o.id"
          + " GROUP BY i.product_id, o.currency)"
          + " INSERT INTO report_rows (report_id, row_no, dimension, value, currency, orders, units,"
          + " revenue_minor) SELECT $1, $4 + row_number() OVER (ORDER BY product_id, currency),"
          + " 'product', product_id::text, currency, orders, units, revenue FROM p";

  private final JobQueue queue;

  public ReportJob(JobQueue queue) {
    this.queue = queue;
  }

  @Override
  public Future<String> handle(Job job) {
    long id = job.id();
    return job.pool()
        .withTransaction(
            conn ->
                conn.preparedQuery(REPORT)
                    .execute(Tuple.of(id))
                    .compose(
                        rows -> {
                          if (rows.size() == 0) {
                            return Future.failedFuture(
                                new IllegalStateException("report " + id + " does not exist"));
                          }
                          Row r = rows.iterator().next();
                          return compute(
                              job, conn, r.getLocalDate(0), r.getLocalDate(1), r.getString(2));
                        }));
  }

  private Future<String> compute(
      Job job, SqlConnection conn, LocalDate from, LocalDate to, String callback) {
    long id = job.id();
    return conn.preparedQuery("DELETE FROM report_rows WHERE report_id = $1")
        .execute(Tuple.of(id))
        .compose(x -> job.progress(10))
        .compose(x -> conn.preparedQuery(BY_DAY).execute(Tuple.of(id, from, to)))
        .compose(
            days ->
                job.progress(50)
                    .compose(
                        x ->
                            conn.preparedQuery(BY_PRODUCT)
                                .execute(Tuple.of(id, from, to, days.rowCount())))
                    .map(products -> days.rowCount() + products.rowCount()))
        .compose(rows -> job.progress(90).map(rows))
        .compose(
            rows -> {
              String resultUrl = "/v1/reports/" + id;
              if (callback == null) {
                return Future.succeededFuture(result(rows, resultUrl));
              }
              String body =
                  "{\"type\":\"report.completed\",\"report_id\":"
                      + id
                      + ",\"job_id\":"
                      + id
                      + ",\"result_url\":\""
                      + resultUrl
                      + "\",\"from\":\""
                      + from
                      + "\",\"to\":\""
                      + to
                      + "\",\"rows\":"
                      + rows
                      + "}";
              return queue
                  .enqueue(conn, WebhookDelivery.spec(queue, callback, "report-" + id, body))
                  .map(result(rows, resultUrl));
            });
  }

  private static String result(int rows, String resultUrl) {
    return "{\"rows\":" + rows + ",\"result_url\":\"" + resultUrl + "\"}";
  }
}
