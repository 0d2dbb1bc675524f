-- Data at scale (#21): orders, order_items and outbox become partitioned by month, in place.
--
-- The key: an id carries its month. id = month_key << 40 | n, where month_key counts months from
-- January 2000 (UTC) and n comes from the table's sequence. So a range of ids is a range of months,
-- the tables are partitioned by RANGE (id) (order_items by order_id) and a lookup by id prunes to
-- one partition: "order by id" stays one index lookup, with no global index and no second query.
-- Ids stay below 2^53 until the year 2682, so JSON clients that hold numbers as doubles keep them.
-- docs/data-at-scale.md records the measurements behind the choice.
--
-- Rows that exist when this runs keep their ids (all below 2^40: month key 0, January 2000): the
-- old tables are attached, without copying, as each table's partition for month key 0 ("_legacy").

CREATE FUNCTION month_key(ts timestamptz) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (extract(year FROM ts AT TIME ZONE 'UTC')::bigint - 2000) * 12
           + extract(month FROM ts AT TIME ZONE 'UTC')::bigint - 1;

-- The id of a row created at ts whose sequence number is n.
CREATE FUNCTION month_id(ts timestamptz, n bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (month_key(ts) << 40) | (n & 1099511627775);

-- Creates the missing monthly partitions of parent (orders, order_items or outbox) for every month
-- from the month of first to the month of last, and returns how many it created. The bounds of
-- month m are [m << 40, (m + 1) << 40). Idempotent.
CREATE FUNCTION create_month_partitions(parent text, first timestamptz, last timestamptz)
    RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    m       bigint := month_key(first);
    stop    bigint := month_key(last);
    made    integer := 0;
    name    text;
BEGIN
    IF parent NOT IN ('orders', 'order_items', 'outbox') THEN
        RAISE EXCEPTION 'not a monthly partitioned table: %', parent;
    END IF;
    WHILE m <= stop LOOP
        name := format('%s_y%sm%s', parent, lpad((2000 + m / 12)::text, 4, '0'),
                       lpad((m % 12 + 1)::text, 2, '0'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                           name, parent, m << 40, (m + 1) << 40);
            made := made + 1;
        END IF;
        m := m + 1;
    END LOOP;
    RETURN made;
END $$;

-- Renames every index of tbl to <name>_legacy, so that the partitioned parent can take the names.
CREATE FUNCTION pg_temp.rename_indexes(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    idx text;
BEGIN
    FOR idx IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = tbl::regclass LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', idx, idx || '_legacy');
    END LOOP;
END $$;

-- The foreign key between the old tables is replaced by one between the parents (below).
ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey;

-- orders ------------------------------------------------------------------------------------------
ALTER TABLE orders RENAME TO orders_legacy;
SELECT pg_temp.rename_indexes('orders_legacy');
ALTER TABLE orders_legacy RENAME CONSTRAINT orders_customer_id_fkey TO orders_customer_id_fkey_legacy;
CREATE SEQUENCE orders_seq;
SELECT setval('orders_seq', coalesce((SELECT max(id) FROM orders_legacy), 0) + 1, false);
ALTER TABLE orders_legacy ALTER COLUMN id DROP IDENTITY;

CREATE TABLE orders (LIKE orders_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (id);
ALTER TABLE orders ALTER COLUMN id SET DEFAULT month_id(now(), nextval('orders_seq'));
ALTER SEQUENCE orders_seq OWNED BY orders.id;
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
    FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_customer_status_created ON orders (customer_id, status, created_at DESC, id DESC);
ALTER TABLE orders ATTACH PARTITION orders_legacy FOR VALUES FROM (MINVALUE) TO (1099511627776);
CREATE TABLE orders_default PARTITION OF orders DEFAULT;

-- order_items -------------------------------------------------------------------------------------
ALTER TABLE order_items RENAME TO order_items_legacy;
SELECT pg_temp.rename_indexes('order_items_legacy');
ALTER TABLE order_items_legacy
    RENAME CONSTRAINT order_items_product_id_fkey TO order_items_product_id_fkey_legacy;
CREATE TABLE order_items (LIKE order_items_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (order_id);
ALTER TABLE order_items ADD CONSTRAINT order_items_pkey PRIMARY KEY (order_id, line_no);
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey
    FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE order_items ATTACH PARTITION order_items_legacy
    FOR VALUES FROM (MINVALUE) TO (1099511627776);
CREATE TABLE order_items_default PARTITION OF order_items DEFAULT;
-- A database created empty has nothing to keep: no legacy partitions (an empty partition only adds
-- a subplan to every plan). The same for the outbox below.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM orders_legacy) AND NOT EXISTS (SELECT 1 FROM order_items_legacy) THEN
        DROP TABLE order_items_legacy;
        DROP TABLE orders_legacy;
    END IF;
END $$;
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id);

-- outbox ------------------------------------------------------------------------------------------
ALTER TABLE outbox RENAME TO outbox_legacy;
SELECT pg_temp.rename_indexes('outbox_legacy');
CREATE SEQUENCE outbox_seq;
SELECT setval('outbox_seq', coalesce((SELECT max(id) FROM outbox_legacy), 0) + 1, false);
ALTER TABLE outbox_legacy ALTER COLUMN id DROP IDENTITY;
CREATE TABLE outbox (LIKE outbox_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (id);
ALTER TABLE outbox ALTER COLUMN id SET DEFAULT month_id(now(), nextval('outbox_seq'));
ALTER SEQUENCE outbox_seq OWNED BY outbox.id;
ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);
CREATE INDEX outbox_position ON outbox (txid, id);
ALTER TABLE outbox ATTACH PARTITION outbox_legacy FOR VALUES FROM (MINVALUE) TO (1099511627776);
CREATE TABLE outbox_default PARTITION OF outbox DEFAULT;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM outbox_legacy) THEN
        DROP TABLE outbox_legacy;
    END IF;
END $$;

-- this month and the next three; the maintenance job keeps creating them ahead
SELECT create_month_partitions(t, now(), now() + interval '3 months')
  FROM unnest(ARRAY['orders', 'order_items', 'outbox']) AS t;
