package dev.hotpath.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hotpath.config.OutsideSettings;
import dev.hotpath.http.Deadline;
import dev.hotpath.outside.OutsideClient;
import dev.hotpath.outside.OutsideServices;
import dev.hotpath.outside.Payments;
import dev.hotpath.serve.OrderRepresentation;
import dev.hotpath.serve.cache.CacheInvalidation;
import dev.hotpath.serve.cache.ResponseCache;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import dev.hotpath.store.OrderStatements;
import dev.hotpath.store.Outbox;
import dev.hotpath.store.PaymentJobStatements;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The payment jobs: {@value #AUTHORIZE} authorizes an order accepted as {@code payment_pending}
 * (the provider did not answer in time when it was placed), {@value #VOID} voids an authorization
 * that no order uses (the order was refused after it was authorized, or its total changed, or it
 * was cancelled: see {@link PaymentJobStatements#enqueueVoidsOf}).
 *
 * <p>Authorizing asks the provider with the same idempotency key the order's placement used, so a
 * payment the provider made while the order's own call timed out is found, not made twice; it is
 * asked once per attempt (the job queue is the layer that retries, with its backoff). An
 * authorization marks the order {@code paid} and appends {@code order.paid}; a decline marks it
 * {@code payment_failed}, puts its stock back and appends {@code order.cancelled} (reason {@code
 * payment_declined}, so the read models drop it); no answer fails the attempt.
 *
 * <p>An order cancelled while its payment was pending is asked for all the same, because the
 * provider may hold its payment although the placement heard no answer: an authorization is
 * recorded on the order as held and its void enqueued in that transaction (the order's payment then
 * ends {@code voided}, as a cancelled paid order's does); a decline marks the payment {@code
 * declined}. Neither touches the order's status or stock. The price of asking: when the placement's
 * call never reached the provider, this replay makes a hold only to void it.
 *
 * <p>Every change sends the cache invalidation message in its transaction and evicts the order from
 * this process's cache. Idempotent: each change applies only to an order in the state it expects,
 * so a rerun finds nothing left to change.
 */
public final class PaymentJobs {
  public static final String AUTHORIZE = PaymentJobStatements.AUTHORIZE;
  public static final String VOID = PaymentJobStatements.VOID;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String ORDER =
      "SELECT status, total_minor, currency, customer_id, payment_status FROM orders WHERE id = $1";

  /**
   * After the provider confirmed the void of a cancelled order's authorization: the order's payment
   * is {@code voided} and {@code order.payment_voided} appended. Only a cancelled order still
   * showing that authorization as held changes, so a rerun changes nothing and appends nothing.
   */
  private static final String VOIDED =
      "WITH o AS (UPDATE orders SET payment_status = 'voided', version = version + 1,"
          + " updated_at = now()"
          + " WHERE id = $1 AND payment_authorization = $2 AND status = 'cancelled'"
          + " AND payment_status = 'authorized'"
          + " RETURNING id, customer_id, currency, total_minor, updated_at),"
          + " e AS ("
          + Outbox.append(
              Outbox.ORDER_PAYMENT_VOIDED,
              "o",
              "o.id",
              paymentPayload(", 'voided_at', o.updated_at"))
          + ")"
          + " SELECT customer_id FROM o";

  private static final String PAID =
      "WITH o AS (UPDATE orders SET status = 'paid', payment_status = 'authorized',"
          + " payment_authorization = $2, version = version + 1, updated_at = now()"
          + " WHERE id = $1 AND status = 'payment_pending'"
          + " RETURNING id, customer_id, currency, total_minor, created_at),"
          + " e AS ("
          + Outbox.append(Outbox.ORDER_PAID, "o", "o.id", paymentPayload(""))
          + ")"
          + " SELECT customer_id FROM o";

  private static final String FAILED =
      "WITH o AS (UPDATE orders SET status = 'payment_failed', payment_status = 'declined',"
          + " version = version + 1, updated_at = now()"
          + " WHERE id = $1 AND status = 'payment_pending' RETURNING "
          + OrderRepresentation.COLUMNS
          + "),"
          + OrderStatements.takeBack(", 'reason', 'payment_declined'")
          + " SELECT customer_id FROM o";

  /** Order {@code $1}, when it was cancelled while its payment was pending. */
  private static final String CANCELLED_WHILE_PENDING =
      " WHERE id = $1 AND status = 'cancelled' AND payment_status = 'pending'";

  /**
   * An authorization found for an order cancelled while its payment was pending: recorded as held
   * ({@code $2}); the void of it follows in the same statement (see the constructor).
   */
  private static final String HELD_CTE =
      "WITH o AS (UPDATE orders SET payment_status = 'authorized', payment_authorization = $2,"
          + " version = version + 1, updated_at = now()"
          + CANCELLED_WHILE_PENDING
          + " RETURNING id, customer_id, payment_authorization)";

  /** A decline for an order cancelled while its payment was pending. */
  private static final String DECLINED_AFTER_CANCEL =
      "UPDATE orders SET payment_status = 'declined', version = version + 1, updated_at = now()"
          + CANCELLED_WHILE_PENDING
          + " RETURNING customer_id";

  /**
   * The payload of a payment event over the CTE {@code o} (with {@code id, customer_id, currency,
   * total_minor}) and the authorization {@code $2}, then {@code moreFields} (key/value pairs, each
   * led by a comma, or empty).
   */
  private static String paymentPayload(String moreFields) {
    return "jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency',"
        + " o.currency, 'total_minor', o.total_minor, 'authorization_id', $2::text"
        + moreFields
        + ")";
  }

  private final OutsideServices services;
  private final OutsideSettings settings;
  private final PaymentJobStatements enqueue;
  private final ResponseCache cache;
  private final String held;
  private OutsideClient client;

  public PaymentJobs(OutsideServices services, ResponseCache cache) {
    this.services = services;
    this.settings = services.settings();
    this.enqueue = new PaymentJobStatements(settings);
    this.cache = cache;
    // built here: the void job's attempts and timeout are settings
    this.held = HELD_CTE + ", v AS (" + enqueue.enqueueVoidsOf("o") + ") SELECT customer_id FROM o";
  }

  /** Registers both job kinds. */
  public void register(JobHandlers handlers) {
    handlers.register(AUTHORIZE, this::authorize).register(VOID, this::voidIt);
  }

  private Future<String> authorize(Job job) {
    JsonNode payload = read(job.payload());
    long orderId = payload.get("order_id").asLong();
    String key = payload.get("key").asText();
    return job.pool()
        .preparedQuery(ORDER)
        .execute(Tuple.of(orderId))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture("{\"skipped\":\"no such order\"}");
              }
              Row order = rows.iterator().next();
              String status = order.getString(0);
              boolean pending = "payment_pending".equals(status);
              boolean cancelledUnpaid =
                  "cancelled".equals(status) && "pending".equals(order.getString(4));
              if (!pending && !cancelledUnpaid) {
                return Future.succeededFuture("{\"skipped\":\"" + status + "\"}");
              }
              return Payments.authorize(
                      client(job.vertx()),
                      key,
                      order.getLong(1),
                      order.getString(2),
                      key,
                      Deadline.after(System.nanoTime(), settings.paymentsJobTimeout()),
                      1)
                  .compose(outcome -> settle(job, orderId, pending, outcome));
            });
  }

  /**
   * Applies the provider's answer; {@code pending}: the order was still {@code payment_pending}
   * when read (else it was cancelled with its payment pending, and cancelled orders stay so).
   */
  private Future<String> settle(Job job, long orderId, boolean pending, Payments.Outcome outcome) {
    return switch (outcome) {
      case Payments.Authorized a -> authorized(job, orderId, pending, a.id());
      case Payments.Declined d -> declined(job, orderId, pending, d.reason());
      case Payments.Unavailable u -> Future.failedFuture("payments unavailable: " + u.why());
    };
  }

  private Future<String> authorized(Job job, long orderId, boolean pending, String authorization) {
    Tuple args = Tuple.of(orderId, authorization);
    return inTransaction(
        job,
        (conn, changed) ->
            (pending ? change(conn, PAID, args, List.of(), changed) : Future.succeededFuture(false))
                .compose(
                    paid -> {
                      if (paid) {
                        return Future.succeededFuture("{\"authorized\":\"" + authorization + "\"}");
                      }
                      // cancelled before or while we asked: nobody will capture it
                      return change(conn, held, args, List.of(), changed)
                          .compose(
                              recorded ->
                                  recorded
                                      ? Future.succeededFuture(true)
                                      : enqueue.enqueueVoid(conn, authorization).map(true))
                          .map("{\"voiding\":\"" + authorization + "\"}");
                    }));
  }

  private Future<String> declined(Job job, long orderId, boolean pending, String reason) {
    Tuple id = Tuple.of(orderId);
    String answer = "{\"declined\":" + JSON.valueToTree(reason).toString() + "}";
    return inTransaction(
        job,
        (conn, changed) ->
            (pending ? failed(conn, id, changed) : Future.succeededFuture(false))
                .compose(
                    orderFailed ->
                        orderFailed
                            ? Future.succeededFuture(true)
                            : change(conn, DECLINED_AFTER_CANCEL, id, List.of(), changed))
                .map(done -> done ? answer : "{\"skipped\":true}"));
  }

  /**
   * The order fails its payment: stock back, order.cancelled. The order is locked first, then its
   * products, in the cancellation's order (products first deadlocked with a cancellation of the
   * same order).
   */
  private Future<Boolean> failed(SqlConnection conn, Tuple id, List<Owner> changed) {
    return conn.preparedQuery(OrderStatements.LOCK_ORDER)
        .execute(id)
        .compose(order -> conn.preparedQuery(OrderStatements.LOCK_PRODUCTS).execute(id))
        .compose(
            products -> {
              List<Owner> stock = new ArrayList<>(products.size());
              for (Row p : products) {
                stock.add(new Owner(Kind.PRODUCT, p.getLong(0)));
              }
              return change(conn, FAILED, id, stock, changed);
            });
  }

  /** The work of a job in one transaction, given where to list what it changed. */
  private interface Work {
    Future<String> apply(SqlConnection conn, List<Owner> changed);
  }

  /**
   * Runs {@code work} in a transaction that also completes the job's attempt with its answer (one
   * commit per job, not one for the change and one for the completion); after the commit, evicts
   * here what it changed.
   */
  private Future<String> inTransaction(Job job, Work work) {
    List<Owner> changed = new ArrayList<>();
    return job.pool()
        .withTransaction(
            conn ->
                work.apply(conn, changed)
                    .compose(answer -> job.completeIn(conn, answer).map(answer)))
        .onSuccess(done -> cache.invalidate(changed));
  }

  /**
   * Runs {@code sql} (an order change with the order's id first in {@code args}, returning the
   * order's {@code customer_id}, or no row when it did not apply); when it changed the order, lists
   * the order, the customer's orders and {@code alsoChanged} in {@code changed} and sends the cache
   * invalidation message in the transaction. True when it changed the order.
   */
  private Future<Boolean> change(
      SqlConnection conn, String sql, Tuple args, List<Owner> alsoChanged, List<Owner> changed) {
    return conn.preparedQuery(sql)
        .execute(args)
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture(false);
              }
              changed.add(new Owner(Kind.ORDER, args.getLong(0)));
              changed.add(new Owner(Kind.CUSTOMER_ORDERS, rows.iterator().next().getLong(0)));
              changed.addAll(alsoChanged);
              return conn.preparedQuery(CacheInvalidation.NOTIFY)
                  .execute(Tuple.of(CacheInvalidation.payload(cache.origin(), changed)))
                  .map(true);
            });
  }

  /**
   * Voids the payload's authorization; when the payload names the cancelled order that held it,
   * then marks that order's payment {@code voided} and appends {@code order.payment_voided}, in one
   * transaction. A void the provider did not confirm fails the attempt (the queue retries it); a
   * rerun after the provider confirmed voids again (the provider answers the same) and finds the
   * order already marked, so the event is appended once.
   */
  private Future<String> voidIt(Job job) {
    JsonNode payload = read(job.payload());
    String id = payload.get("authorization_id").asText();
    String voided = "{\"voided\":\"" + id + "\"}";
    Future<Void> confirmed =
        Payments.voidAuthorization(
            client(job.vertx()),
            id,
            Deadline.after(System.nanoTime(), settings.paymentsJobTimeout()));
    JsonNode order = payload.get("order_id");
    if (order == null) {
      return confirmed.map(voided);
    }
    Tuple args = Tuple.of(order.asLong(), id);
    return confirmed.compose(
        done ->
            inTransaction(
                job,
                (conn, changed) -> change(conn, VOIDED, args, List.of(), changed).map(voided)));
  }

  private static JsonNode read(String payload) {
    try {
      return JSON.readTree(payload);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The compute loop's client, made on first use there (jobs run on that loop). */
  private synchronized OutsideClient client(Vertx vertx) {
    if (client == null) {
      client = OutsideClient.create(vertx, services);
    }
    return client;
  }
}
