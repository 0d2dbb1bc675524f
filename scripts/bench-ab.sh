#!/usr/bin/env bash
# A/B of two builds on a busy machine: both servers up at once, each on its own copy of the demo
# data, then wrk runs alternating between them (A, B, A, B, ...), each server's CPU per request
# taken from /proc over its own runs only, and its PostgreSQL's (each data dir runs its own). Many
# short alternating runs see the same drifting load; the script ends with each side's minimum and
# median and every value sorted. Restarting a server
# per configuration (bench-compare.sh) gave runs of one build 9-64 us apart on a machine at load 20.
#
#   scripts/bench-ab.sh BEFORE_ROOT [ROUNDS] [DURATION] [SCRIPT] [MAX_ID]
# e.g. (the build of main against this checkout's, cached GET /v1/orders/{id}):
#   git -C /work/main archive HEAD | tar -x -C /tmp/ab-before && cp -a data /tmp/ab-before-data
#   BEFORE_DATA=/tmp/ab-before-data scripts/bench-ab.sh /tmp/ab-before 10 10s
# BEFORE_DATA: the before side's data dir (a copy of ./data: one embedded PostgreSQL per data dir);
# AFTER_DATA (./data); BEFORE_PORT (8113), AFTER_PORT (8114); WARMUP (20s: each side's wrk run
# before the first round; on a busy machine the JIT needs longer, or the first rounds measure it);
# BEFORE_ENV, AFTER_ENV: VAR=VALUE lines (a value may hold spaces) for that side's server only,
# e.g. NIO against epoll on one build (BEFORE_ROOT this checkout):
#   AFTER_ENV='HOTPATH_NATIVE_TRANSPORT=on'
# or other JVM flags on one side: HOTPATH_JAVA_OPTS replaces the launcher's (scripts/find-jdk.sh,
# hotpath_java_opts), so give all of them
# Both sides run their launcher's defaults otherwise; the token is signed by ./data's development
# key, which the copy shares.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/find-jdk.sh"
hotpath_find_jdk
before_root="$1"
rounds="${2:-10}"; duration="${3:-10s}"; script="${4:-order-by-id.lua}"; max_id="${5:-10000}"
before_data="${BEFORE_DATA:?a copy of the demo data for the before side}"
after_data="${AFTER_DATA:-$root/data}"
before_port="${BEFORE_PORT:-8113}"; after_port="${AFTER_PORT:-8114}"
warmup="${WARMUP:-20s}"
before_env=(); after_env=()
while IFS= read -r kv; do [ -n "$kv" ] && before_env+=("$kv"); done <<<"${BEFORE_ENV:-}"
while IFS= read -r kv; do [ -n "$kv" ] && after_env+=("$kv"); done <<<"${AFTER_ENV:-}"
TOKEN=$(HOTPATH_DATA_DIR="$after_data" "$root/hotpath" token --sub service:bench \
  --scope service,customers:read,orders:read,orders:write --ttl 7200 2>/dev/null)
export TOKEN
values="$(mktemp)"
env "${before_env[@]}" HOTPATH_PORT="$before_port" HOTPATH_DATA_DIR="$before_data" "$before_root/hotpath" serve --demo >"$values.before.log" 2>&1 &
before_pid=$!
env "${after_env[@]}" HOTPATH_PORT="$after_port" HOTPATH_DATA_DIR="$after_data" "$root/hotpath" serve --demo >"$values.after.log" 2>&1 &
after_pid=$!
trap 'kill -TERM $before_pid $after_pid 2>/dev/null; wait $before_pid $after_pid 2>/dev/null; rm -f "$values" "$values".pg "$values".*.log' EXIT
for port in "$before_port" "$after_port"; do
  for _ in $(seq 1 240); do
    curl -sf "http://localhost:$port/health/ready" >/dev/null && break
    sleep 0.5
  done
  MAX_ID="$max_id" wrk -t1 -c64 -d"$warmup" -s "$root/scripts/wrk/$script" "http://localhost:$port" >/dev/null
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# PostgreSQL's CPU of a data dir's database: its postmaster's own and reaped children's ticks plus
# each live child's (the backends of the server's pool live as long as the server)
pg_ticks() {
  local pm
  pm=$(head -n1 "$1/pg/postmaster.pid" 2>/dev/null || true)
  [ -n "$pm" ] && [ -r "/proc/$pm/stat" ] || { echo 0; return; }
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for child in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null; done
  } | awk '{t += $1} END {print t}'
}
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    if [ "$side" = before ]; then port=$before_port; pid=$before_pid; data=$before_data; else port=$after_port; pid=$after_pid; data=$after_data; fi
    c0=$(ticks "$pid"); p0=$(pg_ticks "$data")
    out=$(MAX_ID="$max_id" wrk -t1 -c64 -d"$duration" -s "$root/scripts/wrk/$script" "http://localhost:$port")
    c1=$(ticks "$pid"); p1=$(pg_ticks "$data")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    us=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
    pg=$(awk -v t=$((p1 - p0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
    echo "round $r $side: $rps req/s, $n requests, ${non2xx:-0} non-2xx, server CPU $us us/request, PostgreSQL CPU $pg us/request, load $(cut -d' ' -f1 /proc/loadavg)"
    echo "$side $us" >>"$values"
    echo "$side $pg" >>"$values.pg"
  done
done
for what in server PostgreSQL; do
  file=$values; [ "$what" = PostgreSQL ] && file=$values.pg
  for side in before after; do
    grep "^$side " "$file" | awk '{print $2}' | sort -n | awk -v s="$side" -v w="$what" '{a[NR] = $1}
      END {
        printf "%s %s CPU: n=%d min %.2f median %.2f us/request (sorted:", s, w, NR, a[1], (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)
        for (i = 1; i <= NR; i++) printf " %s", a[i]
        print ")"
      }'
  done
done
