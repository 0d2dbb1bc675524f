-- The customer-orders page reads one unpartitioned index (#22, #17): orders_by_customer holds, for
-- every order, its customer, its created_at and its id, keyed in the page's order. A page of
-- GET /v1/customers/{id}/orders (without a status filter) is one range scan of this key (an index
-- only scan: the rows never change), then each of its orders by id, which prunes to the order's
-- month (the id carries it, V12); then the lines of those orders, by order id the same way.
--
-- Before, the page read the index orders_customer_created of every monthly partition (a Merge
-- Append that opens and descends each month's index, then the lines with order_id = ANY(ids) in
-- every month between the page's oldest and newest order). Measured on the demo data (200k orders,
-- 29 partitions of orders; backend CPU over 3,000 pages, generic plans as the server runs them):
-- the page of 20 from 200-300 us to ~155 us, its lines from ~180 us to ~146 us; with more months
-- the old statement grows with them, the new one with the page's rows only. docs/data-at-scale.md.
--
-- Who writes it: every writer of orders, in the order's own statement or transaction (the API's
-- order, the import, the seed); nothing updates it (an order's customer and created_at never change)
-- and nothing deletes orders (retention drops outbox months only). OrdersByCustomerTest checks
-- that every writer keeps it equal to orders. Orders filtered by status keep their own index
-- (orders_customer_status_created): the status changes, this key does not.
--
-- The key is all three columns, so that a page is read from the index alone; 18 MB per 200k orders.
CREATE TABLE orders_by_customer (
    customer_id bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    order_id    bigint      NOT NULL,
    PRIMARY KEY (customer_id, created_at, order_id)
);

-- the orders that exist when this runs (in the key's order, so the index is built in one pass)
INSERT INTO orders_by_customer (customer_id, created_at, order_id)
SELECT customer_id, created_at, id FROM orders ORDER BY customer_id, created_at, id;
