#!/usr/bin/env bash
# What hedging buys on the product page (GET /v1/products/{id}/page) when reviews has a long
# tail: starts the stand-ins (`hotpath stubs`, reviews with a long-tail latency), then for each of
# hedging on and off serves the demo data against them (`serve --demo`), warms up, runs wrk and
# prints p50/p99, pages degraded (reviews late past the 200 ms budget) and the extra calls the
# reviews stand-in saw per page. The lead runs it; it is not part of ./mvnw verify.
#
#   scripts/bench-hedging.sh
#   REVIEWS_KNOBS='latency=longtail,ms=5,sd=1,tail=0.03,tail-ms=150' BENCH_DURATION=30s scripts/bench-hedging.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${BENCH_PORT:-8089}"
stub_port="${STUB_PORT:-9190}"
duration="${BENCH_DURATION:-20s}"
connections="${BENCH_CONNECTIONS:-16}"
reviews_knobs="${REVIEWS_KNOBS:-latency=longtail,ms=5,sd=1,tail=0.02,tail-ms=120}"
recommendations_knobs="${RECOMMENDATIONS_KNOBS:-latency=normal,ms=5,sd=1}"
if ! command -v wrk >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
"$root/hotpath" --help >/dev/null  # builds the jar when needed

stubs_log="$(mktemp)"
"$root/hotpath" stubs --port "$stub_port" --reviews "$reviews_knobs" \
  --recommendations "$recommendations_knobs" >"$stubs_log" 2>&1 &
stubs_pid=$!
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  kill -TERM "$stubs_pid" 2>/dev/null && wait "$stubs_pid" 2>/dev/null
  rm -f "$stubs_log"
}
trap cleanup EXIT
payments="http://127.0.0.1:$stub_port"
reviews="http://127.0.0.1:$((stub_port + 1))"
recommendations="http://127.0.0.1:$((stub_port + 2))"
for _ in $(seq 1 60); do
  curl -sf "$reviews/_stub/stats" >/dev/null && break
  sleep 0.5
done
echo "reviews stand-in: $reviews_knobs"

stub_requests() { curl -sf "$reviews/_stub/stats" | sed -E 's/.*"requests":([0-9]+).*/\1/'; }

for config in hedged=HOTPATH_HEDGING=on unhedged=HOTPATH_HEDGING=off; do
  name="${config%%=*}"; envs="${config#*=}"
  log="$(mktemp)"
  # shellcheck disable=SC2086
  env HOTPATH_PORT="$port" HOTPATH_PAYMENTS_URL="$payments" HOTPATH_REVIEWS_URL="$reviews" \
    HOTPATH_RECOMMENDATIONS_URL="$recommendations" $envs \
    "$root/hotpath" serve --demo >"$log.out" 2>"$log" &
  server_pid=$!
  for _ in $(seq 1 120); do
    curl -sf "http://localhost:$port/health/ready" >/dev/null && break
    sleep 0.5
  done
  # warm-up: JIT, connections, and the latency tracker the hedging delay comes from
  wrk -t1 -c"$connections" -d10s -s "$root/scripts/wrk/product-page.lua" "http://localhost:$port" >/dev/null
  for run in 1 2; do
    before=$(stub_requests)
    out=$(wrk -t1 -c"$connections" -d"$duration" --latency -s "$root/scripts/wrk/product-page.lua" "http://localhost:$port")
    after=$(stub_requests)
    pages=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    counts=$(echo "$out" | grep '^pages:' || true)
    extra=$(awk -v a="$after" -v b="$before" -v n="$pages" 'BEGIN {printf "%.1f", (a - b - n) * 100 / n}')
    echo "$name run $run: $rps pages/s, p50 $p50, p99 $p99; $counts; reviews calls +${extra}% over pages"
  done
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -f "$log" "$log.out"
done
