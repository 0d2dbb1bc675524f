#!/usr/bin/env bash
# Two builds side by side on the uncached customer-orders page in all three formats of #22, for a
# machine too busy for absolute rates: JSON over HTTP/1.1 (wrk), protobuf over h2c (h2load, one
# stream per connection) and gRPC (load/GrpcLoad.java). Server A (JAR_A on DATA_A) and server B
# (JAR_B on DATA_B, a copy of the same data) run at once with the response cache off
# (HOTPATH_CACHE_MAX_MB=0); ROUNDS rounds each run every format on A then on B (or B then A on even
# rounds), SEGMENT seconds each, CONNECTIONS in flight. Per segment: requests per second, and per
# request the CPU of the server, of its embedded PostgreSQL (postmaster and backends, from /proc)
# and of the load generator (/usr/bin/time; GrpcLoad's own count), all on the same cores; at the
# end, per server and format, the CPU per request over all its segments, and each format's rate
# over JSON's rate in the same round. JFR=1 records each server's CPU-time samples per format and
# round (/tmp/hotpath-page-ab-{a,b}-{json,pb,grpc}-ROUND.jfr; JFR_SETTINGS: a .jfc, default
# profile). The format grpch2 (not in the default FORMATS) sends gRPC's call with h2load, the C
# client of the pb row, so that gRPC and protobuf/h2c differ on the server only; its non-2xx are
# the calls the server ended other than OK or CANCELLED (its /metrics). Kills both servers on exit.
#   JAR_A=... JAR_B=... DATA_A=... DATA_B=... scripts/bench-formats-page-ab.sh
#   (PORT_A=8132, PORT_B=8134, gRPC on PORT+1, CUSTOMER_ID=2, PAGE_LIMIT=20, ROUNDS=3, SEGMENT=10,
#    CONNECTIONS=64, FORMATS="json pb grpc", GRPC_WARMUP=10)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar_a="${JAR_A:?the jar of server A}"
jar_b="${JAR_B:?the jar of server B}"
data_a="${DATA_A:?the data folder of server A}"
data_b="${DATA_B:?the data folder of server B (a copy of the data of A)}"
port_a="${PORT_A:-8132}"
port_b="${PORT_B:-8134}"
customer="${CUSTOMER_ID:-2}"
limit="${PAGE_LIMIT:-20}"
rounds="${ROUNDS:-3}"
segment="${SEGMENT:-10}"
conns="${CONNECTIONS:-64}"
formats="${FORMATS:-json pb grpc}"
# seconds each gRPC client JVM warms up before its measured ones (a client measured cold spent
# 0.6-1.2 ms of CPU per call in the JIT, on the cores the server needs)
grpc_warmup="${GRPC_WARMUP:-10}"
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
start() { # $1 jar, $2 data, $3 port, $4 log
  HOTPATH_RATE_CLIENT="$quota" HOTPATH_RATE_IP="$quota" HOTPATH_RATE_GLOBAL="$quota" \
    HOTPATH_CACHE_MAX_MB=0 HOTPATH_H2C=on HOTPATH_GRPC_PORT="$(($3 + 1))" \
    HOTPATH_DATA_DIR="$2" MALLOC_ARENA_MAX=2 \
    "$java" --enable-native-access=ALL-UNNAMED $(hotpath_java_opts) \
    -jar "$1" serve --demo --port "$3" --data-dir "$2" >"$4" 2>&1 &
  pids+=($!)
}
start "$jar_a" "$data_a" "$port_a" /tmp/hotpath-page-ab-a.log
pid_a=${pids[0]}
start "$jar_b" "$data_b" "$port_b" /tmp/hotpath-page-ab-b.log
pid_b=${pids[1]}
for port in "$port_a" "$port_b"; do
  for _ in $(seq 1 900); do
    if curl -fs "http://localhost:$port/health/ready" >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  curl -fs "http://localhost:$port/health/ready" >/dev/null || {
    echo "the server on $port did not start: /tmp/hotpath-page-ab-*.log" >&2
    exit 2
  }
done
# the embedded PostgreSQL of each data folder
pg_a="$(pgrep -f -o "postgres -D $(cd "$data_a" && pwd)/pg")"
pg_b="$(pgrep -f -o "postgres -D $(cd "$data_b" && pwd)/pg")"

token="$("$java" -jar "$jar_a" token --data-dir "$data_a" --sub service:bench \
  --scope service,orders:read,customers:read --ttl 7200)"
auth="Authorization: Bearer $token"
path="/v1/customers/$customer/orders?limit=$limit"
for f in application/json application/x-protobuf; do
  a="$(curl -fs -H "$auth" -H "Accept: $f" "http://localhost:$port_a$path" | sha256sum)"
  b="$(curl -fs -H "$auth" -H "Accept: $f" "http://localhost:$port_b$path" | sha256sum)"
  [ "$a" = "$b" ] || echo "warning: A and B answer different $f bytes" >&2
done
timing="$(curl -fs -o /dev/null -D - -H "$auth" "http://localhost:$port_a$path" | grep -i '^server-timing:' || true)"
echo "page $path: $timing"

ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  echo "${stat##*) }" | awk '{print $12 + $13}'
}
pg_ticks() { # $1 postmaster: its own CPU, its reaped backends', and its live backends'
  local t v
  t="$(sed "s/.*) //" "/proc/$1/stat" | awk '{print $12 + $13 + $14 + $15}')"
  for p in $(pgrep -P "$1"); do
    v="$(sed "s/.*) //" "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')"
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
declare -A cpu pgc req rate
work="$(mktemp -d)"
# grpch2's request: ListCustomerOrdersRequest {id: customer, limit} as a gRPC call's body (its
# length-prefixed message), written by GrpcLoad with the generated classes
"$java" -Dlimit="$limit" -Dframe="$work/grpc-page.bin" -cp "$jar_a" "$root/load/GrpcLoad.java" \
  localhost:0 - page "$customer"
# calls of ListCustomerOrders the server ended other than OK, from its /metrics; CANCELLED is
# left out: h2load resets the calls still in flight when its time is up (wrk's 499s, so to say)
grpc_not_ok() {
  curl -fs "http://localhost:$1/metrics" |
    awk '/^grpc_server_calls_seconds_count\{/ && /ListCustomerOrders/ && !/code="(OK|CANCELLED)"/ {n += $NF} END {printf "%d", n}'
}
# the load generator's CPU seconds (user, system) over its run, on the last line of lg.txt
timed() { /usr/bin/time -f 'LOADGEN_CPU %U %S' -o "$work/lg.txt" "$@"; }
# $1 A|B, $2 format, $3 seconds, $4 counted (1) or warm-up, $5 round
run() {
  local pid port pg t0 t1 p0 p1 out n rps bad=0
  if [ "$1" = A ]; then pid=$pid_a port=$port_a pg=$pg_a; else pid=$pid_b port=$port_b pg=$pg_b; fi
  local lc
  lc="$(echo "$1" | tr AB ab)"
  if [ -n "${JFR:-}" ] && [ "$4" = 1 ]; then
    "$JAVA_HOME/bin/jcmd" "$pid" JFR.start name="$2" settings="${JFR_SETTINGS:-profile}" \
      filename="/tmp/hotpath-page-ab-$lc-$2-$5.jfr" >/dev/null
  fi
  case "$2" in
    json)
      t0="$(ticks "$pid")" p0="$(pg_ticks "$pg")"
      out="$(timed wrk -t1 -c"$conns" -d"${3}s" -H "$auth" "http://localhost:$port$path")"
      t1="$(ticks "$pid")" p1="$(pg_ticks "$pg")"
      n="$(echo "$out" | awk '/requests in/ {print $1}')"
      rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
      bad="$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')"
      ;;
    pb)
      t0="$(ticks "$pid")" p0="$(pg_ticks "$pg")"
      out="$(timed h2load -c"$conns" -m1 -D "$3" -H "$auth" -H "Accept: application/x-protobuf" "http://localhost:$port$path")"
      t1="$(ticks "$pid")" p1="$(pg_ticks "$pg")"
      n="$(echo "$out" | awk '/^requests:/ {print $8}')"
      rps="$(echo "$out" | awk '/^finished in/ {print $4}')"
      bad="$(echo "$out" | awk '/^status codes:/ {s = $5 + $7 + $9} /^requests:/ {f = $10} END {print s + f}')"
      ;;
    grpch2)
      # the same call as grpc, sent by h2load (the C client of the pb row) instead of the Java
      # client: a unary gRPC call is a POST of one length-prefixed message; h2load counts the
      # 200s, and the calls that ended other than OK are the server's own count of them
      local before
      before="$(grpc_not_ok "$port")"
      t0="$(ticks "$pid")" p0="$(pg_ticks "$pg")"
      out="$(timed h2load -c"$conns" -m1 -D "$3" -d "$work/grpc-page.bin" -H 'content-type: application/grpc' \
        -H 'te: trailers' -H "$auth" "http://localhost:$((port + 1))/hotpath.v1.OrdersService/ListCustomerOrders")"
      t1="$(ticks "$pid")" p1="$(pg_ticks "$pg")"
      n="$(echo "$out" | awk '/^requests:/ {print $8}')"
      rps="$(echo "$out" | awk '/^finished in/ {print $4}')"
      bad="$(echo "$out" | awk -v g="$(($(grpc_not_ok "$port") - before))" '/^status codes:/ {s = $5 + $7 + $9} /^requests:/ {f = $10} END {print s + f + g}')"
      ;;
    grpc)
      "$java" -Dlimit="$limit" -Dwarmup="$grpc_warmup" -Dconnections=2 -cp "$jar_a" "$root/load/GrpcLoad.java" \
        "localhost:$((port + 1))" "$token" page "$customer" "" "$3" "$conns" >"$work/grpc.txt" 2>&1 &
      local client=$!
      until grep -q '^measuring' "$work/grpc.txt" || ! kill -0 "$client" 2>/dev/null; do sleep 0.05; done
      t0="$(ticks "$pid")" p0="$(pg_ticks "$pg")"
      until grep -q '^measured' "$work/grpc.txt" || ! kill -0 "$client" 2>/dev/null; do sleep 0.05; done
      t1="$(ticks "$pid")" p1="$(pg_ticks "$pg")"
      wait "$client" || true
      awk '/^measuring, client CPU ns:/ {a = $NF} /^measured, client CPU ns:/ {b = $NF} END {print (b - a) / 1e9}' "$work/grpc.txt" >"$work/lg.txt"
      n="$(sed -n 's/^requests: \([0-9]*\),.*/\1/p' "$work/grpc.txt")"
      rps="$(sed -n 's/.*req\/s: \([0-9.]*\),.*/\1/p' "$work/grpc.txt")"
      bad="$(sed -n 's/.*errors: \([0-9]*\),.*/\1/p' "$work/grpc.txt")"
      ;;
  esac
  if [ -n "${JFR:-}" ] && [ "$4" = 1 ]; then
    "$JAVA_HOME/bin/jcmd" "$pid" JFR.stop name="$2" >/dev/null
  fi
  [ "$4" = 1 ] || return 0
  local lg
  lg="$(awk '/^LOADGEN_CPU/ {print $2 + $3; next} NF == 1 {print $1}' "$work/lg.txt")"
  cpu[$1$2]=$((${cpu[$1$2]:-0} + t1 - t0))
  pgc[$1$2]=$((${pgc[$1$2]:-0} + p1 - p0))
  req[$1$2]=$((${req[$1$2]:-0} + n))
  rate[$1$2$5]="$rps"
  awk -v s="$1 $2" -v r="$rps" -v a="$t0" -v b="$t1" -v c="$p0" -v d="$p1" -v n="$n" -v hz="$hz" -v bad="${bad:-0}" -v g="${lg:-0}" \
    'BEGIN { printf "  %-7s rps %-9s server %4.0f us/req  PostgreSQL %4.0f us/req  load generator %4.0f us/req  non-2xx %s\n", s, r, (b - a) * 1e6 / hz / n, (d - c) * 1e6 / hz / n, g * 1e6 / n, bad }'
}
echo "warm-up"
for f in $formats; do
  run A "$f" 5 0 0
  run B "$f" 5 0 0
done
for r in $(seq 1 "$rounds"); do
  echo "round $r"
  if [ $((r % 2)) = 1 ]; then order="A B"; else order="B A"; fi
  for f in $formats; do
    for s in $order; do
      run "$s" "$f" "$segment" 1 "$r"
    done
  done
done
echo "all rounds: CPU per request (us), server + PostgreSQL"
for s in A B; do
  for f in $formats; do
    awk -v s="$s" -v f="$f" -v c="${cpu[$s$f]}" -v p="${pgc[$s$f]}" -v n="${req[$s$f]}" -v hz="$hz" \
      'BEGIN { printf "  %s %-5s server %.1f  PostgreSQL %.1f\n", s, f, c * 1e6 / hz / n, p * 1e6 / hz / n }'
  done
done
[[ " $formats " == *" json "* ]] || exit 0
echo "rate over JSON's, same server and round"
for s in A B; do
  for f in $formats; do
    [ "$f" = json ] && continue
    line="  $s $f:"
    for r in $(seq 1 "$rounds"); do
      line="$line $(awk -v a="${rate[$s$f$r]}" -v b="${rate[${s}json$r]}" 'BEGIN { printf "%.2fx", a / b }')"
    done
    echo "$line"
  done
done
rm -rf "$work"
