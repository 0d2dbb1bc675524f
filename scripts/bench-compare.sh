#!/usr/bin/env bash
# Compares server configurations in one sitting on the demo data (./data, seeded by
# `./hotpath serve --demo` once): for each configuration, start the server with its environment,
# warm up, run wrk twice, stop. Ratios between configurations measured in one run are what count;
# absolute figures on a shared 2-core machine are noisy, so the script ends with the ratio of every
# configuration to the first: requests/s and server CPU per request, per run and as min-max.
#
#   scripts/bench-compare.sh SCRIPT MAX_ID NAME='ENV=.. ENV=..' [NAME='...' ...]
# e.g.
#   scripts/bench-compare.sh order-by-id.lua 10000 cached='' uncached='HOTPATH_CACHE_MAX_MB=0'
#   scripts/bench-compare.sh order-by-id.lua 10000 observed='' unobserved='HOTPATH_OBSERVABILITY=off'
#   scripts/bench-compare.sh order-by-id.lua 10000 lean='' roomy='HOTPATH_JAVA_OPTS="-Xms512m -Xmx2g"'
# BENCH_ROOT=DIR in a configuration runs the launcher of another checkout (e.g. a commit's
# `git archive` under /tmp), so two builds compare in one sitting; give both the same
# HOTPATH_DATA_DIR and a TOKEN that data's key signs, e.g.
#   TOKEN=$(HOTPATH_DATA_DIR=/tmp/ab/data /tmp/ab/before/hotpath token --sub service:bench --scope service,customers:read,orders:read)
#   scripts/bench-compare.sh order-by-id.lua 10000 before='BENCH_ROOT=/tmp/ab/before HOTPATH_DATA_DIR=/tmp/ab/data' after='BENCH_ROOT=/tmp/ab/after HOTPATH_DATA_DIR=/tmp/ab/data'
# A configuration's environment is read as shell words, so a value may be quoted. Each run also
# prints the server's peak resident memory so far (VmHWM).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script="$1"; max_id="$2"; shift 2
port="${BENCH_PORT:-8089}"
duration="${BENCH_DURATION:-20s}"
if ! command -v wrk >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
"$root/hotpath" --help >/dev/null  # builds the jar when needed
# a token the demo server trusts (the development key of ./data), unless TOKEN is given
export TOKEN="${TOKEN:-$("$root/hotpath" token --sub service:bench --scope service,customers:read,orders:read --ttl 7200)}"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
names=(); declare -A rps_of cpu_of
for config in "$@"; do
  name="${config%%=*}"; envs="${config#*=}"
  names+=("$name")
  log="$(mktemp)"
  eval "vars=($envs)" # shell words: a value may be quoted
  server_root="$root"
  for v in "${vars[@]}"; do [[ "$v" == BENCH_ROOT=* ]] && server_root="${v#BENCH_ROOT=}"; done
  "$server_root/hotpath" --help >/dev/null # builds that checkout's jar when needed
  env HOTPATH_PORT="$port" "${vars[@]}" "$server_root/hotpath" serve --demo >"$log.out" 2>"$log" &
  pid=$!
  for _ in $(seq 1 120); do
    curl -sf "http://localhost:$port/health/ready" >/dev/null && break
    sleep 0.5
  done
  MAX_ID="$max_id" wrk -t1 -c64 -d10s -s "$root/scripts/wrk/$script" "http://localhost:$port" >/dev/null
  java_pid=$(pgrep -P "$pid" java || echo "$pid")
  for run in 1 2; do
    cpu_before=$(cpu_ticks "$java_pid")
    out=$(MAX_ID="$max_id" wrk -t1 -c64 -d"$duration" --latency -s "$root/scripts/wrk/$script" "http://localhost:$port")
    cpu_after=$(cpu_ticks "$java_pid")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    errors=$(echo "$out" | grep -E "Non-2xx|Socket errors" | tr '\n' ' ' || true)
    # server CPU per request: robust to other load on the machine, unlike requests/s
    cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
    echo "$name run $run: $rps req/s, p99 $p99, server CPU ${cpu_us} us/request, peak RSS $(rss_mib "$java_pid") MiB $errors"
    rps_of[$name,$run]="${rps%k}"; [[ "$rps" == *k ]] && rps_of[$name,$run]=$(awk -v r="${rps%k}" 'BEGIN {print r * 1000}')
    cpu_of[$name,$run]="$cpu_us"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$log" "$log.out"
done

# ratio of every configuration to the first: run 1 to run 1, run 2 to run 2, then their min-max
base="${names[0]}"
echo
echo "Ratios to $base (per run; min-max over runs)"
for name in "${names[@]:1}"; do
  awk -v name="$name" -v base="$base" \
    -v r1="${rps_of[$name,1]}" -v r2="${rps_of[$name,2]}" -v b1="${rps_of[$base,1]}" -v b2="${rps_of[$base,2]}" \
    -v c1="${cpu_of[$name,1]}" -v c2="${cpu_of[$name,2]}" -v d1="${cpu_of[$base,1]}" -v d2="${cpu_of[$base,2]}" '
    function min(a, b) { return a < b ? a : b }
    function max(a, b) { return a > b ? a : b }
    BEGIN {
      if (!(b1 > 0 && b2 > 0 && d1 > 0 && d2 > 0)) { printf "%s/%s: no ratio (a run of %s measured nothing)\n", name, base, base; exit }
      t1 = r1 / b1; t2 = r2 / b2; u1 = c1 / d1; u2 = c2 / d2
      printf "%s/%s req/s: run 1 %.3f, run 2 %.3f, min-max %.3f-%.3f\n", name, base, t1, t2, min(t1, t2), max(t1, t2)
      printf "%s/%s CPU per request: run 1 %.3f, run 2 %.3f, min-max %.3f-%.3f\n", name, base, u1, u2, min(u1, u2), max(u1, u2)
    }'
done
