#!/usr/bin/env bash
# Measures the read routes with wrk against a running server (default http://localhost:8080, the
# demo data set): warm-up, then two 20 s runs per route, as the closing notes report them.
#   scripts/bench-reads.sh [BASE_URL]
set -euo pipefail
base="${1:-http://localhost:8080}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)..." >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
export TOKEN="${TOKEN:-$("$here/../hotpath" token --sub service:bench --scope service,customers:read,orders:read --ttl 7200)}"
run() {
  local name="$1" script="$2"
  echo "== $name: warm-up"
  wrk -t1 -c64 -d10s -s "$here/wrk/$script" "$base" >/dev/null
  for i in 1 2; do
    echo "== $name: run $i (wrk -t1 -c64 -d20s --latency)"
    wrk -t1 -c64 -d20s --latency -s "$here/wrk/$script" "$base" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|Latency "
  done
}
run "GET /v1/orders/{id}" order-by-id.lua
run "GET /v1/customers/{id}/orders" customer-orders.lua
