-- Shard-ready keys (#21): every line of an order carries its order's customer_id, the key the
-- schema is to be distributed by (docs/data-at-scale.md), so that the statements on a customer's
-- lines name the customer and a distributed PostgreSQL finds them on that customer's shard.
--
-- What it costs on a database with rows (measured on 1M seeded orders, 2.2M lines, 289 MB of
-- order_items, on a busy 2-core machine):
--   1. ADD COLUMN ... NOT NULL DEFAULT 0: catalog only (a stored "missing value"), no rewrite and
--      no scan, whatever the size: 15-20 ms.
--   2. One UPDATE joined to orders: with enable_partitionwise_join, one hash join per month, each
--      month of order_items with the month of orders of the same bounds (they share them, V12).
--      Every line is written again: 21-34 s, and order_items grows to 819 MB with the old row
--      versions, 585 MB once (auto)vacuum has reclaimed them; a VACUUM FULL gives the disk back.
--   3. DROP DEFAULT: catalog only. From here a writer that leaves customer_id out fails (NOT NULL)
--      instead of writing 0.
-- Measured against: adding the column nullable, the same UPDATE, then SET NOT NULL, which scans
-- every partition again under an exclusive lock (1.4 s more on 1M orders) for the same result.
-- On an empty database (a new install) all three steps are catalog changes.
--
-- The foreign key stays (order_id) -> orders (id); it does not become (customer_id, order_id) ->
-- orders (customer_id, id). Such a key needs a unique constraint on orders (customer_id, id): a
-- second unique index on every partition of orders (30 MB per 1M orders next to the primary key's
-- 22 MB, and one more index insertion per order placed) for a guarantee the writers give by
-- construction (the API's insert takes the order's customer_id from the order it just inserted;
-- the import and the seed write both rows from the same value; OrderLineKeysTest checks all
-- three). A distributed database needs the distribution column in every unique constraint anyway,
-- so when the schema is distributed, orders' primary key becomes (id, customer_id) and the
-- colocated foreign key (order_id, customer_id) -> orders (id, customer_id) comes with it, at no
-- extra index; until then, one node keeps the narrower key that also makes an id unique.
-- No index takes customer_id: a customer's lines are read by their order ids (primary key probes),
-- customer_id is checked on the rows those probes find (docs/data-at-scale.md).

ALTER TABLE order_items ADD COLUMN customer_id bigint NOT NULL DEFAULT 0;

-- for this transaction only (Flyway runs each migration in one)
SET LOCAL enable_partitionwise_join = on;
UPDATE order_items i SET customer_id = o.customer_id FROM orders o WHERE o.id = i.order_id;

ALTER TABLE order_items ALTER COLUMN customer_id DROP DEFAULT;
