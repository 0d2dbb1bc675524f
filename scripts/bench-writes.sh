#!/usr/bin/env bash
# Measures POST /v1/orders (idempotency keys and outbox on) with wrk against a running server
# (default http://localhost:8080 started with `./hotpath serve --demo`): a 30 s warm-up (the JIT
# and the pool settle), two 20 s runs at full speed (64 connections), then two 20 s runs paced to
# about half the target rate (64 connections, each waiting an exponential think time of PACE_MS,
# default 58 ms: ~1,100 requests/s, ~1,000 orders/s) for the p99 at half rate. Every request
# carries a fresh Idempotency-Key; see scripts/wrk/create-order.lua. When the server listens on
# this machine, each run also prints the CPU it used per request, from /proc: the server's JVM and
# its embedded PostgreSQL (every backend, the consumers' and job workers' included). With
# PGBENCH=1 (and the server on this machine with its embedded PostgreSQL), each full-speed run is
# followed by pgbench's TPC-B-like transaction on that PostgreSQL (scale 10 in a database of its
# own, -c64 -j1 -M prepared -T15, as scripts/bench-baseline.sh runs it) and the ratio of the two
# rates, measured in the same minute. PACED_RUNS (default 2) sets the number of paced runs (0: none,
# for before/after comparisons of the full-speed figures).
#   scripts/bench-writes.sh [BASE_URL]
set -euo pipefail
base="${1:-http://localhost:8080}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..." >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
export TOKEN="${TOKEN:-$("$here/../hotpath" token --sub service:bench --scope service,orders:write --ttl 7200)}"
# the server's JVM (listening on the URL's port) and its embedded PostgreSQL (the postmaster its
# watchdog names), when they run here
port="${base##*:}"
port="${port%%/*}"
jvm=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
pg=""
[ -n "$jvm" ] && pg=$(ps -o args= --ppid "$jvm" | awk '/hotpath-pg-watchdog/ {print $(NF-1); exit}')
ticks() { # utime + stime of $1, and of its children: living ones, and reaped ones (cutime + cstime)
  local t=0 p
  [ -r "/proc/$1/stat" ] || { echo 0; return; }
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat")
  for p in $(pgrep -P "$1"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# run ARGS...: one wrk run; prints its summary and, when measurable, the CPU per request
run() {
  local j0=0 p0=0 j1=0 p1=0 out
  [ -n "$jvm" ] && j0=$(ticks "$jvm") && p0=$(ticks "${pg:-0}")
  out=$(wrk "$@")
  [ -n "$jvm" ] && j1=$(ticks "$jvm") && p1=$(ticks "${pg:-0}")
  echo "$out" | awk -v d=20 -v j=$((j1 - j0)) -v g=$((p1 - p0)) -v hz="$(getconf CLK_TCK)" -v have="${jvm:+1}" \
    '/status 201/ {o=$3} /Requests\/sec/ {r=$2} /requests in/ {n=$1} $1=="99%" {p=$2} /Socket errors/ {e=$0}
    END {printf "%s req/s, %d orders/s (201), p99 %s %s", r, o/d, p, e
      if (have && n > 0) printf "; CPU per request: server %.0f us, PostgreSQL %.0f us", j / hz * 1e6 / n, g / hz * 1e6 / n
      printf "\n"}'
}
# PGBENCH=1: pgbench on the server's embedded PostgreSQL (its postmaster's port), in the same minute
pgbench_port=""
if [ "${PGBENCH:-0}" = 1 ] && [ -n "$pg" ]; then
  command -v pgbench >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql-client) >/dev/null
  pgbench_port=$(ss -ltnpH 2>/dev/null | grep "pid=$pg," | grep -o ':[0-9]* ' | head -1 | tr -d ': ')
  export PGPASSWORD="${PGPASSWORD:-postgres}"
  psql -q -h localhost -p "$pgbench_port" -U postgres -d postgres \
    -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS pgbench" -c "CREATE DATABASE pgbench" >/dev/null
  pgbench -q -i -s 10 -h localhost -p "$pgbench_port" -U postgres pgbench >/dev/null 2>&1
  trap 'psql -q -h localhost -p "$pgbench_port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS pgbench" >/dev/null 2>&1' EXIT
fi
tpc_b() { # the TPC-B-like rate on the server's PostgreSQL, and its ratio to the orders' req/s $1
  local tps
  tps=$(pgbench -h localhost -p "$pgbench_port" -U postgres -c 64 -j 1 -M prepared -T 15 pgbench 2>/dev/null |
    awk '/^tps/ {print $3; exit}')
  awk -v r="$1" -v t="$tps" 'BEGIN {printf "  pgbench -c64 on the same PostgreSQL: %.0f tps; POST /v1/orders / pgbench = %.2f\n", t, (t > 0 ? r / t : 0)}'
}
echo "== POST /v1/orders: warm-up (30 s)"
RUN_ID="warm-$(date +%s%N)" wrk -t1 -c64 -d30s -s "$here/wrk/create-order.lua" "$base" >/dev/null
for i in 1 2; do
  echo -n "full speed, run $i (wrk -t1 -c64 -d20s): "
  line=$(RUN_ID="run$i-$(date +%s%N)" run -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base")
  echo "$line"
  [ -n "$pgbench_port" ] && tpc_b "${line%% req/s*}"
done
for i in $(seq 1 "${PACED_RUNS:-2}"); do
  echo -n "paced (PACE_MS=${PACE_MS:-58}), run $i: "
  PACE_MS="${PACE_MS:-58}" RUN_ID="paced$i-$(date +%s%N)" \
    run -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base"
done
