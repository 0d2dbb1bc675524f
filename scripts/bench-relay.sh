#!/usr/bin/env bash
# The outbox relay to Kafka under write load (issue #20), in one sitting on the demo data (./data):
#   - the write rate of scripts/bench-writes.sh with the relay off, then on (HOTPATH_KAFKA_BOOTSTRAP
#     set), twice each, alternating; the goal is on >= 0.95 x off;
#   - with the relay on: first its catch-up throughput (it publishes the backlog the log holds from
#     before: the demo's history, the orders of the runs with the relay off), then, under the write
#     load, its throughput (hotpath_relay_events_total over the run), the end-to-end lag p50/p99
#     (write to broker acknowledgement: the delivery histogram's buckets, counted over the run
#     only) and the events still behind at the end;
#   - for every run, the CPU per request (ticks of /proc/PID/stat over the requests the server
#     counted): the server's JVM, of which its event loops and the relay's threads, the embedded
#     database and the broker; then the totals with the relay off and on side by side.
# The broker is the test suite's in-JVM KRaft broker run as a process (support/KafkaBrokerMain),
# so nothing but Maven Central is needed. Run it on a quiet machine: it saturates the CPU.
#
#   scripts/bench-relay.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. "$root/scripts/find-jdk.sh"
hotpath_find_jdk
hotpath_quiet_maven
port="${BENCH_PORT:-8080}"
command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
"$root/hotpath" --help >/dev/null # builds the server jar when needed
./mvnw -q -B -pl server test-compile
work="$(mktemp -d)"
broker_pid=""
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
./mvnw -q -B -pl server dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
"$JAVA_HOME/bin/java" -Xmx1g -cp "server/target/test-classes:server/target/classes:$(cat "$work/cp.txt")" \
  dev.hotpath.support.KafkaBrokerMain >"$work/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 240); do
  grep -q '^bootstrap=' "$work/broker.log" && break
  sleep 0.5
done
bootstrap="$(sed -n 's/^bootstrap=//p' "$work/broker.log")"
[ -n "$bootstrap" ] || { echo "the broker did not start: $(tail -5 "$work/broker.log")" >&2; exit 1; }
echo "broker: $bootstrap"
export TOKEN="${TOKEN:-$("$root/hotpath" token --sub service:bench --scope service,orders:write --ttl 7200)}"

wait_ready() {
  for _ in $(seq 1 240); do
    curl -sf "http://localhost:$port/health/ready" >/dev/null && return 0
    sleep 0.5
  done
  echo "not ready" >&2
  return 1
}
metric() { # NAME [LABELS]: the value of one sample at /metrics (0 when absent)
  curl -sf -H "Authorization: Bearer $TOKEN" "http://localhost:$port/metrics" |
    awk -v m="$1${2:-}" 'index($0, m " ") == 1 {v = $2} END {print v == "" ? 0 : v}'
}
buckets() { # the delivery histogram's buckets, in order, as "le count" lines
  curl -sf -H "Authorization: Bearer $TOKEN" "http://localhost:$port/metrics" |
    awk '/^hotpath_relay_delivery_seconds_bucket\{/ {match($0, /le="[^"]*"/); print substr($0, RSTART + 4, RLENGTH - 5), $NF}'
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
thread_ticks() { # PID REGEX: CPU ticks of PID's threads whose name (/proc comm, 15 characters) matches
  cat /proc/"$1"/task/*/stat 2>/dev/null | awk -v re="$2" '{
    name = $0; sub(/^[^(]*\(/, "", name); sub(/\) [^)]*$/, "", name)
    rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
    if (name ~ re) t += f[12] + f[13]} END {print t + 0}'
}
db_ticks() { # the embedded PostgreSQL of the demo: the postmaster and its children (backends, WAL writer, ...)
  local pm total=0
  pm="$(head -1 "${HOTPATH_DATA_DIR:-$root/data}/pg/postmaster.pid" 2>/dev/null || true)"
  [ -n "$pm" ] || { echo 0; return; }
  for p in "$pm" $(pgrep -P "$pm" 2>/dev/null || true); do total=$((total + $(ticks "$p"))); done
  echo "$total"
}
requests() { # HTTP requests the server has answered (every route and status)
  curl -sf -H "Authorization: Bearer $TOKEN" "http://localhost:$port/metrics" |
    awk '/^http_server_requests_seconds_count\{/ {s += $NF} END {printf "%.0f", s}'
}
per_request() { # TICKS REQUESTS: microseconds of CPU per request
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}'
}
java_of() { pgrep -P "$1" java || echo "$1"; }
quantile() { # Q BEFORE AFTER: the bucket bound under which Q of the events delivered in between fell
  awk -v q="$1" 'NR == FNR {b[$1] = $2; next} {le[n] = $1; d[n++] = $2 - b[$1]}
    END {total = d[n - 1]; if (total <= 0) {print "n/a"; exit}
         for (i = 0; i < n; i++) if (d[i] >= q * total) {print le[i] "s"; exit}}' "$2" "$3"
}

: >"$work/results"
for run in 1 2; do
  for relay in off on; do
    env_relay=()
    [ "$relay" = on ] && env_relay=(HOTPATH_KAFKA_BOOTSTRAP="$bootstrap" HOTPATH_KAFKA_TOPIC_PREFIX="bench$run.")
    env HOTPATH_PORT="$port" "${env_relay[@]}" "$root/hotpath" serve --demo >"$work/hotpath-$relay.log" 2>&1 &
    server_pid=$!
    wait_ready
    if [ "$relay" = on ]; then
      # first the backlog: what the log holds from before (the demo's history, the orders of the
      # runs with the relay off), published from the relay's last position; its rate is the
      # relay's catch-up throughput
      t0=$(date +%s)
      e0=$(metric hotpath_relay_events_total)
      until awk -v v="$(metric hotpath_relay_lag_events)" 'BEGIN {exit !(v == "0" || v + 0 == 0 && v != "NaN")}'; do
        sleep 1
      done
      t1=$(date +%s)
      e1=$(metric hotpath_relay_events_total)
      echo "run $run catch-up: $(awk -v e="$e1" -v f="$e0" 'BEGIN {printf "%.0f", e - f}') events in $((t1 - t0)) s = $(awk -v e="$e1" -v f="$e0" -v s=$((t1 - t0)) 'BEGIN {printf "%.0f", (e - f) / (s > 0 ? s : 1)}') events/s" | tee -a "$work/results"
      buckets >"$work/before"
    fi
    events_before=$(metric hotpath_relay_events_total)
    jpid=$(java_of "$server_pid")
    server0=$(ticks "$jpid")
    broker0=$(ticks "$broker_pid")
    loops0=$(thread_ticks "$jpid" '^vert\.x-eventloo')
    relay0=$(thread_ticks "$jpid" '^(hotpath-relay|kafka-producer-)')
    db0=$(db_ticks)
    requests0=$(requests)
    start=$(date +%s)
    out=$("$root/scripts/bench-writes.sh" "http://localhost:$port")
    secs=$(( $(date +%s) - start ))
    # CPU per request over the whole write run: the server's JVM (of which its event loops and the
    # relay's threads: its loop and its producer's network thread), the database, the broker
    n=$(( $(requests) - requests0 ))
    server_us=$(per_request $(( $(ticks "$jpid") - server0 )) "$n")
    loops_us=$(per_request $(( $(thread_ticks "$jpid" '^vert\.x-eventloo') - loops0 )) "$n")
    relay_us=$(per_request $(( $(thread_ticks "$jpid" '^(hotpath-relay|kafka-producer-)') - relay0 )) "$n")
    db_us=$(per_request $(( $(db_ticks) - db0 )) "$n")
    broker_us=$(per_request $(( $(ticks "$broker_pid") - broker0 )) "$n")
    total_us=$(awk -v a="$server_us" -v b="$db_us" -v c="$broker_us" 'BEGIN {printf "%.1f", a + b + c}')
    echo "run $run relay $relay: CPU per request (${n} requests): server ${server_us} us (event loops ${loops_us} us, relay threads ${relay_us} us), database ${db_us} us, broker ${broker_us} us; total ${total_us} us" | tee -a "$work/results"
    echo "$run $relay $total_us $server_us" >>"$work/cpu"
    # where the CPU went over the whole write run (warm-up, full speed, paced): cores used on average
    cores=$(awk -v s=$(( $(ticks "$jpid") - server0 )) -v b=$(( $(ticks "$broker_pid") - broker0 )) \
      -v hz="$(getconf CLK_TCK)" -v t="$secs" 'BEGIN {printf "server %.2f cores, broker %.2f cores", s / hz / t, b / hz / t}')
    echo "run $run relay $relay: $cores over ${secs}s" | tee -a "$work/results"
    orders=$(echo "$out" | awk '/full speed/ {for (i = 1; i <= NF; i++) if ($i == "orders/s") print $(i-1)}' |
      awk '{s += $1; n++} END {printf "%.0f", s / n}')
    if [ "$relay" = on ]; then
      events_after=$(metric hotpath_relay_events_total)
      buckets >"$work/after"
      p50=$(quantile 0.5 "$work/before" "$work/after")
      p99=$(quantile 0.99 "$work/before" "$work/after")
      behind=$(metric hotpath_relay_lag_events)
      rate=$(awk -v a="$events_before" -v b="$events_after" -v s="$secs" 'BEGIN {printf "%.0f", (b - a) / s}')
      echo "run $run relay on:  $orders orders/s (full speed, mean of 2); relay $rate events/s over ${secs}s; write-to-ack lag p50 <= $p50, p99 <= $p99; $behind behind at the end" | tee -a "$work/results"
    else
      echo "run $run relay off: $orders orders/s (full speed, mean of 2)" | tee -a "$work/results"
    fi
    echo "$run $relay $orders" >>"$work/rates"
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
    server_pid=""
  done
done
echo "== CPU per request with the relay off and on (server JVM + database + broker; the server JVM alone)"
awk '{t[$1 " " $2] = $3; s[$1 " " $2] = $4} END {for (i = 1; i <= 2; i++)
  printf "run %d: total %.1f -> %.1f us (%+.1f), server %.1f -> %.1f us (%+.1f)\n", i, t[i " off"], t[i " on"],
    t[i " on"] - t[i " off"], s[i " off"], s[i " on"], s[i " on"] - s[i " off"]}' "$work/cpu"
echo "== write rate with the relay on / off (goal >= 0.95)"
awk '{r[$1 " " $2] = $3} END {for (i = 1; i <= 2; i++) printf "run %d: %.3f\n", i, r[i " on"] / r[i " off"]}' "$work/rates"
