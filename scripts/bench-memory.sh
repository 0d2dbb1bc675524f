#!/usr/bin/env bash
# Peak RSS of hotpath under the loads of scripts/bench-baseline.sh, phase by phase, and where it
# goes. The same servers and loads as bench-baseline (wrk -t1 -c64, ${BENCH_DURATION:-20s} per
# run, two runs after each warm-up): one server with the response cache off for the uncached
# order, the customer-orders page and the writes, then a fresh one with the cache on for the
# cached order. After each run it prints the server's VmRSS and VmHWM (peak) in MiB and the RSS of
# its mappings by kind: the Java heap (as much of it as the collector has touched), brk (glibc's
# main malloc arena), code (the code cache), files (libjvm, the CDS archive, other libraries) and
# the rest of the anonymous memory (metaspace, class space, glibc's other arena, thread stacks).
#
#   scripts/bench-memory.sh [ROOT]
# ROOT: the checkout whose ./hotpath runs (default this one; e.g. a copy of main's tree made with
# `git -C /work/main archive HEAD | tar -x -C /tmp/before`). HOTPATH_DATA_DIR: its data (default
# ROOT/data, the demo data); BENCH_PORT (8089). The server runs with its launcher's defaults;
# NMT=1 adds -XX:NativeMemoryTracking=summary to them (which costs a few MiB itself) and prints
# `jcmd PID VM.native_memory summary` after each run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$(cd "${1:-$root}" && pwd)"
. "$root/scripts/find-jdk.sh"
hotpath_find_jdk
port="${BENCH_PORT:-8089}"
duration="${BENCH_DURATION:-20s}"
export HOTPATH_DATA_DIR="${HOTPATH_DATA_DIR:-$target/data}"
"$target/hotpath" --help >/dev/null # builds the server jar when needed
TOKEN=$("$target/hotpath" token --sub service:bench --scope service,customers:read,orders:read,orders:write --ttl 7200 2>/dev/null)
export TOKEN
opts=()
if [ "${NMT:-0}" = 1 ]; then
  opts=(HOTPATH_JAVA_OPTS="$(cd "$target" && . scripts/find-jdk.sh && hotpath_java_opts) -XX:NativeMemoryTracking=summary")
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

wait_ready() {
  for _ in $(seq 1 480); do
    curl -sf "http://localhost:$port/health/ready" >/dev/null && return 0
    sleep 0.5
  done
  echo "not ready on $port: $(tail -5 "$log")" >&2
  return 1
}

# kinds PID LO HI: RSS in MiB by kind of mapping; LO-HI (hex, no 0x) is the Java heap
kinds() {
  awk -v lo="$2" -v hi="$3" '
    function num(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return n }
    BEGIN { l = num(lo); h = num(hi) }
    /^[0-9a-f]+-[0-9a-f]+ / {
      split($1, a, "-"); s = num(a[1]); e = num(a[2]); kind = "other"
      if (s >= l && e <= h) kind = "heap"
      else if ($6 == "[heap]") kind = "brk"
      else if ($6 ~ /^\//) kind = "files"
      else if ($2 ~ /x/) kind = "code"
      next
    }
    /^Rss:/ { r[kind] += $2 }
    END { printf "heap %.0f brk %.0f code %.0f files %.0f other %.0f", r["heap"] / 1024, r["brk"] / 1024, r["code"] / 1024, r["files"] / 1024, r["other"] / 1024 }' "/proc/$1/smaps"
}

# report NAME PID
report() {
  echo "$1 $(awk '/VmRSS|VmHWM/ {printf "%s %.0f ", $1, $2 / 1024}' "/proc/$2/status")| $(kinds "$2" "$heap_lo" "$heap_hi")"
  if [ "${NMT:-0}" = 1 ]; then "$JAVA_HOME/bin/jcmd" "$2" VM.native_memory summary | grep -E '^(Total|-)' | grep -v '=0KB'; fi
}

# load SCRIPT MAX_ID WARM NAME PID: a warm-up, then two runs, a report after each
load() {
  MAX_ID="$2" wrk -t1 -c64 -d"$3" -s "$root/scripts/wrk/$1" "http://localhost:$port" >/dev/null
  report "$4-warm" "$5"
  for run in 1 2; do
    MAX_ID="$2" wrk -t1 -c64 -d"$duration" -s "$root/scripts/wrk/$1" "http://localhost:$port" >/dev/null
    report "$4-$run" "$5"
  done
}

# serve [NAME=VALUE...]: starts the server (env assignments as arguments), sets pid, heap_lo, heap_hi
serve() {
  (cd "$target" && env HOTPATH_PORT="$port" "$@" "${opts[@]}" ./hotpath serve --demo) >"$log" 2>&1 &
  pid=$!
  wait_ready
  pid=$(pgrep -P "$pid" java || echo "$pid")
  local info
  info=$("$JAVA_HOME/bin/jcmd" "$pid" GC.heap_info)
  heap_lo=$(echo "$info" | sed -n '2s/.*\[0x0*\([0-9a-f]*\),.*/\1/p')
  heap_hi=$(echo "$info" | grep -v '^ ' | tail -1 | sed -n 's/.*, 0x0*\([0-9a-f]*\))$/\1/p')
  echo "# $(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ -jar .*//')"
  report ready "$pid"
}

stop() {
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
  for _ in $(seq 1 120); do
    pgrep -f "$HOTPATH_DATA_DIR/pg" >/dev/null || break
    sleep 0.5
  done
}

echo "== $target: response cache off (uncached order, page, writes); MiB"
serve HOTPATH_CACHE_MAX_MB=0
load order-by-id.lua 200000 30s order "$pid"
load customer-orders.lua 10000 10s page "$pid"
load create-order.lua 0 30s write "$pid"
stop
echo "== $target: response cache on (cached order); MiB"
serve
load order-by-id.lua 10000 30s cached "$pid"
stop
