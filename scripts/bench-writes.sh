#!/usr/bin/env bash
# Measures POST /v1/orders (idempotency keys and outbox on) with wrk against a running server
# (default http://localhost:8080 started with `./hotpath serve --demo`): warm-up, then two 20 s
# runs. Every request carries a fresh Idempotency-Key; see scripts/wrk/create-order.lua.
#   scripts/bench-writes.sh [BASE_URL]
set -euo pipefail
base="${1:-http://localhost:8080}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..." >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
export TOKEN="${TOKEN:-$("$here/../hotpath" token --sub service:bench --scope service,orders:write --ttl 7200)}"
echo "== POST /v1/orders: warm-up"
RUN_ID="warm-$(date +%s)" wrk -t1 -c64 -d10s -s "$here/wrk/create-order.lua" "$base" >/dev/null
for i in 1 2; do
  echo "== POST /v1/orders: run $i (wrk -t1 -c64 -d20s --latency)"
  RUN_ID="run$i-$(date +%s)" wrk -t1 -c64 -d20s --latency -s "$here/wrk/create-order.lua" "$base" \
    | grep -E "Requests/sec|99%|Non-2xx|Socket errors|Latency |^status"
done
