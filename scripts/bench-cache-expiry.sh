#!/usr/bin/env bash
# A cached-read load across the cache's lifetime (README, "The response cache"): one server on the
# demo data, wrk on GET /v1/orders/{id} over a 10,000-order working set, a 30 s warm-up (which loads
# every order in its first second or so) then RUNS runs of 10 s, so the load passes the moment the
# first entries reach HOTPATH_CACHE_TTL_MS (60 s). Per run: the rate, the server's CPU per request,
# RSS, the old generation's use (jstat), and the cache's misses and early refreshes in that run
# (from /metrics). Entries that all expire together show as one run with thousands of misses, a
# higher CPU per request and an old generation that steps up.
#
#   scripts/bench-cache-expiry.sh [ROOT]      # ROOT: a checkout to serve (default this one)
# BENCH_PORT (8089), RUNS (8), MAX_ID (10000), HOTPATH_DATA_DIR (ROOT's ./data); other HOTPATH_*
# settings pass through to the server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "${1:-$here}" && pwd)"
. "$here/scripts/find-jdk.sh"
hotpath_find_jdk
port="${BENCH_PORT:-8089}"
runs="${RUNS:-8}"
max_id="${MAX_ID:-10000}"
command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
TOKEN=$("$root/hotpath" token --sub service:bench --scope service,customers:read,orders:read --ttl 7200 2>/dev/null)
export TOKEN
admin=$("$root/hotpath" token --sub service:bench --scope admin,service --ttl 7200 2>/dev/null)
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; rm -rf "$work"' EXIT
env HOTPATH_PORT="$port" "$root/hotpath" serve --demo >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  curl -sf "http://localhost:$port/health/ready" >/dev/null && break
  sleep 0.5
done
java_pid=$(pgrep -P "$pid" java || echo "$pid")
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$java_pid/stat"; }
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$java_pid/status"; }
old_mib() { "$JAVA_HOME/bin/jstat" -gc "$java_pid" | awk 'NR == 2 {printf "%.1f", $8 / 1024}'; }
# a counter's value summed over its series; name a prefix and a label filter (a regular expression)
metric() {
  curl -s -H "Authorization: Bearer $admin" "http://localhost:$port/metrics" |
    awk -v n="$1" -v f="${2:-}" 'index($1, n) == 1 && $1 ~ f {s += $2} END {printf "%d", s}'
}
misses() { metric 'cache_gets_total{' 'cache="responses".*result="miss"'; }
refreshes() { metric 'hotpath_cache_refreshes'; }
start=$(date +%s)
MAX_ID="$max_id" wrk -t1 -c64 -d30s -s "$here/scripts/wrk/order-by-id.lua" "http://localhost:$port" >/dev/null
echo "run ends-at-s req/s cpu-us/request rss-MiB old-gen-MiB cache-misses early-refreshes"
for run in $(seq 1 "$runs"); do
  m0=$(misses); r0=$(refreshes); c0=$(ticks)
  out=$(MAX_ID="$max_id" wrk -t1 -c64 -d10s -s "$here/scripts/wrk/order-by-id.lua" "http://localhost:$port")
  c1=$(ticks); m1=$(misses); r1=$(refreshes)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
  echo "$run $(($(date +%s) - start)) $rps $cpu $(rss) $(old_mib) $((m1 - m0)) $((r1 - r0))"
done
