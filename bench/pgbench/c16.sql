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
\set c5 random(1, 10000)
\set k5 random(1, 9000000000000000000)
\set n5 random(1, 3)
\set p51 random(1, 1000)
\set p52 1 + (:p51 + random(0, 332)) % 1000
\set p53 1 + (:p51 + random(333, 665)) % 1000
\set q51 random(1, 3)
\set q52 case when :n5 >= 2 then random(1, 3) else 0 end
\set q53 case when :n5 >= 3 then random(1, 3) else 0 end
\set r51 random(100, 99999)
\set r52 random(100, 99999)
\set r53 random(100, 99999)
\set t5 :r51 * :q51 + :r52 * :q52 + :r53 * :q53
\set c6 random(1, 10000)
\set k6 random(1, 9000000000000000000)
\set n6 random(1, 3)
\set p61 random(1, 1000)
\set p62 1 + (:p61 + random(0, 332)) % 1000
\set p63 1 + (:p61 + random(333, 665)) % 1000
\set q61 random(1, 3)
\set q62 case when :n6 >= 2 then random(1, 3) else 0 end
\set q63 case when :n6 >= 3 then random(1, 3) else 0 end
\set r61 random(100, 99999)
\set r62 random(100, 99999)
\set r63 random(100, 99999)
\set t6 :r61 * :q61 + :r62 * :q62 + :r63 * :q63
\set c7 random(1, 10000)
\set k7 random(1, 9000000000000000000)
\set n7 random(1, 3)
\set p71 random(1, 1000)
\set p72 1 + (:p71 + random(0, 332)) % 1000
\set p73 1 + (:p71 + random(333, 665)) % 1000
\set q71 random(1, 3)
\set q72 case when :n7 >= 2 then random(1, 3) else 0 end
\set q73 case when :n7 >= 3 then random(1, 3) else 0 end
\set r71 random(100, 99999)
\set r72 random(100, 99999)
\set r73 random(100, 99999)
\set t7 :r71 * :q71 + :r72 * :q72 + :r73 * :q73
\set c8 random(1, 10000)
\set k8 random(1, 9000000000000000000)
\set n8 random(1, 3)
\set p81 random(1, 1000)
\set p82 1 + (:p81 + random(0, 332)) % 1000
\set p83 1 + (:p81 + random(333, 665)) % 1000
\set q81 random(1, 3)
\set q82 case when :n8 >= 2 then random(1, 3) else 0 end
\set q83 case when :n8 >= 3 then random(1, 3) else 0 end
\set r81 random(100, 99999)
\set r82 random(100, 99999)
\set r83 random(100, 99999)
\set t8 :r81 * :q81 + :r82 * :q82 + :r83 * :q83
\set c9 random(1, 10000)
\set k9 random(1, 9000000000000000000)
\set n9 random(1, 3)
\set p91 random(1, 1000)
\set p92 1 + (:p91 + random(0, 332)) % 1000
\set p93 1 + (:p91 + random(333, 665)) % 1000
\set q91 random(1, 3)
\set q92 case when :n9 >= 2 then random(1, 3) else 0 end
\set q93 case when :n9 >= 3 then random(1, 3) else 0 end
\set r91 random(100, 99999)
\set r92 random(100, 99999)
\set r93 random(100, 99999)
\set t9 :r91 * :q91 + :r92 * :q92 + :r93 * :q93
\set c10 random(1, 10000)
\set k10 random(1, 9000000000000000000)
\set n10 random(1, 3)
\set p101 random(1, 1000)
\set p102 1 + (:p101 + random(0, 332)) % 1000
\set p103 1 + (:p101 + random(333, 665)) % 1000
\set q101 random(1, 3)
\set q102 case when :n10 >= 2 then random(1, 3) else 0 end
\set q103 case when :n10 >= 3 then random(1, 3) else 0 end
\set r101 random(100, 99999)
\set r102 random(100, 99999)
\set r103 random(100, 99999)
\set t10 :r101 * :q101 + :r102 * :q102 + :r103 * :q103
\set c11 random(1, 10000)
\set k11 random(1, 9000000000000000000)
\set n11 random(1, 3)
\set p111 random(1, 1000)
\set p112 1 + (:p111 + random(0, 332)) % 1000
\set p113 1 + (:p111 + random(333, 665)) % 1000
\set q111 random(1, 3)
\set q112 case when :n11 >= 2 then random(1, 3) else 0 end
\set q113 case when :n11 >= 3 then random(1, 3) else 0 end
\set r111 random(100, 99999)
\set r112 random(100, 99999)
\set r113 random(100, 99999)
\set t11 :r111 * :q111 + :r112 * :q112 + :r113 * :q113
\set c12 random(1, 10000)
\set k12 random(1, 9000000000000000000)
\set n12 random(1, 3)
\set p121 random(1, 1000)
\set p122 1 + (:p121 + random(0, 332)) % 1000
\set p123 1 + (:p121 + random(333, 665)) % 1000
\set q121 random(1, 3)
\set q122 case when :n12 >= 2 then random(1, 3) else 0 end
\set q123 case when :n12 >= 3 then random(1, 3) else 0 end
\set r121 random(100, 99999)
\set r122 random(100, 99999)
\set r123 random(100, 99999)
\set t12 :r121 * :q121 + :r122 * :q122 + :r123 * :q123
\set c13 random(1, 10000)
\set k13 random(1, 9000000000000000000)
\set n13 random(1, 3)
\set p131 random(1, 1000)
\set p132 1 + (:p131 + random(0, 332)) % 1000
\set p133 1 + (:p131 + random(333, 665)) % 1000
\set q131 random(1, 3)
\set q132 case when :n13 >= 2 then random(1, 3) else 0 end
\set q133 case when :n13 >= 3 then random(1, 3) else 0 end
\set r131 random(100, 99999)
\set r132 random(100, 99999)
\set r133 random(100, 99999)
\set t13 :r131 * :q131 + :r132 * :q132 + :r133 * :q133
\set c14 random(1, 10000)
\set k14 random(1, 9000000000000000000)
\set n14 random(1, 3)
\set p141 random(1, 1000)
\set p142 1 + (:p141 + random(0, 332)) % 1000
\set p143 1 + (:p141 + random(333, 665)) % 1000
\set q141 random(1, 3)
\set q142 case when :n14 >= 2 then random(1, 3) else 0 end
\set q143 case when :n14 >= 3 then random(1, 3) else 0 end
\set r141 random(100, 99999)
\set r142 random(100, 99999)
\set r143 random(100, 99999)
\set t14 :r141 * :q141 + :r142 * :q142 + :r143 * :q143
\set c15 random(1, 10000)
\set k15 random(1, 9000000000000000000)
\set n15 random(1, 3)
\set p151 random(1, 1000)
\set p152 1 + (:p151 + random(0, 332)) % 1000
\set p153 1 + (:p151 + random(333, 665)) % 1000
\set q151 random(1, 3)
\set q152 case when :n15 >= 2 then random(1, 3) else 0 end
\set q153 case when :n15 >= 3 then random(1, 3) else 0 end
\set r151 random(100, 99999)
\set r152 random(100, 99999)
\set r153 random(100, 99999)
\set t15 :r151 * :q151 + :r152 * :q152 + :r153 * :q153
\set c16 random(1, 10000)
\set k16 random(1, 9000000000000000000)
\set n16 random(1, 3)
\set p161 random(1, 1000)
\set p162 1 + (:p161 + random(0, 332)) % 1000
\set p163 1 + (:p161 + random(333, 665)) % 1000
\set q161 random(1, 3)
\set q162 case when :n16 >= 2 then random(1, 3) else 0 end
\set q163 case when :n16 >= 3 then random(1, 3) else 0 end
\set r161 random(100, 99999)
\set r162 random(100, 99999)
\set r163 random(100, 99999)
\set t16 :r161 * :q161 + :r162 * :q162 + :r163 * :q163
\startpipeline
BEGIN;
WITH k AS MATERIALIZED (SELECT lk, key, cust, ord FROM unnest(ARRAY[:k1::bigint, :k2::bigint, :k3::bigint, :k4::bigint, :k5::bigint, :k6::bigint, :k7::bigint, :k8::bigint, :k9::bigint, :k10::bigint, :k11::bigint, :k12::bigint, :k13::bigint, :k14::bigint, :k15::bigint, :k16::bigint], ARRAY[:k1::text, :k2::text, :k3::text, :k4::text, :k5::text, :k6::text, :k7::text, :k8::text, :k9::text, :k10::text, :k11::text, :k12::text, :k13::text, :k14::text, :k15::text, :k16::text], ARRAY[:c1::bigint, :c2::bigint, :c3::bigint, :c4::bigint, :c5::bigint, :c6::bigint, :c7::bigint, :c8::bigint, :c9::bigint, :c10::bigint, :c11::bigint, :c12::bigint, :c13::bigint, :c14::bigint, :c15::bigint, :c16::bigint]) WITH ORDINALITY AS k(lk, key, cust, ord)), claim_lock AS MATERIALIZED (SELECT ord, cust, key, pg_try_advisory_xact_lock(lk) AS got FROM k), claim AS (SELECT ord, cust, got, got AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE client_id = :client AND key = claim_lock.key AND expires_at > now()) AS free FROM claim_lock), p AS MATERIALIZED (SELECT id, name, price_minor, currency, stock, status FROM products WHERE id = ANY((ARRAY[:p11::bigint, :p12::bigint, :p13::bigint])[1 : :n1] || (ARRAY[:p21::bigint, :p22::bigint, :p23::bigint])[1 : :n2] || (ARRAY[:p31::bigint, :p32::bigint, :p33::bigint])[1 : :n3] || (ARRAY[:p41::bigint, :p42::bigint, :p43::bigint])[1 : :n4] || (ARRAY[:p51::bigint, :p52::bigint, :p53::bigint])[1 : :n5] || (ARRAY[:p61::bigint, :p62::bigint, :p63::bigint])[1 : :n6] || (ARRAY[:p71::bigint, :p72::bigint, :p73::bigint])[1 : :n7] || (ARRAY[:p81::bigint, :p82::bigint, :p83::bigint])[1 : :n8] || (ARRAY[:p91::bigint, :p92::bigint, :p93::bigint])[1 : :n9] || (ARRAY[:p101::bigint, :p102::bigint, :p103::bigint])[1 : :n10] || (ARRAY[:p111::bigint, :p112::bigint, :p113::bigint])[1 : :n11] || (ARRAY[:p121::bigint, :p122::bigint, :p123::bigint])[1 : :n12] || (ARRAY[:p131::bigint, :p132::bigint, :p133::bigint])[1 : :n13] || (ARRAY[:p141::bigint, :p142::bigint, :p143::bigint])[1 : :n14] || (ARRAY[:p151::bigint, :p152::bigint, :p153::bigint])[1 : :n15] || (ARRAY[:p161::bigint, :p162::bigint, :p163::bigint])[1 : :n16]) ORDER BY id FOR UPDATE) SELECT claim.ord, claim.got, claim.free, c.status, c.address::text, NULL::bigint AS id, NULL::text AS name, NULL::bigint AS price_minor, NULL::char(3) AS currency, NULL::int AS stock, NULL::text AS pstatus FROM claim LEFT JOIN customers c ON c.id = claim.cust UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, p.* FROM p;
\endpipeline
\startpipeline
WITH x AS MATERIALIZED (SELECT month_id(now(), nextval('orders_seq')) AS id, x.* FROM unnest(ARRAY[:c1::bigint, :c2::bigint, :c3::bigint, :c4::bigint, :c5::bigint, :c6::bigint, :c7::bigint, :c8::bigint, :c9::bigint, :c10::bigint, :c11::bigint, :c12::bigint, :c13::bigint, :c14::bigint, :c15::bigint, :c16::bigint], ARRAY[:t1::bigint, :t2::bigint, :t3::bigint, :t4::bigint, :t5::bigint, :t6::bigint, :t7::bigint, :t8::bigint, :t9::bigint, :t10::bigint, :t11::bigint, :t12::bigint, :t13::bigint, :t14::bigint, :t15::bigint, :t16::bigint], ARRAY[:n1::int, :n2::int, :n3::int, :n4::int, :n5::int, :n6::int, :n7::int, :n8::int, :n9::int, :n10::int, :n11::int, :n12::int, :n13::int, :n14::int, :n15::int, :n16::int]) WITH ORDINALITY AS x(customer_id, total, n, ord)), l AS MATERIALIZED (SELECT * FROM unnest(ARRAY[1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15, 16, 16, 16], ARRAY[1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3], ARRAY[:p11::bigint, :p12::bigint, :p13::bigint, :p21::bigint, :p22::bigint, :p23::bigint, :p31::bigint, :p32::bigint, :p33::bigint, :p41::bigint, :p42::bigint, :p43::bigint, :p51::bigint, :p52::bigint, :p53::bigint, :p61::bigint, :p62::bigint, :p63::bigint, :p71::bigint, :p72::bigint, :p73::bigint, :p81::bigint, :p82::bigint, :p83::bigint, :p91::bigint, :p92::bigint, :p93::bigint, :p101::bigint, :p102::bigint, :p103::bigint, :p111::bigint, :p112::bigint, :p113::bigint, :p121::bigint, :p122::bigint, :p123::bigint, :p131::bigint, :p132::bigint, :p133::bigint, :p141::bigint, :p142::bigint, :p143::bigint, :p151::bigint, :p152::bigint, :p153::bigint, :p161::bigint, :p162::bigint, :p163::bigint], array_fill(:pname::text, ARRAY[48]), ARRAY[:r11::bigint, :r12::bigint, :r13::bigint, :r21::bigint, :r22::bigint, :r23::bigint, :r31::bigint, :r32::bigint, :r33::bigint, :r41::bigint, :r42::bigint, :r43::bigint, :r51::bigint, :r52::bigint, :r53::bigint, :r61::bigint, :r62::bigint, :r63::bigint, :r71::bigint, :r72::bigint, :r73::bigint, :r81::bigint, :r82::bigint, :r83::bigint, :r91::bigint, :r92::bigint, :r93::bigint, :r101::bigint, :r102::bigint, :r103::bigint, :r111::bigint, :r112::bigint, :r113::bigint, :r121::bigint, :r122::bigint, :r123::bigint, :r131::bigint, :r132::bigint, :r133::bigint, :r141::bigint, :r142::bigint, :r143::bigint, :r151::bigint, :r152::bigint, :r153::bigint, :r161::bigint, :r162::bigint, :r163::bigint], ARRAY[:q11::int, :q12::int, :q13::int, :q21::int, :q22::int, :q23::int, :q31::int, :q32::int, :q33::int, :q41::int, :q42::int, :q43::int, :q51::int, :q52::int, :q53::int, :q61::int, :q62::int, :q63::int, :q71::int, :q72::int, :q73::int, :q81::int, :q82::int, :q83::int, :q91::int, :q92::int, :q93::int, :q101::int, :q102::int, :q103::int, :q111::int, :q112::int, :q113::int, :q121::int, :q122::int, :q123::int, :q131::int, :q132::int, :q133::int, :q141::int, :q142::int, :q143::int, :q151::int, :q152::int, :q153::int, :q161::int, :q162::int, :q163::int]) AS l(ord, line_no, product_id, product_name, unit_price_minor, quantity) WHERE quantity > 0), s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1, updated_at = now() FROM (SELECT product_id AS id, sum(quantity)::int AS qty FROM l GROUP BY product_id) AS r WHERE p.id = r.id AND p.id = ANY(ARRAY[:p11::bigint, :p12::bigint, :p13::bigint, :p21::bigint, :p22::bigint, :p23::bigint, :p31::bigint, :p32::bigint, :p33::bigint, :p41::bigint, :p42::bigint, :p43::bigint, :p51::bigint, :p52::bigint, :p53::bigint, :p61::bigint, :p62::bigint, :p63::bigint, :p71::bigint, :p72::bigint, :p73::bigint, :p81::bigint, :p82::bigint, :p83::bigint, :p91::bigint, :p92::bigint, :p93::bigint, :p101::bigint, :p102::bigint, :p103::bigint, :p111::bigint, :p112::bigint, :p113::bigint, :p121::bigint, :p122::bigint, :p123::bigint, :p131::bigint, :p132::bigint, :p133::bigint, :p141::bigint, :p142::bigint, :p143::bigint, :p151::bigint, :p152::bigint, :p153::bigint, :p161::bigint, :p162::bigint, :p163::bigint])), o AS (INSERT INTO orders (id, customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address, payment_status, payment_authorization) SELECT x.id, x.customer_id, :st::text, :cur::char(3), x.total, x.total, x.n, :addr::text::jsonb, NULL::text, NULL::text FROM x ORDER BY x.ord RETURNING id, customer_id, status, currency, subtotal_minor, total_minor, item_count, shipping_address::text, version, created_at, updated_at, payment_status, payment_authorization), k AS (INSERT INTO orders_by_customer (customer_id, created_at, order_id) SELECT customer_id, created_at, id FROM o), i AS (INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor) SELECT x.customer_id, x.id, l.line_no, l.product_id, l.product_name, l.unit_price_minor, l.quantity, l.unit_price_minor * l.quantity FROM l JOIN x USING (ord) RETURNING order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor), e AS (INSERT INTO outbox (type, aggregate_id, payload, trace_parent, cache_origin) SELECT 'order.created', o.id, jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency', o.currency, 'total_minor', o.total_minor, 'created_at', o.created_at, 'source', 'api', 'items', :items::text::jsonb), :tp::text, :origin::text FROM o) SELECT o.*, i.* FROM o JOIN i ON i.order_id = o.id ORDER BY o.id, i.line_no;
\endpipeline
\startpipeline
WITH s AS (INSERT INTO idempotency_keys (client_id, key, fingerprint, status, location, content_type, body, etag, expires_at) SELECT :client::text, r.key, :fp::bytea, :sc::smallint, :loc::text, :ctype::text, r.body, :etag::text, now() + make_interval(secs => :ttl::float8) FROM unnest(ARRAY[:k1::text, :k2::text, :k3::text, :k4::text, :k5::text, :k6::text, :k7::text, :k8::text, :k9::text, :k10::text, :k11::text, :k12::text, :k13::text, :k14::text, :k15::text, :k16::text], ARRAY[:body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea, :body::bytea]) AS r(key, body) ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, location = EXCLUDED.location, content_type = EXCLUDED.content_type, body = EXCLUDED.body, etag = EXCLUDED.etag, created_at = now(), expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at <= now() RETURNING 1) SELECT 1 / ((SELECT count(*)::int FROM s) = 16)::int;
COMMIT;
\endpipeline
