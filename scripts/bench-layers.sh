#!/usr/bin/env bash
# Where a read's CPU goes, by layer (README, "Where a read's CPU goes"): starts one server on the
# demo data (./data, seeded by `./hotpath serve --demo` once), warms it up for 10 s with wrk, then
# records JFR (CPU-time samples every 2 ms, allocation statistics) during one more wrk run and
# splits the samples by layer with scripts/JfrLayers.java. Prints the rate, the server's CPU per
# request (from /proc, over the recorded run), the bytes allocated per request and the layers.
#
#   scripts/bench-layers.sh hotpath|bare|bare-static [ENV=VALUE ...]
# e.g.
#   scripts/bench-layers.sh hotpath HOTPATH_CACHE_MAX_MB=0      # uncached GET /v1/orders/{id}
#   MAX_ID=10000 scripts/bench-layers.sh hotpath                # cached, a 10,000-order working set
#   scripts/bench-layers.sh bare                                # bench/ BareService, same lookup
#   scripts/bench-layers.sh bare-static                         # BareService's fixed bytes (/static)
#   SCRIPT=customer-orders.lua MAX_ID=10000 scripts/bench-layers.sh hotpath HOTPATH_CACHE_MAX_MB=0
#                                       # the uncached first page of a customer's orders (20 + items)
#   SCRIPT=customer-orders.lua MAX_ID=10000 scripts/bench-layers.sh bare    # bare's same page
# BENCH_PORT (8089), BENCH_DURATION (15s), CONNECTIONS (64), MAX_ID (200000), SCRIPT (the wrk
# script under scripts/wrk/, order-by-id.lua), WARMUP (10s: the wrk run before the recorded one;
# longer on a busy machine, where the JIT lags), JFR_KEEP=FILE keeps the recording. hotpath runs
# with the launcher's JVM flags; the bare service with the same ones. The line of the run also
# gives PostgreSQL's CPU per request: the postmaster of the data folder's database and every
# process under it (its backends, live or reaped), from /proc over the recorded run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. "$root/scripts/find-jdk.sh"
hotpath_find_jdk
hotpath_quiet_maven
what="$1"; shift
port="${BENCH_PORT:-8089}"
duration="${BENCH_DURATION:-15s}"
connections="${CONNECTIONS:-64}"
max_id="${MAX_ID:-200000}"
script="${SCRIPT:-order-by-id.lua}"
warmup="${WARMUP:-10s}"
command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; rm -rf "$work"' EXIT
# JFR: a CPU-time sample every 2 ms of a thread's CPU, execution samples every 2 ms
settings="$work/jfr.jfc"
"$JAVA_HOME/bin/jfr" configure --input "$JAVA_HOME/lib/jfr/profile.jfc" \
  jdk.CPUTimeSample#enabled=true jdk.CPUTimeSample#throttle=2ms jdk.ExecutionSample#period=2ms \
  --output "$settings" >/dev/null
case "$what" in
  hotpath)
    "$root/hotpath" --help >/dev/null # builds the jar when needed
    export TOKEN="${TOKEN:-$("$root/hotpath" token --sub service:bench --scope service,customers:read,orders:read --ttl 7200)}"
    env HOTPATH_PORT="$port" "$@" "$root/hotpath" serve --demo >"$work/server.log" 2>&1 &
    pid=$!
    ready="http://localhost:$port/health/ready"
    ;;
  bare | bare-static)
    (cd "$root" && ./mvnw -q -B -Pbench -pl bench -am package -DskipTests) >/dev/null
    env HOTPATH_DATA_DIR="${HOTPATH_DATA_DIR:-$root/data}" MALLOC_ARENA_MAX=2 "$@" \
      "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $(hotpath_java_opts) \
      -cp "$root/bench/target/benchmarks.jar" dev.hotpath.bench.baseline.BareService "$port" >"$work/server.log" 2>&1 &
    pid=$!
    ready="http://localhost:$port/static"
    ;;
  *)
    echo "usage: $0 hotpath|bare|bare-static [ENV=VALUE ...]" >&2
    exit 2
    ;;
esac
for _ in $(seq 1 240); do
  curl -sf "$ready" >/dev/null && break
  sleep 0.5
done
java_pid=$(pgrep -P "$pid" java || echo "$pid")
url="http://localhost:$port"
how=(-s "$root/scripts/wrk/$script")
if [ "$what" = bare-static ]; then
  url="http://localhost:$port/static"
  how=()
fi
MAX_ID="$max_id" wrk -t1 -c"$connections" -d"$warmup" "${how[@]}" "$url" >/dev/null
"$JAVA_HOME/bin/jcmd" "$java_pid" JFR.start name=layers settings="$settings" filename="$work/layers.jfr" >/dev/null
# PostgreSQL's CPU: the postmaster's own and its reaped children's ticks, plus each live child's
postmaster=$(head -n1 "${HOTPATH_DATA_DIR:-$root/data}/pg/postmaster.pid" 2>/dev/null || true)
pg_ticks() {
  [ -n "$postmaster" ] && [ -r "/proc/$postmaster/stat" ] || { echo 0; return; }
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$postmaster/stat"
    for child in $(pgrep -P "$postmaster"); do awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null; done
  } | awk '{t += $1} END {print t}'
}
pg_before=$(pg_ticks)
cpu_before=$(awk '{print $14 + $15}' "/proc/$java_pid/stat")
out=$(MAX_ID="$max_id" wrk -t1 -c"$connections" -d"$duration" --latency "${how[@]}" "$url")
cpu_after=$(awk '{print $14 + $15}' "/proc/$java_pid/stat")
pg_after=$(pg_ticks)
"$JAVA_HOME/bin/jcmd" "$java_pid" JFR.stop name=layers >/dev/null
requests=$(echo "$out" | awk '/requests in/ {print $1}')
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
cpu_us=$(awk -v t=$((cpu_after - cpu_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
pg_us=$(awk -v t=$((pg_after - pg_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
echo "$what $script $*: $rps req/s, $requests requests, ${non2xx:-0} non-2xx, server CPU $cpu_us us per request, PostgreSQL CPU $pg_us us per request"
"$JAVA_HOME/bin/java" "$root/scripts/JfrLayers.java" "$work/layers.jfr" "$requests"
[ -n "${JFR_KEEP:-}" ] && cp "$work/layers.jfr" "$JFR_KEEP"
exit 0
