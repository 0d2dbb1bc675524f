-- The W3C traceparent of the request whose transaction appended the event (null for events of
-- seeds, imports and jobs). The relay carries it to Kafka as the record's traceparent header, so a
-- consumer's span continues the trace of the request that caused the event. Adding a nullable
-- column without a default rewrites nothing.
ALTER TABLE outbox ADD COLUMN trace_parent text;
