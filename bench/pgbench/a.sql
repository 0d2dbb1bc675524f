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
\startpipeline
BEGIN;
WITH claim_lock AS (SELECT pg_try_advisory_xact_lock(:k1) AS got), claim AS (SELECT got, got AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE client_id = :client AND key = :k1::text AND expires_at > now()) AS free FROM claim_lock), p AS MATERIALIZED (SELECT id, name, price_minor, currency, stock, status FROM products WHERE id = ANY((ARRAY[:p11::bigint, :p12::bigint, :p13::bigint])[1 : :n1]) ORDER BY id FOR UPDATE) SELECT claim.got, claim.free, c.status, c.address::text, p.* FROM claim LEFT JOIN customers c ON c.id = :c1 LEFT JOIN p ON true;
\endpipeline
\startpipeline
WITH s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1, updated_at = now() FROM unnest((ARRAY[:p11::bigint, :p12::bigint, :p13::bigint])[1 : :n1]::bigint[], (ARRAY[:q11::int, :q12::int, :q13::int])[1 : :n1]::int[]) AS r(id, qty) WHERE p.id = r.id AND p.id = ANY((ARRAY[:p11::bigint, :p12::bigint, :p13::bigint])[1 : :n1]::bigint[])), o AS (INSERT INTO orders (customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address, payment_status, payment_authorization) VALUES (:c1, :st, :cur, :t1, :t1, :n1, :addr::text::jsonb, NULL::text, NULL::text) RETURNING id, customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address::text, version, created_at, updated_at, payment_status, payment_authorization), k AS (INSERT INTO orders_by_customer (customer_id, created_at, order_id) SELECT customer_id, created_at, id FROM o), i AS (INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor) SELECT o.customer_id, o.id, l.line_no, l.product_id, l.product_name, l.unit_price_minor, l.quantity, l.unit_price_minor * l.quantity FROM o, unnest((ARRAY[1, 2, 3])[1 : :n1]::int[], (ARRAY[:p11::bigint, :p12::bigint, :p13::bigint])[1 : :n1]::bigint[], array_fill(:pname::text, ARRAY[:n1::int])::text[], (ARRAY[:r11::bigint, :r12::bigint, :r13::bigint])[1 : :n1]::bigint[], (ARRAY[:q11::int, :q12::int, :q13::int])[1 : :n1]::int[]) AS l(line_no, product_id, product_name, unit_price_minor, quantity) RETURNING line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor), e AS (INSERT INTO outbox (type, aggregate_id, payload, trace_parent, cache_origin) SELECT 'order.created', o.id, jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency', o.currency, 'total_minor', o.total_minor, 'created_at', o.created_at, 'source', 'api', 'items', :items::text::jsonb), :tp::text, :origin::text FROM o) SELECT o.*, i.* FROM o CROSS JOIN i ORDER BY i.line_no;
\endpipeline
\startpipeline
WITH s AS (INSERT INTO idempotency_keys (client_id, key, fingerprint, status, location, content_type, body, etag, expires_at) VALUES (:client, :k1::text, :fp, :sc, :loc, :ctype, :body, :etag, now() + make_interval(secs => :ttl)) ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location, content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag, created_at = now(), expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at <= now() RETURNING 1) SELECT 1 / (SELECT count(*)::int FROM s);
COMMIT;
\endpipeline
