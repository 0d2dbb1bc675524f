#!/usr/bin/env bash
# Two builds side by side on the uncached customer-orders page (#22), for a machine too busy for
# absolute rates: server A (JAR_A, data DATA_A) and server B (JAR_B, data DATA_B: a copy of the same
# demo data, so the same page) run at once, and ROUNDS rounds each run, in turn on A and B, a closed
# loop of wrk (CONNECTIONS, SEGMENT seconds) on the page as JSON and as protobuf over HTTP/1.1
# (the same bytes gRPC and h2c carry; their transports are left out so that only the encoding
# differs). Per segment: requests per second and the server's CPU per request (user+system from
# /proc over the segment); at the end, each server's CPU per request over all its segments of a
# format, and protobuf's minus JSON's (what the protobuf page costs over the JSON one). CPU time
# is what a change saves; rates on a shared machine are noise. Kills both servers on exit.
#   JAR_A=... JAR_B=... DATA_A=... DATA_B=... scripts/bench-formats-ab.sh
# JFR=1 records each server (/tmp/hotpath-ab-a.jfr, -b.jfr; profile settings), written on exit.
#   (PORT_A=8103, PORT_B=8113, CUSTOMER_ID=42, PAGE_LIMIT=5, ROUNDS=4, SEGMENT=8, CONNECTIONS=16)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar_a="${JAR_A:?the jar of server A}"
jar_b="${JAR_B:?the jar of server B}"
data_a="${DATA_A:?the data folder of server A}"
data_b="${DATA_B:?the data folder of server B (a copy of the data of A)}"
port_a="${PORT_A:-8103}"
port_b="${PORT_B:-8113}"
customer="${CUSTOMER_ID:-42}"
limit="${PAGE_LIMIT:-5}"
rounds="${ROUNDS:-4}"
segment="${SEGMENT:-8}"
conns="${CONNECTIONS:-16}"
# shellcheck source=scripts/find-jdk.sh
. "$root/scripts/find-jdk.sh"
hotpath_find_jdk
java="$JAVA_HOME/bin/java"
hz="$(getconf CLK_TCK)"

pids=()
stop() {
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
}
trap stop EXIT

quota=2000000000
start() { # $1 jar, $2 data, $3 port, $4 log, $5 a|b
  HOTPATH_RATE_CLIENT="$quota" HOTPATH_RATE_IP="$quota" HOTPATH_RATE_GLOBAL="$quota" \
    HOTPATH_DATA_DIR="$2" MALLOC_ARENA_MAX=2 \
    "$java" --enable-native-access=ALL-UNNAMED $(hotpath_java_opts) \
    ${JFR:+"-XX:StartFlightRecording=filename=/tmp/hotpath-ab-$5.jfr,settings=profile"} -jar "$1" serve --demo --port "$3" --data-dir "$2" >"$4" 2>&1 &
  pids+=($!)
}
start "$jar_a" "$data_a" "$port_a" /tmp/hotpath-ab-a.log a
pid_a=${pids[0]}
start "$jar_b" "$data_b" "$port_b" /tmp/hotpath-ab-b.log b
pid_b=${pids[1]}
for port in "$port_a" "$port_b"; do
  for _ in $(seq 1 900); do
    if curl -fs "http://localhost:$port/health/ready" >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  curl -fs "http://localhost:$port/health/ready" >/dev/null || {
    echo "the server on $port did not start: /tmp/hotpath-ab-*.log" >&2
    exit 2
  }
done

token="$(HOTPATH_DATA_DIR="$data_a" "$java" -jar "$jar_a" token --data-dir "$data_a" --sub service:bench \
  --scope service,orders:read,customers:read --ttl 7200)"
auth="Authorization: Bearer $token"
path_of() { # $1 port: the page's path (its second page, a cursor page: never cached)
  local first cursor
  first="$(curl -fs -H "$auth" "http://localhost:$1/v1/customers/$customer/orders?limit=$limit")"
  cursor="$(echo "$first" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')"
  echo "/v1/customers/$customer/orders?limit=$limit&cursor=$cursor"
}
path_a="$(path_of "$port_a")"
path_b="$(path_of "$port_b")"
for f in application/json application/x-protobuf; do
  a="$(curl -fs -H "$auth" -H "Accept: $f" "http://localhost:$port_a$path_a" | sha256sum)"
  b="$(curl -fs -H "$auth" -H "Accept: $f" "http://localhost:$port_b$path_b" | sha256sum)"
  [ "$a" = "$b" ] || echo "warning: A and B answer different $f bytes" >&2
done

ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  echo "${stat##*) }" | awk '{print $12 + $13}'
}
declare -A cpu req
# $1 A|B, $2 pid, $3 port, $4 path, $5 json|pb, $6 accept, $7 seconds, $8 counted (1) or warm-up
run() {
  local t0 t1 out n rps
  t0="$(ticks "$2")"
  out="$(wrk -t1 -c"$conns" -d"${7}s" -H "$auth" -H "Accept: $6" "http://localhost:$3$4")"
  t1="$(ticks "$2")"
  n="$(echo "$out" | awk '/requests in/ {print $1}')"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  bad="$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')"
  [ "$8" = 1 ] || return 0
  cpu[$1$5]=$((${cpu[$1$5]:-0} + t1 - t0))
  req[$1$5]=$((${req[$1$5]:-0} + n))
  awk -v s="$1 $5" -v r="$rps" -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" -v bad="${bad:-0}" \
    'BEGIN { printf "  %-8s rps %-9s server CPU %4.0f us/req  non-2xx %s\n", s, r, (b - a) * 1e6 / hz / n, bad }'
}
echo "warm-up"
for _ in 1 2; do
  run A "$pid_a" "$port_a" "$path_a" json application/json "$segment" 0
  run B "$pid_b" "$port_b" "$path_b" json application/json "$segment" 0
  run A "$pid_a" "$port_a" "$path_a" pb application/x-protobuf "$segment" 0
  run B "$pid_b" "$port_b" "$path_b" pb application/x-protobuf "$segment" 0
done
for r in $(seq 1 "$rounds"); do
  echo "round $r"
  run A "$pid_a" "$port_a" "$path_a" json application/json "$segment" 1
  run B "$pid_b" "$port_b" "$path_b" json application/json "$segment" 1
  run A "$pid_a" "$port_a" "$path_a" pb application/x-protobuf "$segment" 1
  run B "$pid_b" "$port_b" "$path_b" pb application/x-protobuf "$segment" 1
done
echo "all rounds: server CPU per request (us)"
for s in A B; do
  awk -v s="$s" -v cj="${cpu[${s}json]}" -v nj="${req[${s}json]}" -v cp="${cpu[${s}pb]}" \
    -v np="${req[${s}pb]}" -v hz="$hz" 'BEGIN {
      j = cj * 1e6 / hz / nj; p = cp * 1e6 / hz / np
      printf "  %s: JSON %.1f, protobuf %.1f, protobuf - JSON %+.1f\n", s, j, p, p - j }'
done
