package dev.hotpath.compute.relay;

import dev.hotpath.compute.Position;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One outbox row as the relay publishes it: its place in the log, its type and aggregate, its
 * payload (JSON text as PostgreSQL stored it), when it was written and the W3C {@code traceparent}
 * of the request that wrote it (null for seeds, imports and jobs).
 */
record OutboxEvent(
    Position position,
    String type,
    long aggregateId,
    String payload,
    Instant createdAt,
    @Nullable String traceParent) {

  /** The schema version of the record value ({@code api/events/v1/event.schema.json}). */
  static final int SCHEMA_VERSION = 1;

  long id() {
    return position.id();
  }

  /** {@code orders} for {@code order.*} events, {@code customers} for {@code customer.*}. */
  String aggregateType() {
    int dot = type.indexOf('.');
    return (dot < 0 ? type : type.substring(0, dot)) + "s";
  }

  String topic(String prefix) {
    return prefix + aggregateType();
  }

  String key() {
    return Long.toString(aggregateId);
  }

  /**
   * The record value: the envelope of {@code api/events/v1/event.schema.json} around the payload.
   * Every part but the payload is a number, a type constant or an ISO instant, so no escaping is
   * needed; the payload is already JSON.
   */
  byte[] value() {
    String json =
        "{\"schema_version\":"
            + SCHEMA_VERSION
            + ",\"id\":"
            + position.id()
            + ",\"type\":\""
            + type
            + "\",\"aggregate_type\":\""
            + aggregateType()
            + "\",\"aggregate_id\":"
            + aggregateId
            + ",\"occurred_at\":\""
            + createdAt
            + "\",\"data\":"
            + payload
            + "}";
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
