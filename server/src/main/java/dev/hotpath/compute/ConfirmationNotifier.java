package dev.hotpath.compute;

import java.util.Optional;

/**
 * Side effect: writes an order confirmation (and a cancellation notice) to {@code notifications}
 * for orders placed through the API — never for seeded or imported history. Keyed by the event id,
 * so a redelivered event cannot send a second message. Not rebuildable: messages are sent once.
 */
public final class ConfirmationNotifier extends StatementProjection {
  private static final String APPLY =
      "INSERT INTO notifications (event_id, customer_id, kind, subject, body)"
          + " SELECT id, (payload->>'customer_id')::bigint,"
          + " CASE type WHEN 'order.created' THEN 'order_confirmation' ELSE 'order_cancellation' END,"
          + " CASE type WHEN 'order.created' THEN 'Your order ' ELSE 'Cancelled: order ' END"
          + " || (payload->>'order_id'),"
          + " 'Order ' || (payload->>'order_id') || ' of '"
          + " || jsonb_array_length(payload->'items') || ' line(s), total '"
          + " || (payload->>'total_minor') || ' ' || (payload->>'currency') || ' (minor units) '"
          + " || CASE type WHEN 'order.created' THEN 'is confirmed.' ELSE 'has been cancelled.' END"
          + " FROM outbox WHERE "
          + RANGE
          + " AND type IN ('order.created', 'order.cancelled') AND payload->>'source' = 'api'"
          + " ORDER BY txid, id ON CONFLICT (event_id) DO NOTHING";

  public ConfirmationNotifier() {
    super("notifications", Optional.empty(), APPLY);
  }
}
