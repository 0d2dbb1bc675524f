"""Helper of scripts/attribute-writes.sh: names each PostgreSQL backend by what it ran, and splits
the backends' CPU and pg_stat_statements' time per order. Arguments: OUT_DIR REQUESTS CLK_TCK."""
import collections
import sys

out, n, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

# the component of a statement, by the first marker its text contains
MARKERS = [
    ("projection lag (readiness gauge)", "extract(epoch FROM now() - o.created_at)"),
    ("jobs: cache NOTIFY (payment handlers)", "', $1)"),
    ("order group: claims + customers + products locked", "WITH ORDINALITY AS k(lock_key"),
    ("order group: stock, orders, lines, events", "WITH x AS MATERIALIZED"),
    ("order: key claim", "pg_try_advisory_xact_lock($1) AS got"),
    ("order: customer + products locked", "WITH p AS MATERIALIZED"),
    ("order: key claim + customer + products locked (one statement)", "p AS MATERIALIZED"),
    ("order: stock, order, lines, event", "WITH s AS (UPDATE products"),
    ("order: payment job enqueue", "payment.authorize"),
    ("order: payment job enqueue", "'payment.void'"),
    ("order: idempotency save", "INSERT INTO idempotency_keys"),
    ("payment quote (before the tx)", "FROM products WHERE id = ANY($1)"),
    ("consumer: lock", "outbox-consumer"),
    ("consumer: offset", "FROM consumer_offsets"),
    ("consumer: batch end", "count(*) OVER () FROM (SELECT txid, id FROM outbox"),
    ("consumer: move offset", "UPDATE consumer_offsets"),
    ("projection: customer_order_summary", "customer_order_summary"),
    ("projection: product_stats", "product_stats"),
    ("projection: analytics", "analytics_counters"),
    ("projection: notifications", "INSERT INTO notifications"),
    ("projection: cache invalidation", "pg_notify"),
    ("relay", "relay_offsets"),
    ("webhooks", "webhook"),
    ("jobs: claim", "FOR UPDATE SKIP LOCKED"),
    ("jobs: complete/fail/reap", "UPDATE jobs"),
    ("jobs: payment handlers", "payment_status"),
    ("jobs: stats/other", "FROM jobs"),
    ("projection lag", "outbox"),
    ("tx control", "BEGIN"),
    ("tx control", "COMMIT"),
    ("tx control", "ROLLBACK"),
    ("listen", "LISTEN"),
]


def component(query):
    for name, marker in MARKERS:
        if marker in query:
            return name
    return "other: " + query[:60]


# the pool of a backend, by the statements seen on it
POOL_OF = {
    "order": "write pool: the order's transaction (alone or a group)",
    "payment quote (before the tx)": "read pool: payment quote",
    "consumer": "compute pool: consumers, jobs",
    "projection": "compute pool: consumers, jobs",
    "jobs": "compute pool: consumers, jobs",
    "projection lag": "compute pool: consumers, jobs",
    "relay": "relay",
    "webhooks": "compute pool: consumers, jobs",
    "listen": "cache listener",
}


def pool(comp):
    for prefix, name in POOL_OF.items():
        if comp.startswith(prefix):
            return name
    return None


seen = collections.defaultdict(collections.Counter)
for line in open(f"{out}/activity.txt"):
    pid, _, query = line.rstrip("\n").partition("|")
    if pid.isdigit():
        p = pool(component(query))
        if p:
            seen[pid][p] += 1


def ticks(name):
    t = {}
    for line in open(f"{out}/{name}"):
        parts = line.split(maxsplit=2)
        if len(parts) >= 2:
            t[parts[0]] = (int(parts[1]), parts[2].strip() if len(parts) > 2 else "")
    return t


before, after = ticks("before.txt"), ticks("after.txt")
cpu = collections.Counter()
count = collections.Counter()
for pid, (t1, cmd) in after.items():
    d = t1 - before.get(pid, (0, ""))[0]
    if seen.get(pid):
        name = seen[pid].most_common(1)[0][0]
    elif "postgres postgres" in cmd:
        name = "client backend, not seen running (idle)"
    else:
        name = "postgres: " + cmd.replace("postgres: ", "").split("  ")[0].strip()
    cpu[name] += d
    count[name] += 1
print("\nPostgreSQL CPU per request by process (from /proc; backends named by what they ran)")
for name, d in cpu.most_common():
    print(f"  {d / hz * 1e6 / n:7.1f} us  {name} ({count[name]} processes)")

print("\nStatements per request (pg_stat_statements: exec + plan time, calls, buffers, WAL records)")
by = collections.defaultdict(lambda: [0.0, 0, 0, 0])
rows = []
for line in open(f"{out}/statements.tsv"):
    f = line.rstrip("\n").split("\t")
    if len(f) < 8:
        continue
    calls, ex, pl, _, bufs, _, wal, query = int(f[0]), float(f[1]), float(f[2]), f[3], int(f[4]), f[5], int(f[6]), f[7]
    c = component(query)
    b = by[c]
    b[0] += (ex + pl) * 1000 / n
    b[1] += calls
    b[2] += bufs
    b[3] += wal
    rows.append((c, calls, (ex + pl) * 1000 / n, bufs / max(calls, 1), wal / max(calls, 1), query))
total = sum(v[0] for v in by.values())
for c, v in sorted(by.items(), key=lambda kv: -kv[1][0]):
    print(f"  {v[0]:7.1f} us {100 * v[0] / total:5.1f} %  calls/req {v[1] / n:5.2f}  buffers/req {v[2] / n:6.1f}  WAL rec/req {v[3] / n:5.2f}  {c}")
print("\nTop statements (us per request, calls, buffers per call, WAL records per call)")
for c, calls, us, bpc, wpc, query in sorted(rows, key=lambda r: -r[2])[:25]:
    print(f"  {us:7.1f} us  {calls:7d}  {bpc:6.1f} buf  {wpc:5.1f} wal  {c}: {query[:90]}")
