-- Ingest: idempotency keys and the transactional outbox. Compute: consumer offsets, read models
-- and side-effect tables maintained by the outbox consumers.

-- The first completed response to a (client, key), replayed byte for byte on a retry. The row is
-- written in the same transaction as the effect it records, so it exists exactly when the effect
-- does; "still running" is an advisory lock held by that transaction, never a row state.
CREATE TABLE idempotency_keys (
    client_id     text        NOT NULL,
    key           text        NOT NULL,
    fingerprint   bytea       NOT NULL,
    status        smallint    NOT NULL,
    location      text,
    content_type  text        NOT NULL,
    body          bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (client_id, key)
);
-- the purge job deletes by expiry
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- The event log. Consumers read it in (txid, id) order, only below the oldest transaction still
-- in flight (see compute/OutboxConsumer for why not by id alone).
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    type          text        NOT NULL,
    aggregate_id  bigint      NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_position ON outbox (txid, id);

-- Where each consumer is in the log: the (txid, id) of the last event it has applied.
CREATE TABLE consumer_offsets (
    consumer    text        PRIMARY KEY,
    last_txid   xid8        NOT NULL DEFAULT '0',
    last_id     bigint      NOT NULL DEFAULT 0,
    events      bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Read model: per customer and currency, orders not cancelled and what they add up to.
CREATE TABLE customer_order_summary (
    customer_id        bigint      NOT NULL,
    currency           char(3)     NOT NULL,
    order_count        bigint      NOT NULL,
    total_spent_minor  bigint      NOT NULL,
    last_order_at      timestamptz,
    PRIMARY KEY (customer_id, currency)
);

-- Read model: units sold per product and a forward-decay popularity score (exact numeric sum, so
-- the order in which events are applied cannot change it; float8 copy for ordering and cursors).
CREATE TABLE product_stats (
    product_id        bigint  PRIMARY KEY,
    units_sold        bigint  NOT NULL,
    order_count       bigint  NOT NULL,
    popularity_exact  numeric NOT NULL,
    popularity        float8  GENERATED ALWAYS AS (popularity_exact::float8) STORED
);
-- GET /v1/products?sort=popular (keyset on popularity, id)
CREATE INDEX product_stats_popular ON product_stats (popularity DESC, product_id DESC);

-- Side effect: one confirmation message per order placed through the API (outbox event id makes it
-- idempotent).
CREATE TABLE notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL UNIQUE,
    customer_id  bigint      NOT NULL,
    kind         text        NOT NULL,
    subject      text        NOT NULL,
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Side effect: daily analytics counters.
CREATE TABLE analytics_counters (
    day     date   NOT NULL,
    metric  text   NOT NULL,
    value   bigint NOT NULL,
    PRIMARY KEY (day, metric)
);

INSERT INTO consumer_offsets (consumer) VALUES
    ('customer_order_summary'), ('product_stats'), ('notifications'), ('analytics');
