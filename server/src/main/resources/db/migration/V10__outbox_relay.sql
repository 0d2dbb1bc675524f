-- Compute: where the outbox relay to Kafka is in the log, and who may move it.
-- The relay reads the outbox in the consumers' (txid, id) order (see compute/OutboxConsumer) and
-- moves last_txid/last_id only after the broker has acknowledged every event up to them. epoch is
-- the fencing token: the instance that takes the relay's lock bumps it, and a position update
-- naming an older epoch changes nothing (an instance that lost the lock cannot move the offset).
CREATE TABLE relay_offsets (
    relay       text        PRIMARY KEY,
    last_txid   xid8        NOT NULL DEFAULT '0',
    last_id     bigint      NOT NULL DEFAULT 0,
    events      bigint      NOT NULL DEFAULT 0,
    epoch       bigint      NOT NULL DEFAULT 0,
    owner       text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO relay_offsets (relay) VALUES ('kafka');
