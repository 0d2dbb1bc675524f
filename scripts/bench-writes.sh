#!/usr/bin/env bash
# Measures POST /v1/orders (idempotency keys and outbox on) with wrk against a running server
# (default http://localhost:8080 started with `./hotpath serve --demo`): a 30 s warm-up (the JIT
# and the pool settle), two 20 s runs at full speed (64 connections), then two 20 s runs paced to
# about half the target rate (64 connections, each waiting an exponential think time of PACE_MS,
# default 58 ms: ~1,100 requests/s, ~1,000 orders/s) for the p99 at half rate. Every request
# carries a fresh Idempotency-Key; see scripts/wrk/create-order.lua. When the server listens on
# this machine, each run also prints the CPU it used per request, from /proc: the server's JVM and
# its embedded PostgreSQL (every backend, the consumers' and job workers' included).
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
echo "== POST /v1/orders: warm-up (30 s)"
RUN_ID="warm-$(date +%s%N)" wrk -t1 -c64 -d30s -s "$here/wrk/create-order.lua" "$base" >/dev/null
for i in 1 2; do
  echo -n "full speed, run $i (wrk -t1 -c64 -d20s): "
  RUN_ID="run$i-$(date +%s%N)" run -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base"
done
for i in 1 2; do
  echo -n "paced (PACE_MS=${PACE_MS:-58}), run $i: "
  PACE_MS="${PACE_MS:-58}" RUN_ID="paced$i-$(date +%s%N)" \
    run -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base"
done
