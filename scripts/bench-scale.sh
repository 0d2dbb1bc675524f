#!/usr/bin/env bash
# Data at scale (#21): does a request cost the same at 1M, 10M and 50M orders?
# For each size: a fresh data folder, `hotpath seed --orders N` (customers and products in
# proportion), a server with the response cache off, then the same uncached reads and writes twice
# each (wrk, DURATION each), and EXPLAIN (ANALYZE, BUFFERS) of every hot query. Results, plans and
# the data size on disk go to OUT (default bench-scale-<date>/).
#
#   scripts/bench-scale.sh                       # 1M 10M 50M: hours and ~120 GB of disk
#   SIZES="1000000" DURATION=5s WARMUP=2s scripts/bench-scale.sh
#   KEEP_SEED=1 OUT=<an earlier run's folder> scripts/bench-scale.sh   # measure again, no new seed
#
# A load benchmark: run it on a quiet machine only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${SIZES:-1000000 10000000 50000000}"
duration="${DURATION:-20s}"
warmup="${WARMUP:-10s}"
port="${BENCH_PORT:-8097}"
out="${OUT:-$root/bench-scale-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 1; }
"$root/hotpath" --help >/dev/null # builds the jar when needed

sql() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -X -q -At "$@"; }

echo "size | read | run | req/s | p99" >"$out/results.txt"
for n in $sizes; do
  data="$out/data-$n"
  if [ "${KEEP_SEED:-0}" = 1 ] && [ -d "$data/pg" ]; then
    echo "== $n orders: the seeded data of an earlier run in $data (KEEP_SEED=1)" | tee -a "$out/seed.txt"
  else
    rm -rf "$data"
    echo "== $n orders: seed" | tee -a "$out/seed.txt"
    "$root/hotpath" seed --orders "$n" --data-dir "$data" 2>/dev/null | tee -a "$out/seed.txt"
  fi
  env HOTPATH_PORT="$port" HOTPATH_CACHE_MAX_MB=0 HOTPATH_DATA_DIR="$data" HOTPATH_AUTH=off \
    HOTPATH_RATE_LIMITS=off \
    "$root/hotpath" serve >"$out/server-$n.log" 2>&1 &
  pid=$!
  # ready once the consumers have replayed the seeded events (about 30 s per million here): the
  # reads must not run beside that catch-up
  ready_by=$((SECONDS + ${READY_WAIT_S:-3600}))
  until curl -sf "http://localhost:$port/health/ready" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the server stopped; see $out/server-$n.log" >&2; exit 2; }
    [ "$SECONDS" -lt "$ready_by" ] || { echo "not ready after ${READY_WAIT_S:-3600} s; see $out/server-$n.log" >&2; exit 2; }
    sleep 1
  done
  echo "ready after the consumers' catch-up: $(grep -c 'caught up' "$out/server-$n.log") consumers caught up" | tee -a "$out/seed.txt"
  pg_port=$(sed -n 4p "$data/pg/postmaster.pid")
  customers=$(sql -c "SELECT max(id) FROM customers")
  heavy=$(sql -c "SELECT customer_id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
  order=$(sql -c "SELECT id FROM orders ORDER BY id DESC OFFSET 1000 LIMIT 1")
  # page 50 of the heaviest customer: the cursor of page 49's last order, read through the API
  cursor=""
  for _ in $(seq 1 49); do
    cursor=$(curl -sf "http://localhost:$port/v1/customers/$heavy/orders?fields=id${cursor:+&cursor=$cursor}" |
      sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')
  done
  echo "$(du -sh "$data/pg" | cut -f1) on disk; tables: $(sql -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c WHERE relkind = 'r'")" >"$out/size-$n.txt"
  for read in order-by-id customer-page-1 customer-page-50 customer-summary create-order; do
    case "$read" in
      order-by-id) script="order-by-id.lua"; env_vars=(SEED_ORDERS="$n" MAX_ID="$n") ;;
      customer-page-1) script="customer-orders.lua"; env_vars=(MAX_ID="$customers") ;;
      customer-page-50) script="path.lua"; env_vars=(PATH_TO_GET="/v1/customers/$heavy/orders?cursor=$cursor") ;;
      customer-summary) script="path.lua"; env_vars=(PATH_TO_GET="/v1/customers/$heavy/summary") ;;
      create-order) script="create-order.lua"; env_vars=(MAX_CUSTOMER="$customers" MAX_PRODUCT="$(sql -c "SELECT max(id) FROM products")") ;;
    esac
    # a warm-up of the same workload first (JIT, the size's pages in the buffer cache): without
    # it the first run of a workload measured the warming (1M: 8.9k then 11.8k req/s by id)
    env "${env_vars[@]}" wrk -t1 -c32 -d"$warmup" -s "$root/scripts/wrk/$script" "http://localhost:$port" >/dev/null
    for run in 1 2; do
      res=$(env "${env_vars[@]}" wrk -t1 -c32 -d"$duration" --latency -s "$root/scripts/wrk/$script" "http://localhost:$port")
      echo "$res" >"$out/wrk-$n-$read-$run.txt"
      echo "$n | $read | $run | $(echo "$res" | awk '/Requests\/sec/ {print $2}') | $(echo "$res" | awk '$1=="99%" {print $2}')" | tee -a "$out/results.txt"
    done
  done
  {
    for q in \
      "SELECT o.*, i.* FROM orders o JOIN order_items i ON i.order_id = o.id AND i.customer_id = o.customer_id WHERE o.id = $order ORDER BY i.line_no" \
      "SELECT id, created_at FROM orders WHERE customer_id = $heavy ORDER BY created_at DESC, id DESC LIMIT 21" \
      "SELECT id, created_at FROM orders WHERE customer_id = $heavy AND (created_at, id) < ((SELECT created_at FROM orders WHERE customer_id = $heavy ORDER BY created_at DESC, id DESC OFFSET 980 LIMIT 1), 0) ORDER BY created_at DESC, id DESC LIMIT 21" \
      "SELECT currency, order_count, total_spent_minor, last_order_at FROM customer_order_summary WHERE customer_id = $heavy ORDER BY currency"; do
      echo "-- $q"
      sql -c "EXPLAIN (ANALYZE, BUFFERS) $q"
      echo
    done
  } >"$out/explain-$n.txt"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
echo "results in $out"
