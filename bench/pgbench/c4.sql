\set c1 random(1, 10000)
\set k1 random(1, 9000000000000000000)
\set n1 random(1, 3)
\set p11 random(1, 1000)
\set p12 1 + (:p11 + random(0, 332)) % 1000
\set p13 1 + (:p11 + random(333, 665)) % 1000
\set q11 random(1, 3)
\set q12 case when :n1 >= 2 then random(1, 3) else 0 end
\set q13 case when :n1 >= 3 then random(1, 3) else 0 end
\set r11 random(100, 99999)
\set r12 random(100, 99999)
\set r13 random(100, 99999)
\set t1 :r11 * :q11 + :r12 * :q12 + :r13 * :q13
\set c2 random(1, 10000)
\set k2 random(1, 9000000000000000000)
\set n2 random(1, 3)
\set p21 random(1, 1000)
\set p22 1 + (:p21 + random(0, 332)) % 1000
\set p23 1 + (:p21 + random(333, 665)) % 1000
\set q21 random(1, 3)
\set q22 case when :n2 >= 2 then random(1, 3) else 0 end
\set q23 case when :n2 >= 3 then random(1, 3) else 0 end
\set r21 random(100, 99999)
\set r22 random(100, 99999)
\set r23 random(100, 99999)
\set t2 :r21 * :q21 + :r22 * :q22 + :r23 * :q23
\set c3 random(1, 10000)
\set k3 random(1, 9000000000000000000)
\set n3 random(1, 3)
\set p31 random(1, 1000)
\set p32 1 + (:p31 + random(0, 332)) % 1000
\set p33 1 + (:p31 + random(333, 665)) % 1000
\set q31 random(1, 3)
\set q32 case when :n3 >= 2 then random(1, 3) else 0 end
\set q33 case when :n3 >= 3 then random(1, 3) else 0 end
\set r31 random(100, 99999)
\set r32 random(100, 99999)
\set r33 random(100, 99999)
\set t3 :r31 * :q31 + :r32 * :q32 + :r33 * :q33
\set c4 random(1, 10000)
\set k4 random(1, 9000000000000000000)
\set n4 random(1, 3)
\set p41 random(1, 1000)
\set p42 1 + (:p41 + random(0, 332)) % 1000
\set p43 1 + (:p41 + random(333, 665)) % 1000
\set q41 random(1, 3)
\set q42 case when :n4 >= 2 then random(1, 3) else 0 end
\set q43 case when :n4 >= 3 then random(1, 3) else 0 end
\set r41 random(100, 99999)
\set r42 random(100, 99999)
\set r43 random(100, 99999)
\set t4 :r41 * :q41 + :r42 * :q42 + :r43 * :q43
\startpipeline
BEGIN;
WITH k AS MATERIALIZED (SELECT lk, key, cust, ord FROM unnest(ARRAY[:k1::bigint, :k2::bigint, :k3::bigint, :k4::bigint], ARRAY[:k1::text, :k2::text, :k3::text, :k4::text], ARRAY[:c1::bigint, :c2::bigint, :c3::bigint, :c4::bigint]) WITH ORDINALITY AS k(lk, key, cust, ord)), claim_lock AS MATERIALIZED (SELECT ord, cust, key, pg_try_advisory_xact_lock(lk) AS got FROM k), claim AS (SELECT ord, cust, got, got AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE client_id = :client AND key = claim_lock.key AND expires_at > now()) AS free FROM claim_lock), p AS MATERIALIZED (SELECT id, name, price_minor, currency, stock, status FROM products WHERE id = ANY((ARRAY[:p11::bigint, :p12::bigint, :p13::bigint])[1 : :n1] || (ARRAY[:p21::bigint, :p22::bigint, :p23::bigint])[1 : :n2] || (ARRAY[:p31::bigint, :p32::bigint, :p33::bigint])[1 : :n3] || (ARRAY[:p41::bigint, :p42::bigint, :p43::bigint])[1 : :n4]) ORDER BY id FOR UPDATE) SELECT claim.ord, claim.got, claim.free, c.status, c.address::text, NULL::bigint AS id, NULL::text AS name, NULL::bigint AS price_minor, NULL::char(3) AS currency, NULL::int AS stock, NULL::text AS pstatus FROM claim LEFT JOIN customers c ON c.id = claim.cust UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, p.* FROM p;
\endpipeline
\startpipeline
WITH x AS MATERIALIZED (SELECT month_id(now(), nextval('orders_seq')) AS id, x.* FROM unnest(ARRAY[:c1::bigint, :c2::bigint, :c3::bigint, :c4::bigint], ARRAY[:t1::bigint, :t2::bigint, :t3::bigint, :t4::bigint], ARRAY[:n1::int, :n2::int, :n3::int, :n4::int]) WITH ORDINALITY AS x(customer_id, total, n, ord)), l AS MATERIALIZED (SELECT * FROM unnest(ARRAY[1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4], ARRAY[1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], ARRAY[:p11::bigint, :p12::bigint, :p13::bigint, :p21::bigint, :p22::bigint, :p23::bigint, :p31::bigint, :p32::bigint, :p33::bigint, :p41::bigint, :p42::bigint, :p43::bigint], array_fill(:pname::text, ARRAY[12]), ARRAY[:r11::bigint, :r12::bigint, :r13::bigint, :r21::bigint, :r22::bigint, :r23::bigint, :r31::bigint, :r32::bigint, :r33::bigint, :r41::bigint, :r42::bigint, :r43::bigint], ARRAY[:q11::int, :q12::int, :q13::int, :q21::int, :q22::int, :q23::int, :q31::int, :q32::int, :q33::int, :q41::int, :q42::int, :q43::int]) AS l(ord, line_no, product_id, product_name, unit_price_minor, quantity) WHERE quantity > 0), s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1, updated_at = now() FROM (SELECT product_id AS id, sum(quantity)::int AS qty FROM l GROUP BY product_id) AS r WHERE p.id = r.id AND p.id = ANY(ARRAY[:p11::bigint, :p12::bigint, :p13::bigint, :p21::bigint, :p22::bigint, :p23::bigint, :p31::bigint, :p32::bigint, :p33::bigint, :p41::bigint, :p42::bigint, :p43::bigint])), o AS (INSERT INTO orders (id, customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address, payment_status, payment_authorization) SELECT x.id, x.customer_id, :st::text, :cur::char(3), x.total, x.total, x.n, :addr::text::jsonb, NULL::text, NULL::text FROM x ORDER BY x.ord RETURNING id, customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address::text, version, created_at, updated_at, payment_status, payment_authorization), k AS (INSERT INTO orders_by_customer (customer_id, created_at, order_id) SELECT customer_id, created_at, id FROM o), i AS (INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor) SELECT x.customer_id, x.id, l.line_no, l.product_id, l.product_name, l.unit_price_minor, l.quantity, l.unit_price_minor * l.quantity FROM l JOIN x USING (ord) RETURNING order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor), e AS (INSERT INTO outbox (type, aggregate_id, payload, trace_parent, cache_origin) SELECT 'order.created', o.id, jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency', o.currency, 'total_minor', o.total_minor, 'created_at', o.created_at, 'source', 'api', 'items', :items::text::jsonb), :tp::text, :origin::text FROM o) SELECT o.*, i.* FROM o JOIN i ON i.order_id = o.id ORDER BY o.id, i.line_no;
\endpipeline
\startpipeline
WITH s AS (INSERT INTO idempotency_keys (client_id, key, fingerprint, status, location, content_type, body, etag, expires_at) SELECT :client::text, r.key, :fp::bytea, :sc::smallint, :loc::text, :ctype::text, r.body, :etag::text, now() + make_interval(secs => :ttl::float8) FROM unnest(ARRAY[:k1::text, :k2::text, :k3::text, :k4::text], ARRAY[:body::bytea, :body::bytea, :body::bytea, :body::bytea]) AS r(key, body) ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location, content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag, created_at = now(), expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at <= now() RETURNING 1) SELECT 1 / ((SELECT count(*)::int FROM s) = 4)::int;
COMMIT;
\endpipeline
