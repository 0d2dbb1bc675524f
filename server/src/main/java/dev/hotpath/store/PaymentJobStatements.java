package dev.hotpath.store;

import dev.hotpath.config.OutsideSettings;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * How the payment jobs are enqueued, for every place that enqueues one inside its own write: the
 * order placement (an authorization to retry, a void of an unused authorization), the cancellation
 * (the void of a paid order's authorization) and the payment jobs themselves. The job kinds are
 * named here so that the writers and the job handlers ({@code compute.PaymentJobs}) share them
 * without importing each other. The attempts and timeout are settings, read only for their numbers:
 * the statements work without a payments provider, and their jobs then wait, queued, for an
 * instance that has one.
 */
public final class PaymentJobStatements {
  public static final String AUTHORIZE = "payment.authorize";
  public static final String VOID = "payment.void";

  private static final int VOID_PRIORITY = 5;

  /** Enqueues the authorization of the order this transaction has just inserted. */
  private static final String ENQUEUE_AUTHORIZE =
      JobStatements.INSERT
          + " SELECT '"
          + AUTHORIZE
          + "', jsonb_build_object('order_id', o.id, 'key', $1::text), 10, now(), $2, $3,"
          + " 'payment:' || o.id, NULL FROM (SELECT month_id(now(), currval('orders_seq')) AS id) o"
          + JobStatements.UNLESS_PENDING;

  /** Enqueues the authorization of the order $4 (an order of a group, whose id is known). */
  private static final String ENQUEUE_AUTHORIZE_OF =
      JobStatements.INSERT
          + " VALUES ('"
          + AUTHORIZE
          + "', jsonb_build_object('order_id', $4::bigint, 'key', $1::text), 10, now(), $2, $3,"
          + " 'payment:' || $4::bigint, NULL)"
          + JobStatements.UNLESS_PENDING;

  private static final String ENQUEUE_VOID =
      JobStatements.INSERT
          + " VALUES ('"
          + VOID
          + "', jsonb_build_object('authorization_id', $1::text), "
          + VOID_PRIORITY
          + ", now(), $2, $3, 'void:' || $1, NULL)"
          + JobStatements.UNLESS_PENDING;

  private final int attempts;
  private final int timeoutMs;

  public PaymentJobStatements(OutsideSettings settings) {
    this.attempts = settings.paymentsJobAttempts();
    // the job's own timeout: the attempt's, plus time for the database around it
    this.timeoutMs =
        (int) Math.min(Integer.MAX_VALUE, settings.paymentsJobTimeout().toMillis() + 10_000);
  }

  /**
   * Enqueues, in the caller's transaction and right after it inserted an order, the authorization
   * of that order under the provider key {@code key}. Pipelines with the insert (no round trip of
   * its own when sent with it).
   */
  public Future<RowSet<Row>> enqueueAuthorization(SqlClient conn, String key) {
    return conn.preparedQuery(ENQUEUE_AUTHORIZE).execute(Tuple.of(key, attempts, timeoutMs));
  }

  /**
   * Enqueues, in the caller's transaction, the authorization of the order {@code orderId} under the
   * provider key {@code key}: for an order written with others in one statement, where {@link
   * #enqueueAuthorization}'s "the order just inserted" names only the last.
   */
  public Future<RowSet<Row>> enqueueAuthorization(SqlClient conn, long orderId, String key) {
    return conn.preparedQuery(ENQUEUE_AUTHORIZE_OF)
        .execute(Tuple.of(key, attempts, timeoutMs, orderId));
  }

  /** Enqueues the void of an authorization no order uses. */
  public Future<RowSet<Row>> enqueueVoid(SqlClient client, String authorizationId) {
    return client
        .preparedQuery(ENQUEUE_VOID)
        .execute(Tuple.of(authorizationId, attempts, timeoutMs));
  }

  /**
   * A statement for a data-modifying CTE: enqueues the void of the authorization of each row of
   * {@code orders} (a name the statement defines, with the columns {@code id} and {@code
   * payment_authorization}) that has one. Once the provider confirms, the job marks the order's
   * payment {@code voided} (if it is still cancelled with that authorization held), bumps its
   * version, appends {@code order.payment_voided}, sends the cache invalidation message and evicts
   * it here.
   */
  public String enqueueVoidsOf(String orders) {
    return JobStatements.INSERT
        + " SELECT '"
        + VOID
        + "', jsonb_build_object('authorization_id', v.payment_authorization, 'order_id', v.id), "
        + VOID_PRIORITY
        + ", now(), "
        + attempts
        + ", "
        + timeoutMs
        + ", 'void:' || v.payment_authorization, NULL FROM "
        + orders
        + " v WHERE v.payment_authorization IS NOT NULL"
        + JobStatements.UNLESS_PENDING;
  }
}
