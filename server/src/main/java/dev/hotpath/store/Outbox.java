package dev.hotpath.store;

/**
 * Appends events to the outbox, always inside the statement (a CTE) or transaction that makes the
 * state change, so an event exists exactly when its change does. The outbox is the event log that
 * compute/ consumes; see {@code compute.OutboxConsumer} for the read side and its ordering rule.
 *
 * <p>Event payloads are JSON objects. Order events carry {@code order_id, customer_id, currency,
 * total_minor, created_at, source, items[{product_id, quantity, line_total_minor}]}; {@code source}
 * is {@code api}, {@code seed} or {@code import} (side effects such as confirmation messages are
 * for {@code api} orders only). Payment events ({@code order.paid}, {@code order.payment_voided})
 * carry {@code order_id, customer_id, currency, total_minor, authorization_id} and, for a void,
 * {@code voided_at}.
 */
public final class Outbox {
  public static final String ORDER_CREATED = "order.created";
  public static final String ORDER_CANCELLED = "order.cancelled";
  public static final String ORDER_PAID = "order.paid";
  public static final String ORDER_PAYMENT_VOIDED = "order.payment_voided";
  public static final String CUSTOMER_CREATED = "customer.created";
  public static final String CUSTOMER_UPDATED = "customer.updated";

  private Outbox() {}

  /**
   * An {@code INSERT} appending one event of {@code type} per row of {@code from} (a CTE name or a
   * table expression), for use as a data-modifying CTE. {@code type} must be one of the constants
   * above (it is inlined, never user input).
   */
  public static String append(String type, String from, String aggregateId, String payload) {
    return append(type, from, aggregateId, payload, "NULL");
  }

  /**
   * As {@link #append(String, String, String, String)}, with the W3C {@code traceparent} of the
   * request that made the change ({@code traceParent}: an SQL text expression, usually a bind
   * parameter, null when there is none). The relay hands it on to Kafka, so a consumer's span
   * continues the trace of the request that caused its event.
   */
  public static String append(
      String type, String from, String aggregateId, String payload, String traceParent) {
    return append(type, from, aggregateId, payload, traceParent, "NULL");
  }

  /**
   * As {@link #append(String, String, String, String, String)}, with the response cache origin of
   * the instance that made the change ({@code cacheOrigin}: an SQL text expression): the log's
   * cache invalidation messages ({@code compute.OrderInvalidations}) carry it, so that the writer,
   * which evicted before it answered, skips them.
   */
  public static String append(
      String type,
      String from,
      String aggregateId,
      String payload,
      String traceParent,
      String cacheOrigin) {
    return "INSERT INTO outbox (type, aggregate_id, payload, trace_parent, cache_origin) SELECT '"
        + type
        + "', "
        + aggregateId
        + ", "
        + payload
        + ", "
        + traceParent
        + ", "
        + cacheOrigin
        + " FROM "
        + from;
  }

  /** The payload expression of an order event over an orders row or CTE {@code o}. */
  public static String orderPayload(String o, String source, String items) {
    return "jsonb_build_object('order_id', "
        + o
        + ".id, 'customer_id', "
        + o
        + ".customer_id, 'currency', "
        + o
        + ".currency, 'total_minor', "
        + o
        + ".total_minor, 'created_at', "
        + o
        + ".created_at, 'source', '"
        + source
        + "', 'items', "
        + items
        + ")";
  }
}
