#!/usr/bin/env bash
# 1 vs 2 vs 3 hotpath instances through HAProxy, in one sitting, on the cluster of
# scripts/cluster.sh (started here with 3 instances if it does not run): for each N, a HAProxy of
# its own balances the first N instances, and wrk runs each workload twice through it:
#   cached    GET /v1/orders/{id}, the demo's first 1000 orders (a hot set every instance's cache holds)
#   uncached  GET /v1/orders/{id}, any of the demo's 200000 orders (mostly cache misses, replica reads)
#   writes    POST /v1/orders (create-order.lua)
# (order ids carry their month: order-by-id.lua makes the ids of the demo's seed of 200000 orders
# and reads the first FIRST of them)
# It prints requests/s, p99, and the CPU per request of every process of the cluster (all hotpath
# instances, PostgreSQL primary and replica, Redis, HAProxy), then each N's ratio to N=1.
# The idle instances (N < 3) keep running; their background work is in the CPU figures.
# A measurement for a quiet machine, not a test. BENCH_DURATION (default 20s) per run,
# BENCH_WARMUP (5s, per workload), BENCH_CONNECTIONS (64).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${HOTPATH_CLUSTER_DIR:-$root/data/cluster}"
export HOTPATH_CLUSTER_DIR="$state"
base_port="${HOTPATH_CLUSTER_BASE_PORT:-8181}"
bench_port="${BENCH_PORT:-8190}"
duration="${BENCH_DURATION:-20s}"
connections="${BENCH_CONNECTIONS:-64}"
if ! command -v wrk >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
HOTPATH_CLUSTER_INSTANCES=3 "$root/scripts/cluster.sh" up >/dev/null
export TOKEN="${TOKEN:-$(HOTPATH_DATA_DIR="$state" "$root/hotpath" token --sub service:bench --scope service,customers:read,orders:read,orders:write --ttl 7200)}"

cluster_ticks() { # CPU ticks of every process of the cluster and of their children (backends)
  local pids
  pids="$(cat "$state"/hotpath-*.pid 2>/dev/null || true)"
  pids="$pids $(pgrep -f "postgres -D $state" || true) $(cat "$state/redis.pid" 2>/dev/null || true) $(pgrep -f "haproxy -f $state/bench.cfg" || true)"
  local total=0
  for p in $pids; do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    for c in $(pgrep -P "$p" 2>/dev/null || true); do
      [ -r "/proc/$c/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$c/stat")))
    done
  done
  echo "$total"
}

haproxy_for() { # N
  {
    printf 'global\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout check 5s\n'
    printf 'frontend bench\n  bind 127.0.0.1:%s\n  default_backend instances\n' "$bench_port"
    printf 'backend instances\n  balance roundrobin\n  option httpchk GET /health/ready\n  default-server inter 500 fall 2 rise 2\n'
    for i in $(seq 1 "$1"); do printf '  server hotpath-%s 127.0.0.1:%s check\n' "$i" $((base_port + i - 1)); done
  } >"$state/bench.cfg"
  haproxy -f "$state/bench.cfg" -D -p "$state/bench-haproxy.pid"
  for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$bench_port/health/ready" && return 0; sleep 0.5; done
  echo "HAProxy for $1 instance(s) did not answer" >&2; return 1
}

declare -A rps_of cpu_of
workloads=("cached:order-by-id.lua:1000" "uncached:order-by-id.lua:200000" "writes:create-order.lua:200000")
for n in 1 2 3; do
  haproxy_for "$n"
  for w in "${workloads[@]}"; do
    IFS=: read -r name script first <<<"$w"
    # warm-up, not measured
    SEED_ORDERS=200000 MAX_ID=200000 FIRST="$first" wrk -t1 -c"$connections" -d"${BENCH_WARMUP:-5s}" -s "$root/scripts/wrk/$script" "http://127.0.0.1:$bench_port" >/dev/null
    for run in 1 2; do
      before=$(cluster_ticks)
      out=$(SEED_ORDERS=200000 MAX_ID=200000 FIRST="$first" wrk -t2 -c"$connections" -d"$duration" --latency -s "$root/scripts/wrk/$script" "http://127.0.0.1:$bench_port")
      after=$(cluster_ticks)
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      requests=$(echo "$out" | awk '/requests in/ {print $1}')
      p99=$(echo "$out" | awk '$1=="99%" {print $2}')
      errors=$(echo "$out" | grep -E "Non-2xx|Socket errors" | tr '\n' ' ' || true)
      cpu_us=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
      echo "N=$n $name run $run: $rps req/s, p99 $p99, cluster CPU ${cpu_us} us/request $errors"
      rps_of[$n,$name,$run]="$rps"
      cpu_of[$n,$name,$run]="$cpu_us"
    done
  done
  kill "$(cat "$state/bench-haproxy.pid")" 2>/dev/null || true
  rm -f "$state/bench-haproxy.pid"
done

echo
echo "Ratios to N=1 (run 1, run 2): requests/s and cluster CPU per request"
for n in 2 3; do
  for w in "${workloads[@]}"; do
    name="${w%%:*}"
    awk -v n="$n" -v name="$name" \
      -v r1="${rps_of[$n,$name,1]}" -v r2="${rps_of[$n,$name,2]}" -v b1="${rps_of[1,$name,1]}" -v b2="${rps_of[1,$name,2]}" \
      -v c1="${cpu_of[$n,$name,1]}" -v c2="${cpu_of[$n,$name,2]}" -v d1="${cpu_of[1,$name,1]}" -v d2="${cpu_of[1,$name,2]}" '
      function num(x) { return (x ~ /k$/) ? substr(x, 1, length(x) - 1) * 1000 : x + 0 }
      BEGIN {
        if (!(num(b1) > 0 && num(b2) > 0 && d1 > 0 && d2 > 0)) { printf "N=%s %s: no ratio\n", n, name; exit }
        printf "N=%s/N=1 %s: req/s %.3f, %.3f; CPU per request %.3f, %.3f\n", n, name,
          num(r1) / num(b1), num(r2) / num(b2), c1 / d1, c2 / d2
      }'
  done
done
