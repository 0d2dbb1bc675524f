#!/usr/bin/env bash
# Measures POST /v1/orders (idempotency keys and outbox on) with wrk against a running server
# (default http://localhost:8080 started with `./hotpath serve --demo`): a 30 s warm-up (the JIT
# and the pool settle), two 20 s runs at full speed (64 connections), then two 20 s runs paced to
# about half the target rate (64 connections, each waiting an exponential think time of PACE_MS,
# default 58 ms: ~1,100 requests/s, ~1,000 orders/s) for the p99 at half rate. Every request
# carries a fresh Idempotency-Key; see scripts/wrk/create-order.lua.
#   scripts/bench-writes.sh [BASE_URL]
set -euo pipefail
base="${1:-http://localhost:8080}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..." >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
export TOKEN="${TOKEN:-$("$here/../hotpath" token --sub service:bench --scope service,orders:write --ttl 7200)}"
summary() {
  awk -v d=20 '/status 201/ {o=$3} /Requests\/sec/ {r=$2} $1=="99%" {p=$2} /Socket errors/ {e=$0}
    END {printf "%s req/s, %d orders/s (201), p99 %s %s\n", r, o/d, p, e}'
}
echo "== POST /v1/orders: warm-up (30 s)"
RUN_ID="warm-$(date +%s%N)" wrk -t1 -c64 -d30s -s "$here/wrk/create-order.lua" "$base" >/dev/null
for i in 1 2; do
  echo -n "full speed, run $i (wrk -t1 -c64 -d20s): "
  RUN_ID="run$i-$(date +%s%N)" wrk -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base" | summary
done
for i in 1 2; do
  echo -n "paced (PACE_MS=${PACE_MS:-58}), run $i: "
  PACE_MS="${PACE_MS:-58}" RUN_ID="paced$i-$(date +%s%N)" \
    wrk -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base" | summary
done
