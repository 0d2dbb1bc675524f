-- Order writes (#17): a line's foreign key to its order is checked against the order's month only.
--
-- Before, order_items had one foreign key to the partitioned orders. PostgreSQL checks it, for
-- every line inserted, with a cached generic plan over orders that locks every partition of orders
-- (29 months on the demo data, and each of their primary key indexes) before it prunes to the one
-- that holds the order: most of the 7-10 % of PostgreSQL's CPU per order that went to foreign-key
-- checks (README "Measuring writes").
--
-- Both tables are partitioned by the same key with the same bounds (order_items by order_id, orders
-- by id; create_month_partitions() gives month m the bounds [m << 40, (m + 1) << 40) in both, the
-- legacy partitions [MINVALUE, 1 << 40), and each has a default partition). So a line lies in the
-- partition of order_items whose bounds are those of the partition of orders that holds its order,
-- and a foreign key from each partition of order_items to the partition of orders with the same
-- bounds guarantees what the one foreign key guaranteed: every line's order exists (an order_id
-- that is in no orders partition of its range exists nowhere, since orders routes by the same id).
-- Its check reads one table. The constraints keep the old name, so a refused line reads as before.
--
-- From here create_month_partitions() creates a month of order_items with its foreign key, after
-- the month of orders (which it creates when missing); MonthlyPartitionsTest and
-- OrderItemsForeignKeyTest check that every partition of order_items has its key and that a line
-- without its order is refused in every kind of partition.

-- The writers of lines lock orders, then order_items (an order's statement inserts the order, then
-- its lines): taken in that order up front, the locks below cannot deadlock with them (measured: a
-- migration that took them partition by partition while orders were written deadlocked).
LOCK TABLE orders, order_items IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey;

-- Adds the foreign key of the order_items partition part to the orders partition with the same
-- bounds; fails when there is none (the key could not be kept).
CREATE FUNCTION order_items_partition_fkey(part regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bound  text := (SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.oid = part);
    target regclass;
BEGIN
    SELECT c.oid INTO target
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'orders'::regclass AND pg_get_expr(c.relpartbound, c.oid) = bound;
    IF target IS NULL THEN
        RAISE EXCEPTION 'no partition of orders with the bounds of % (%)', part, bound;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conrelid = part AND confrelid = target AND contype = 'f') THEN
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT order_items_order_id_fkey'
                       ' FOREIGN KEY (order_id) REFERENCES %s (id)', part, target);
    END IF;
END $$;

-- every partition that exists now: the months, the default, and the legacy one if any
SELECT order_items_partition_fkey(i.inhrelid::regclass)
  FROM pg_inherits i WHERE i.inhparent = 'order_items'::regclass;

-- As V12's, but a month of order_items is created after the same month of orders, with its key.
CREATE OR REPLACE FUNCTION create_month_partitions(parent text, first timestamptz, last timestamptz)
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
    IF parent = 'order_items' THEN
        made := made + create_month_partitions('orders', first, last);
    END IF;
    WHILE m <= stop LOOP
        name := format('%s_y%sm%s', parent, lpad((2000 + m / 12)::text, 4, '0'),
                       lpad((m % 12 + 1)::text, 2, '0'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)',
                           name, parent, m << 40, (m + 1) << 40);
            IF parent = 'order_items' THEN
                PERFORM order_items_partition_fkey(name::regclass);
            END IF;
            made := made + 1;
        END IF;
        m := m + 1;
    END LOOP;
    RETURN made;
END $$;
