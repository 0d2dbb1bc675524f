-- One page of a customer's orders (no status filter) in one statement (#22): what
-- GET /v1/customers/{id}/orders reads in two (V15's positions, then its orders by id with the
-- lowest and highest id as parameters), for a caller that may send one statement for the page:
-- GraphQL's customer { orders } field, one statement per field level.
--
-- Why a function: the orders by id are cheap only when PostgreSQL knows the page's id range when
-- the plan starts, so that it leaves out every month the page does not reach (the id carries its
-- month, V12). Inside one plain statement the range comes from the positions, so it is known only
-- while the statement runs, and every month's partition is opened to be probed: that start-up was
-- most of a page's PostgreSQL CPU (the old page statement, a Merge Append over each month's
-- (customer_id, created_at, id) index, cost about twice the two statements together). Here the
-- positions and the range are variables, passed as parameters to the statement of the orders, so
-- its plan (generic, as the server's connections run everything) is pruned when it starts.
--
-- Rows come as orders rows, in the page's order (newest first), lim at most; after_at and after_id
-- are the cursor's position (both null: from the top).
CREATE FUNCTION customer_order_page(p_customer bigint, p_after_at timestamptz, p_after_id bigint,
                                    p_limit integer)
    RETURNS SETOF orders LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_ids  bigint[];
    v_low  bigint;
    v_high bigint;
BEGIN
    IF p_after_at IS NULL THEN
        v_ids := ARRAY(SELECT k.order_id FROM orders_by_customer k
                       WHERE k.customer_id = p_customer
                       ORDER BY k.created_at DESC, k.order_id DESC LIMIT p_limit);
    ELSE
        v_ids := ARRAY(SELECT k.order_id FROM orders_by_customer k
                       WHERE k.customer_id = p_customer
                         AND (k.created_at, k.order_id) < (p_after_at, p_after_id)
                       ORDER BY k.created_at DESC, k.order_id DESC LIMIT p_limit);
    END IF;
    IF cardinality(v_ids) = 0 THEN
        RETURN;
    END IF;
    SELECT min(x), max(x) INTO v_low, v_high FROM unnest(v_ids) AS x;
    RETURN QUERY
        SELECT o.* FROM unnest(v_ids) WITH ORDINALITY AS p(id, n)
        CROSS JOIN LATERAL (SELECT * FROM orders
                            WHERE orders.id = p.id AND orders.customer_id = p_customer
                              AND orders.id BETWEEN v_low AND v_high LIMIT 1) o
        ORDER BY p.n;
END $$;
