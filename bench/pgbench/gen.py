#!/usr/bin/env python3
"""Writes the pgbench scripts of bench/pgbench (issue #17, group commit): an order's transaction as
the server runs it (ingest/OrderWrites READ and WRITE, ingest/IdempotencyStore SAVE; their text is
read from the built jar by Dump.java into SQL_DIR), in three shapes:

  a.sql       one order per transaction, as today: (BEGIN + READ), WRITE, (SAVE + COMMIT)
  b<G>.sql    G orders per transaction: (BEGIN + the group's products locked in id order by one
              statement + G READs), (G WRITEs), (G SAVEs + COMMIT)
  c<G>.sql    G orders per transaction, set-based: (BEGIN + one READ of the group's claims,
              customers and products), (one WRITE of all its orders, lines, keys and events),
              (one SAVE of all its keys + COMMIT)

Each parenthesised group is one pgbench pipeline, one round trip, as the server pipelines them.
Every order: a random customer of 1..10000, 1 to 3 distinct products of 1..1000, quantities 1-3, a
fresh idempotency key. The server's statements keep their text; only their bind parameters become
pgbench variables (arrays as ARRAY[...] of variables, sliced to the order's line count). The
constants (client, address, names, body, ...) come from run.sh's -D options.

  python3 bench/pgbench/gen.py SQL_DIR OUT_DIR
"""
import pathlib
import re
import sys

sql_dir, out_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
READ = (sql_dir / "READ.sql").read_text().strip()
WRITE = (sql_dir / "WRITE.sql").read_text().strip()
SAVE = (sql_dir / "SAVE.sql").read_text().strip()
out_dir.mkdir(parents=True, exist_ok=True)


def variables(j):
    """pgbench \\set lines drawing order j's customer, key, lines and prices."""
    return f"""\\set c{j} random(1, 10000)
\\set k{j} random(1, 9000000000000000000)
\\set n{j} random(1, 3)
\\set p{j}1 random(1, 1000)
\\set p{j}2 1 + (:p{j}1 + random(0, 332)) % 1000
\\set p{j}3 1 + (:p{j}1 + random(333, 665)) % 1000
\\set q{j}1 random(1, 3)
\\set q{j}2 case when :n{j} >= 2 then random(1, 3) else 0 end
\\set q{j}3 case when :n{j} >= 3 then random(1, 3) else 0 end
\\set r{j}1 random(100, 99999)
\\set r{j}2 random(100, 99999)
\\set r{j}3 random(100, 99999)
\\set t{j} :r{j}1 * :q{j}1 + :r{j}2 * :q{j}2 + :r{j}3 * :q{j}3
"""


def arr(j, v, typ):
    """Order j's line array of variable v, sliced to its line count."""
    return f"(ARRAY[:{v}{j}1::{typ}, :{v}{j}2::{typ}, :{v}{j}3::{typ}])[1 : :n{j}]"


def bind(sql, params):
    return re.sub(r"\$(\d+)", lambda m: params[int(m.group(1))], sql)


def read(j):
    return bind(READ, {1: f":c{j}", 2: arr(j, "p", "bigint"), 3: f":k{j}", 4: ":client",
                       5: f":k{j}::text"})


def write(j):
    return bind(WRITE, {1: f":c{j}", 2: ":cur", 3: f":t{j}", 4: f":n{j}", 5: ":addr",
                        6: f"(ARRAY[1, 2, 3])[1 : :n{j}]", 7: arr(j, "p", "bigint"),
                        8: f"array_fill(:pname::text, ARRAY[:n{j}::int])",
                        9: arr(j, "r", "bigint"), 10: arr(j, "q", "int"), 11: ":items",
                        12: ":st", 13: "NULL::text", 14: "NULL::text", 15: ":tp", 16: ":origin"})


def save(j):
    return bind(SAVE, {1: ":client", 2: f":k{j}::text", 3: ":fp", 4: ":sc", 5: ":loc",
                       6: ":ctype", 7: ":body", 8: ":etag", 9: ":ttl"})


def pipeline(*statements):
    return "\\startpipeline\n" + "".join(s + ";\n" for s in statements) + "\\endpipeline\n"


def all_products(g):
    return " || ".join(arr(j, "p", "bigint") for j in range(1, g + 1))


def shape_a():
    return variables(1) + pipeline("BEGIN", read(1)) + pipeline(write(1)) + pipeline(save(1), "COMMIT")


def shape_b(g):
    lock = f"SELECT id FROM products WHERE id = ANY({all_products(g)}) ORDER BY id FOR UPDATE"
    js = range(1, g + 1)
    return ("".join(variables(j) for j in js)
            + pipeline("BEGIN", lock, *[read(j) for j in js])
            + pipeline(*[write(j) for j in js])
            + pipeline(*[save(j) for j in js], "COMMIT"))


def each(g, f, sep=", "):
    return sep.join(f(j) for j in range(1, g + 1))


def lines(g, f):
    return ", ".join(f(j, k) for j in range(1, g + 1) for k in (1, 2, 3))


def shape_c(g):
    read_all = (
        "WITH k AS MATERIALIZED (SELECT lk, key, cust, ord FROM unnest("
        f"ARRAY[{each(g, lambda j: f':k{j}::bigint')}], ARRAY[{each(g, lambda j: f':k{j}::text')}],"
        f" ARRAY[{each(g, lambda j: f':c{j}::bigint')}]) WITH ORDINALITY AS k(lk, key, cust, ord)),"
        " claim_lock AS MATERIALIZED (SELECT ord, cust, key, pg_try_advisory_xact_lock(lk) AS got FROM k),"
        " claim AS (SELECT ord, cust, got, got AND NOT EXISTS (SELECT 1 FROM idempotency_keys"
        " WHERE client_id = :client AND key = claim_lock.key AND expires_at > now()) AS free FROM claim_lock),"
        " p AS MATERIALIZED (SELECT id, name, price_minor, currency, stock, status FROM products"
        f" WHERE id = ANY({all_products(g)}) ORDER BY id FOR UPDATE)"
        " SELECT claim.ord, claim.got, claim.free, c.status, c.address::text, NULL::bigint AS id,"
        " NULL::text AS name, NULL::bigint AS price_minor, NULL::char(3) AS currency, NULL::int AS stock,"
        " NULL::text AS pstatus FROM claim LEFT JOIN customers c ON c.id = claim.cust"
        " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, p.* FROM p")
    write_all = (
        "WITH x AS MATERIALIZED (SELECT month_id(now(), nextval('orders_seq')) AS id, x.* FROM unnest("
        f"ARRAY[{each(g, lambda j: f':c{j}::bigint')}], ARRAY[{each(g, lambda j: f':t{j}::bigint')}],"
        f" ARRAY[{each(g, lambda j: f':n{j}::int')}]) WITH ORDINALITY AS x(customer_id, total, n, ord)),"
        " l AS MATERIALIZED (SELECT * FROM unnest("
        f"ARRAY[{lines(g, lambda j, k: str(j))}], ARRAY[{lines(g, lambda j, k: str(k))}],"
        f" ARRAY[{lines(g, lambda j, k: f':p{j}{k}::bigint')}], array_fill(:pname::text, ARRAY[{3 * g}]),"
        f" ARRAY[{lines(g, lambda j, k: f':r{j}{k}::bigint')}], ARRAY[{lines(g, lambda j, k: f':q{j}{k}::int')}])"
        " AS l(ord, line_no, product_id, product_name, unit_price_minor, quantity) WHERE quantity > 0),"
        " s AS (UPDATE products p SET stock = p.stock - r.qty, version = p.version + 1, updated_at = now()"
        " FROM (SELECT product_id AS id, sum(quantity)::int AS qty FROM l GROUP BY product_id) AS r"
        f" WHERE p.id = r.id AND p.id = ANY(ARRAY[{lines(g, lambda j, k: f':p{j}{k}::bigint')}])),"
        " o AS (INSERT INTO orders (id, customer_id, status, currency, subtotal_minor, total_minor, item_count,"
        " shipping_address, payment_status, payment_authorization) SELECT x.id, x.customer_id, :st::text,"
        " :cur::char(3), x.total, x.total, x.n, :addr::text::jsonb, NULL::text, NULL::text FROM x ORDER BY x.ord"
        " RETURNING id, customer_id, status, currency, subtotal_minor, total_minor, item_count,"
        " shipping_address::text, version, created_at, updated_at, payment_status, payment_authorization),"
        " k AS (INSERT INTO orders_by_customer (customer_id, created_at, order_id) SELECT customer_id, created_at, id FROM o),"
        " i AS (INSERT INTO order_items (customer_id, order_id, line_no, product_id, product_name, unit_price_minor,"
        " quantity, line_total_minor) SELECT x.customer_id, x.id, l.line_no, l.product_id, l.product_name,"
        " l.unit_price_minor, l.quantity, l.unit_price_minor * l.quantity FROM l JOIN x USING (ord)"
        " RETURNING order_id, line_no, product_id, product_name, unit_price_minor, quantity, line_total_minor),"
        " e AS (INSERT INTO outbox (type, aggregate_id, payload, trace_parent, cache_origin) SELECT 'order.created',"
        " o.id, jsonb_build_object('order_id', o.id, 'customer_id', o.customer_id, 'currency', o.currency,"
        " 'total_minor', o.total_minor, 'created_at', o.created_at, 'source', 'api', 'items', :items::text::jsonb),"
        " :tp::text, :origin::text FROM o)"
        " SELECT o.*, i.* FROM o JOIN i ON i.order_id = o.id ORDER BY o.id, i.line_no")
    save_all = (
        "WITH s AS (INSERT INTO idempotency_keys (client_id, key, fingerprint, status, location, content_type,"
        " body, etag, expires_at) SELECT :client::text, r.key, :fp::bytea, :sc::smallint, :loc::text, :ctype::text,"
        " r.body, :etag::text, now() + make_interval(secs => :ttl::float8) FROM unnest("
        f"ARRAY[{each(g, lambda j: f':k{j}::text')}], ARRAY[{each(g, lambda j: ':body::bytea')}]) AS r(key, body)"
        " ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
        " status = EXCLUDED.status, location = EXCLUDED.location, content_type = EXCLUDED.content_type,"
        " body = EXCLUDED.body, etag = EXCLUDED.etag, created_at = now(), expires_at = EXCLUDED.expires_at"
        f" WHERE idempotency_keys.expires_at <= now() RETURNING 1) SELECT 1 / ((SELECT count(*)::int FROM s) = {g})::int")
    return ("".join(variables(j) for j in range(1, g + 1))
            + pipeline("BEGIN", read_all) + pipeline(write_all) + pipeline(save_all, "COMMIT"))


(out_dir / "a.sql").write_text(shape_a())
for g in (4, 8, 16):
    (out_dir / f"b{g}.sql").write_text(shape_b(g))
    (out_dir / f"c{g}.sql").write_text(shape_c(g))
