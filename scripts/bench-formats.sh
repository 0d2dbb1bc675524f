#!/usr/bin/env bash
# The wire formats side by side (#22), on one server, in one sitting: the cached order read and the
# uncached customer-orders page (a cursor page: never cached) as JSON over HTTP/1.1 (wrk), JSON
# and protobuf over h2c (h2load, prior knowledge), gRPC (load/GrpcLoad.java: a closed-loop
# grpc-java client, since ghz is not packaged for Debian), and GraphQL when the server has
# /graphql. Per line: requests per second, p99, bytes per answer and server CPU per request (the
# server process's user+system time over the run, from /proc, divided by the requests).
# Authentication on, with a development token. Starts its own server on the demo data; installs
# wrk and h2load (Debian: wrk, nghttp2-client) when missing. Not a test: the lead measures with it.
#   scripts/bench-formats.sh   (PORT=18480, GRPC_PORT=18481, DATA_DIR=data, ORDER_ID=200000,
#                               CUSTOMER_ID=1, PAGE_LIMIT=10, DURATION=20, WARMUP=10, CONNECTIONS=64, STREAMS=10)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-18480}"
grpc_port="${GRPC_PORT:-18481}"
data="${DATA_DIR:-$root/data}"
order="${ORDER_ID:-200000}"
customer="${CUSTOMER_ID:-1}"
duration="${DURATION:-20}"
warmup="${WARMUP:-10}"
conns="${CONNECTIONS:-64}"
streams="${STREAMS:-10}"
limit="${PAGE_LIMIT:-10}"
jar="$root/server/target/hotpath.jar"

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} (Debian packages)..." >&2
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >/dev/null
fi
# shellcheck source=scripts/find-jdk.sh
. "$root/scripts/find-jdk.sh"
hotpath_find_jdk
java="$JAVA_HOME/bin/java"

pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
}
trap stop EXIT

HOTPATH_H2C=on HOTPATH_GRPC_PORT="$grpc_port" \
  "$root/hotpath" serve --demo --port "$port" --data-dir "$data" >/tmp/hotpath-bench-formats.log 2>&1 &
pid=$!
base="http://localhost:$port"
for _ in $(seq 1 600); do
  if curl -fs "$base/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the server did not start; see /tmp/hotpath-bench-formats.log" >&2
    exit 2
  fi
  sleep 0.5
done
# the java process that serves (the launcher may have a shell in front of it)
server_pid="$(pgrep -f -n "hotpath.*serve.*--port $port" || echo "$pid")"
cpu_ticks() { sed "s/.*) //" "/proc/$server_pid/stat" | awk "{print \$12 + \$13}"; }
hz="$(getconf CLK_TCK)"

token="$("$root/hotpath" token --data-dir "$data" --sub service:bench --scope service,orders:read --ttl 7200)"
auth="Authorization: Bearer $token"
cursor="$(curl -fs -H "$auth" "$base/v1/customers/$customer/orders?limit=$limit" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')"
if [ -z "$cursor" ]; then
  echo "customer $customer has a single page of orders; set CUSTOMER_ID to a busier one" >&2
  exit 2
fi
order_path="/v1/orders/$order"
page_path="/v1/customers/$customer/orders?limit=$limit&cursor=$cursor"

bytes() { # $1 path, $2 accept
  curl -fs -o /dev/null -w '%{size_download}' -H "$auth" -H "Accept: $2" "$base$1"
}

# $1 label, $2 path, $3 accept, $4 tool (wrk|h2load)
http_run() {
  local label="$1" path="$2" accept="$3" tool="$4" out t0 t1 n rps p99
  if [ "$tool" = wrk ]; then
    wrk -t1 -c"$conns" -d"${warmup}s" -H "$auth" -H "Accept: $accept" "$base$path" >/dev/null
    t0="$(cpu_ticks)"
    out="$(wrk -t1 -c"$conns" -d"${duration}s" --latency -H "$auth" -H "Accept: $accept" "$base$path")"
    t1="$(cpu_ticks)"
    n="$(echo "$out" | awk '/requests in/ {print $1}')"
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
  else
    h2load -c"$conns" -m"$streams" -D "$warmup" -H "$auth" -H "Accept: $accept" "$base$path" >/dev/null
    t0="$(cpu_ticks)"
    out="$(h2load -c"$conns" -m"$streams" -D "$duration" -H "$auth" -H "Accept: $accept" "$base$path")"
    t1="$(cpu_ticks)"
    n="$(echo "$out" | awk '/^requests:/ {print $8}')"
    rps="$(echo "$out" | awk '/^finished in/ {print $4}')"
    p99="n/a(h2load: mean $(echo "$out" | awk '/time for request:/ {print $6}'))"
  fi
  printf '%-34s rps %-10s p99 %-26s bytes %-6s cpu/req %s ms\n' "$label" "$rps" "$p99" \
    "$(bytes "$path" "$accept")" "$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.3f", (n > 0 ? (b - a) * 1000 / hz / n : 0) }')"
}

# $1 label, $2 order|page, $3 id, $4 cursor
grpc_run() {
  local out t0 t1 n
  "$java" -Dlimit="$limit" -cp "$jar" "$root/load/GrpcLoad.java" "localhost:$grpc_port" "$token" "$2" "$3" "$4" "$warmup" "$conns" >/dev/null
  t0="$(cpu_ticks)"
  out="$("$java" -Dlimit="$limit" -cp "$jar" "$root/load/GrpcLoad.java" "localhost:$grpc_port" "$token" "$2" "$3" "$4" "$duration" "$conns")"
  t1="$(cpu_ticks)"
  n="$(echo "$out" | sed -n 's/^requests: \([0-9]*\),.*/\1/p')"
  printf '%-34s %s, cpu/req %s ms\n' "$1" "$out" \
    "$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%.3f", (n > 0 ? (b - a) * 1000 / hz / n : 0) }')"
}

echo "== cached order read $order_path"
http_run "JSON / HTTP/1.1 (wrk)" "$order_path" application/json wrk
http_run "JSON / h2c (h2load)" "$order_path" application/json h2load
http_run "protobuf / h2c (h2load)" "$order_path" application/x-protobuf h2load
grpc_run "gRPC GetOrder" order "$order" ""
echo "== uncached customer-orders page (a cursor page of $limit)"
http_run "JSON / HTTP/1.1 (wrk)" "$page_path" application/json wrk
http_run "JSON / h2c (h2load)" "$page_path" application/json h2load
http_run "protobuf / h2c (h2load)" "$page_path" application/x-protobuf h2load
grpc_run "gRPC ListCustomerOrders" page "$customer" "$cursor"
if curl -s -o /dev/null -w '%{http_code}' -X POST -H "$auth" -H 'Content-Type: application/json' \
  -d '{"query":"{ __typename }"}' "$base/graphql" | grep -q '^200$'; then
  echo "== GraphQL: /graphql answers; add its queries here once its persisted queries are known"
else
  echo "== GraphQL: no /graphql route on this server"
fi
