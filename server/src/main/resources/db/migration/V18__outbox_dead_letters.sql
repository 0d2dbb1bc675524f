-- Events a consumer could not apply (a data error of PostgreSQL, SQLSTATE class 22 or 23, three
-- times alone): recorded here and passed over, so that one bad event does not hold back every
-- event behind it (compute/OutboxConsumer). The event itself stays in the outbox; after fixing it
-- (or the consumer), apply it by hand or rebuild the read model (./hotpath rebuild).
CREATE TABLE outbox_dead_letters (
  consumer text NOT NULL,
  txid xid8 NOT NULL,
  event_id bigint NOT NULL,
  error text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, txid, event_id)
);
