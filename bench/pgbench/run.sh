#!/usr/bin/env bash
# Runs the shapes of bench/pgbench (see gen.py) with pgbench against a PostgreSQL already running
# on this machine, alternating them ROUNDS times, and prints for each run the orders per second and
# PostgreSQL's CPU per order: utime + stime of the postmaster and all its processes (living ones,
# and reaped ones through the postmaster's cutime + cstime), from /proc, over the run.
#   bench/pgbench/run.sh PG_PID PG_PORT [SHAPE[@CLIENTS]...]  (default shapes: a b4 b8 b16 c4 c8 c16)
# CLIENTS (default 16), SECONDS_PER_RUN (default 20), ROUNDS (default 2). Generic plans, as the
# server's connections have them (plan_cache_mode=force_generic_plan), -M prepared.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pg="$1"; port="$2"; shift 2
shapes=("$@"); [ ${#shapes[@]} -gt 0 ] || shapes=(a b4 b8 b16 c4 c8 c16)
export PGPASSWORD="${PGPASSWORD:-postgres}" PGOPTIONS='-c plan_cache_mode=force_generic_plan'
hz=$(getconf CLK_TCK)
pgticks() {
  local t p; t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pg/stat")
  for p in $(pgrep -P "$pg"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
# the postmaster's own processes (checkpointer, WAL writer, ...): before each reading, wait until
# the previous run's backends have exited and been reaped, so that their CPU is all in the
# postmaster's cutime + cstime (a backend exiting while it is read would be lost)
idle=$(pgrep -P "$pg" | wc -l)
settle() { local i=0; while [ "$(pgrep -P "$pg" | wc -l)" -gt "$idle" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; }
body=$(printf '{"id":%s}' "$(printf 'x%.0s' $(seq 640) | sed 's/x/1/g')")   # ~650 bytes, as a saved order
defs=(-D client=service:bench -D cur=USD -D st=placed -D pname='Ergonomic Steel Chair 21' -D sc=201
  -D 'addr={"line1": "12 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"}'
  -D 'items=[{"product_id": 17, "quantity": 2, "line_total_minor": 5998}, {"product_id": 523, "quantity": 1, "line_total_minor": 1999}]'
  -D tp=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 -D origin=a1b2c3d4e5f6
  -D 'fp=\x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' -D loc=/v1/orders/123456789012
  -D ctype=application/json -D etag=123456789012-1 -D ttl=86400 -D "body=$body")
for round in $(seq 1 "${ROUNDS:-2}"); do
  for s in "${shapes[@]}"; do
    clients="${CLIENTS:-16}"
    case "$s" in *@*) clients="${s#*@}"; s="${s%@*}" ;; esac
    g=1; [ "$s" = a ] || g="${s:1}"
    settle; t0=$(pgticks)
    out=$(pgbench -n -h localhost -p "$port" -U postgres -c "$clients" -j 1 -M prepared \
      -T "${SECONDS_PER_RUN:-20}" "${defs[@]}" -f "$here/$s.sql" postgres 2>&1)
    settle; t1=$(pgticks)
    tx=$(echo "$out" | awk '/number of transactions actually processed/ {print $NF}')
    tx=${tx##*/}; tx=${tx:-0}
    failed=$(echo "$out" | awk '/number of failed transactions/ {print $5}')
    echo "$out" | grep -iE 'error|abort' | head -3 >&2 || true
    awk -v s="$s" -v c="$clients" -v r="$round" -v g="$g" -v tx="$tx" -v f="${failed:-0}" -v d=$((t1 - t0)) -v hz="$hz" \
      -v secs="${SECONDS_PER_RUN:-20}" 'BEGIN {o = tx * g; printf "round %d %-4s -c%-2d G=%-2d %7d tx %8d orders %7.0f orders/s  PostgreSQL CPU %6.0f us/order (failed tx %s)\n", r, s, c, g, tx, o, o / secs, (o > 0 ? d / hz * 1e6 / o : 0), f}'
  done
done
