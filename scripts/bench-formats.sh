#!/usr/bin/env bash
# The wire formats side by side (#22), on one server, in one sitting: the cached order read and the
# uncached customer-orders page (a cursor page: never cached) as JSON over HTTP/1.1 (wrk), JSON
# and protobuf over h2c (h2load, prior knowledge), gRPC (load/GrpcLoad.java: a closed-loop
# grpc-java client, since ghz is not packaged for Debian; and the same calls again sent by h2load,
# whose CPU per call is several times lower, on the cores the server shares), and GraphQL (POST /graphql over HTTP/1.1
# with wrk, asking for every field the REST answer has). Per line: requests per second, p99, bytes
# per answer, answers that were not 2xx (a row with any is not a measurement of the format; under
# it, what they were: the load generator's split, and the server's own count from /metrics of
# answers by route and status, admission's sheds and rate limiting's refusals by reason, and gRPC
# calls by code, over the measured seconds), and
# server CPU per request (the server process's user+system time over the run, from /proc, divided
# by the requests). Before each part the script checks, from Server-Timing, that the order read
# is a cache hit and the page a miss, and stops if not. Authentication on, with a development
# token; rate limits on with quotas no run can spend (their cost is in the figures, their refusals
# are not). h2load runs STREAMS streams per connection on the cached order, one on the page (64
# in flight, as wrk and gRPC). gRPC's 64 calls go over GRPC_CONNECTIONS connections (default 2:
# the server reads a connection on one event loop, so one connection left the other loop idle),
# warmed up and measured in one client JVM.
#
# Where a request's machine time goes: besides the server's CPU, each row has the CPU per request
# of the embedded PostgreSQL (the postmaster and its backends, from /proc, reaped backends
# included) and of the load generator (wrk, h2load, GrpcLoad: /usr/bin/time, or /proc for
# GrpcLoad's measured seconds), since all three share the machine's cores. After each part, every
# row's ratio to the JSON / HTTP/1.1 row: by rate (its rps over JSON's: the issue's measure, goal
# 1.2x for gRPC and protobuf on the uncached page) and by server CPU (JSON's CPU per request over
# its own: what the format saves the server, whatever else shares the machine).
#
# Starts its own server on the demo data; installs wrk, h2load and time (Debian: wrk,
# nghttp2-client, time) when missing. Not a test: the lead measures with it.
#   scripts/bench-formats.sh   (PORT=18480, GRPC_PORT=18481, DATA_DIR=data, ORDER_ID=<the customer's newest>,
#                               CUSTOMER_ID=42, PAGE_LIMIT=5, DURATION=20, WARMUP=10, CONNECTIONS=64, STREAMS=10,
#                               GRPC_CONNECTIONS=2, PARTS="order page graphql": the parts to run, any of the three)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-18480}"
grpc_port="${GRPC_PORT:-18481}"
data="${DATA_DIR:-$root/data}"
order="${ORDER_ID:-}"
customer="${CUSTOMER_ID:-42}" # 9 orders in the demo: two pages of 5
duration="${DURATION:-20}"
warmup="${WARMUP:-10}"
conns="${CONNECTIONS:-64}"
streams="${STREAMS:-10}"
limit="${PAGE_LIMIT:-5}"
grpc_conns="${GRPC_CONNECTIONS:-2}"
parts=" ${PARTS:-order page graphql} "
part() { [[ "$parts" == *" $1 "* ]]; }
jar="$root/server/target/hotpath.jar"

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
[ -x /usr/bin/time ] || need+=(time)
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
work="$(mktemp -d)"
trap 'stop; rm -rf "$work"' EXIT

quota=2000000000
HOTPATH_H2C=on HOTPATH_GRPC_PORT="$grpc_port" \
  HOTPATH_RATE_CLIENT="$quota" HOTPATH_RATE_IP="$quota" HOTPATH_RATE_GLOBAL="$quota" \
  "$root/hotpath" serve --demo --port "$port" --data-dir "$data" >/tmp/hotpath-bench-formats-$port.log 2>&1 &
pid=$!
base="http://localhost:$port"
for _ in $(seq 1 600); do
  if curl -fs "$base/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the server did not start; see /tmp/hotpath-bench-formats-$port.log" >&2
    exit 2
  fi
  sleep 0.5
done
# the java process that serves (the launcher may have a shell in front of it)
server_pid="$(pgrep -f -n "hotpath.*serve.*--port $port" || echo "$pid")"
cpu_ticks() { sed "s/.*) //" "/proc/$server_pid/stat" | awk "{print \$12 + \$13}"; }
hz="$(getconf CLK_TCK)"
# the embedded PostgreSQL of that data folder: its postmaster's own CPU and its reaped backends'
# (cutime, cstime), plus the CPU of the backends alive now
# (0 when the database is not the embedded one)
pg_pid="$(pgrep -f -o "postgres -D $(cd "$data" && pwd)/pg" || true)"
pg_ticks() {
  [ -n "$pg_pid" ] || { echo 0; return; }
  local t v
  t="$(sed "s/.*) //" "/proc/$pg_pid/stat" | awk '{print $12 + $13 + $14 + $15}')"
  for p in $(pgrep -P "$pg_pid"); do
    v="$(sed "s/.*) //" "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')"
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
# rows of the part being run, for its ratios: label, rps, server CPU per request
rows=()

token="$("$root/hotpath" token --data-dir "$data" --sub service:bench --scope service,orders:read,customers:read --ttl 7200)"
auth="Authorization: Bearer $token"
first="$(curl -fs -H "$auth" "$base/v1/customers/$customer/orders?limit=$limit")"
cursor="$(echo "$first" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')"
order="${order:-$(echo "$first" | sed -n 's/^{"data":\[{"id":\([0-9]*\).*/\1/p')}"
if [ -z "$cursor" ]; then
  echo "customer $customer has a single page of orders; set CUSTOMER_ID to a busier one or PAGE_LIMIT lower" >&2
  exit 2
fi
order_path="/v1/orders/$order"
page_path="/v1/customers/$customer/orders?limit=$limit&cursor=$cursor"

bytes() { # $1 path, $2 accept
  curl -fs -o /dev/null -w '%{size_download}' -H "$auth" -H "Accept: $2" "$base$1"
}

# The load generator's output, the CPU it spent (seconds, /usr/bin/time) on its last line
lg_out="$work/lg.txt"
timed() { /usr/bin/time -f 'LOADGEN_CPU %U %S' -o "$lg_out" "$@"; }
lg_cpu() { awk '/^LOADGEN_CPU/ {print $2 + $3}' "$lg_out"; }

# What the server itself counted as not 2xx or 3xx (by route and status), what admission shed
# and rate limiting refused (by reason), and gRPC calls not OK (by method and code), from its
# /metrics: taken before and after a row's measured seconds, the difference is printed under any
# row that had some, so that a row's non-2xx say what they were
refusals() {
  curl -fs "$base/metrics" 2>/dev/null | awk '
    /^http_server_requests_seconds_count[{]/ && !/status="[23][0-9][0-9]"/ { print $1, $2 }
    /^hotpath_admission_shed_total[{]/ || /^hotpath_rate_limited_total[{]/ { print $1, $2 }
    /^grpc_server_calls_seconds_count[{]/ && !/code="OK"/ { print $1, $2 }' || true
}
refusals_before() { refusals >"$work/refusals.txt"; }
# $1: what the load generator said of its answers that were not 2xx (printed when the server
# counted any, or the load generator did)
refusals_after() {
  local seen
  seen="$(refusals | awk 'NR == FNR { b[$1] = $2; next } { d = $2 - b[$1]; if (d > 0) printf "      %s +%d\n", $1, d }' "$work/refusals.txt" -)"
  if [ -n "$seen" ] || [ -n "${1:-}" ]; then
    echo "   not 2xx in the measured seconds:${1:+ $1}"
    [ -z "$seen" ] || echo "$seen"
  fi
}

# $1 label, $2 path, $3 accept, $4 tool (wrk|h2load), $5 streams per connection (h2load; default
# STREAMS)
http_run() {
  local label="$1" path="$2" accept="$3" tool="$4" m="${5:-$streams}" out t0 t1 p0 p1 n rps p99 bad said=""
  if [ "$tool" = wrk ]; then
    wrk -t1 -c"$conns" -d"${warmup}s" -H "$auth" -H "Accept: $accept" "$base$path" >/dev/null
    refusals_before
    t0="$(cpu_ticks)" p0="$(pg_ticks)"
    out="$(timed wrk -t1 -c"$conns" -d"${duration}s" --latency -H "$auth" -H "Accept: $accept" "$base$path")"
    t1="$(cpu_ticks)" p1="$(pg_ticks)"
    n="$(echo "$out" | awk '/requests in/ {print $1}')"
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
    bad="$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')"
    said="$(echo "$out" | awk '/Non-2xx or 3xx responses:|Socket errors:/' | tr -s ' \n' ' ')"
  else
    h2load -c"$conns" -m"$m" -D "$warmup" -H "$auth" -H "Accept: $accept" "$base$path" >/dev/null
    refusals_before
    t0="$(cpu_ticks)" p0="$(pg_ticks)"
    out="$(timed h2load -c"$conns" -m"$m" -D "$duration" -H "$auth" -H "Accept: $accept" "$base$path")"
    t1="$(cpu_ticks)" p1="$(pg_ticks)"
    n="$(echo "$out" | awk '/^requests:/ {print $8}')"
    rps="$(echo "$out" | awk '/^finished in/ {print $4}')"
    p99="n/a(h2load: mean $(echo "$out" | awk '/time for request:/ {print $6}'))"
    # answers that were not 2xx, plus requests that got no answer (reset, errored, timed out)
    bad="$(echo "$out" | awk '/^status codes:/ {s = $5 + $7 + $9} /^requests:/ {f = $10} END {print s + f}')"
    # h2load's own split: 3xx/4xx/5xx, and requests failed (no answer: reset or refused stream,
    # connection closed), errored and timed out
    said="$(echo "$out" | awk '/^status codes:/ {c = $5 " 3xx, " $7 " 4xx, " $9 " 5xx"} /^requests:/ {f = $10 " failed (no answer: a reset or refused stream), " $12 " errored, " $14 " timed out"} END {print "h2load: " c "; " f}')"
    [ "${bad:-0}" -gt 0 ] || said=""
  fi
  report "$label" "$rps" "$p99" "$(bytes "$path" "$accept")" "${bad:-0}" "$t0" "$t1" "$n" \
    "$p0" "$p1" "$(lg_cpu)"
  refusals_after "$said"
}

# $1 ticks before, $2 after, $3 requests: microseconds of CPU per request
per_req() {
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$hz" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }'
}

# $1 label, $2 rps, $3 p99, $4 bytes, $5 non-2xx answers, $6 $7 server CPU ticks before and after,
# $8 requests, $9 $10 PostgreSQL CPU ticks before and after, $11 the load generator's CPU seconds
report() {
  local server
  server="$(per_req "$6" "$7" "$8")"
  printf '%-34s rps %-10s p99 %-26s bytes %-6s non-2xx %-6s CPU/req: server %s us, PostgreSQL %s us, load generator %s us\n' \
    "$1" "$2" "$3" "$4" "$5" "$server" "$(per_req "$9" "${10}" "$8")" \
    "$(awk -v s="${11:-0}" -v n="$8" 'BEGIN { printf "%.0f", (n > 0 ? s * 1e6 / n : 0) }')"
  rows+=("$1|$2|$server")
}

# After a part: each row's ratio to the part's first row (JSON / HTTP/1.1), by rate (the issue's
# measure) and by the server's CPU per request; then the part starts anew
ratios() {
  local base_rps base_cpu row label rps cpu
  IFS='|' read -r _ base_rps base_cpu <<<"${rows[0]}"
  echo "   ratio to ${rows[0]%%|*}: by rate (rps / its rps: the issue's, goal 1.2x on the page) and by server CPU (its CPU per request / this row's)"
  for row in "${rows[@]:1}"; do
    IFS='|' read -r label rps cpu <<<"$row"
    awk -v l="$label" -v r="$rps" -v br="$base_rps" -v c="$cpu" -v bc="$base_cpu" \
      'BEGIN { printf "   %-34s %.2fx by rate, %.2fx by server CPU\n", l, (br > 0 ? r / br : 0), (c > 0 ? bc / c : 0) }'
  done
  rows=()
}

# $1 path, $2 hit|miss: the second of two reads is a cache hit, or is not one and queried the
# database, as its Server-Timing says; else the run stops
expect_cache() {
  local timing queries
  curl -fs -o /dev/null -H "$auth" "$base$1"
  timing="$(curl -fs -o /dev/null -D - -H "$auth" "$base$1" | tr -d '\r' | grep -i '^server-timing:' || true)"
  queries="$(echo "$timing" | sed -n 's/.*db;[^,]*desc="\([0-9]*\) queries".*/\1/p')"
  if { [ "$2" = hit ] && ! echo "$timing" | grep -q 'cache;desc=hit'; } ||
    { [ "$2" = miss ] && { echo "$timing" | grep -q 'cache;desc=hit' || [ "${queries:-0}" -lt 1 ]; }; }; then
    echo "$1 was expected to be a cache $2; the server said: ${timing:-no Server-Timing}" >&2
    exit 2
  fi
  echo "   (checked: a cache $2, ${queries:-0} database queries)"
}

# $1 label, $2 file holding the GraphQL request (JSON)
graphql_run() {
  local label="$1" body="$2" script out t0 t1 p0 p1 n rps p99 bad size
  script="$work/$(basename "$body").lua"
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[%s]]\n' \
    "$(cat "$body")" >"$script"
  wrk -t1 -c"$conns" -d"${warmup}s" -s "$script" -H "$auth" "$base/graphql" >/dev/null
  refusals_before
  t0="$(cpu_ticks)" p0="$(pg_ticks)"
  out="$(timed wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$script" -H "$auth" "$base/graphql")"
  t1="$(cpu_ticks)" p1="$(pg_ticks)"
  n="$(echo "$out" | awk '/requests in/ {print $1}')"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {print $2}')"
  bad="$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')"
  size="$(curl -fs -o /dev/null -w '%{size_download}' -H "$auth" -H 'Content-Type: application/json' \
    --data-binary "@$body" "$base/graphql")"
  report "$label" "$rps" "$p99" "$size" "${bad:-0}" "$t0" "$t1" "$n" "$p0" "$p1" "$(lg_cpu)"
  refusals_after ""
}

# $1 label, $2 order|page, $3 id, $4 cursor. One client JVM warms up for WARMUP seconds, then
# prints "measuring", runs DURATION seconds and prints "measured": the CPU of the server, of
# PostgreSQL and of the client are read at those two lines.
grpc_run() {
  local out="$work/grpc.txt" client t0 t1 p0 p1 g0 g1 n line rps
  "$java" -Dlimit="$limit" -Dwarmup="$warmup" -Dconnections="$grpc_conns" -cp "$jar" \
    "$root/load/GrpcLoad.java" "localhost:$grpc_port" "$token" "$2" "$3" "$4" "$duration" "$conns" \
    >"$out" 2>&1 &
  client=$!
  until grep -q '^measuring' "$out" || ! kill -0 "$client" 2>/dev/null; do sleep 0.05; done
  refusals_before
  # the client's CPU from its own lines (a client that has exited by the time /proc is read
  # made the script exit, silently, under set -e)
  t0="$(cpu_ticks)" p0="$(pg_ticks)"
  g0="$(sed -n 's/^measuring, client CPU ns: \([0-9]*\)$/\1/p' "$out")"
  until grep -q '^measured' "$out" || ! kill -0 "$client" 2>/dev/null; do sleep 0.05; done
  t1="$(cpu_ticks)" p1="$(pg_ticks)"
  g1="$(sed -n 's/^measured, client CPU ns: \([0-9]*\)$/\1/p' "$out")"
  wait "$client" || true
  line="$(grep '^requests:' "$out" || true)"
  if [ -z "$line" ]; then
    echo "$1: GrpcLoad failed:" >&2
    cat "$out" >&2
    exit 2
  fi
  n="$(echo "$line" | sed -n 's/^requests: \([0-9]*\),.*/\1/p')"
  rps="$(echo "$line" | sed -n 's/.*req\/s: \([0-9.]*\),.*/\1/p')"
  printf '%-34s %s\n' "$1" "$line"
  report "$1" "$rps" "$(echo "$line" | sed -n 's/.*p99: \([0-9.]* ms\).*/\1/p')" \
    "$(echo "$line" | sed -n 's/.*bytes\/answer: \([0-9]*\).*/\1/p')" \
    "$(echo "$line" | sed -n 's/.*errors: \([0-9]*\),.*/\1/p')" "$t0" "$t1" "$n" "$p0" "$p1" \
    "$(awk -v a="${g0:-0}" -v b="${g1:-0}" 'BEGIN { print (b - a) / 1e9 }')"
  refusals_after ""
}

# gRPC calls the server ended other than OK or CANCELLED, from its /metrics (h2load resets the
# calls still in flight when its time is up: those end CANCELLED, as wrk's unfinished requests do)
grpc_not_ok() {
  curl -fs "$base/metrics" 2>/dev/null |
    awk '/^grpc_server_calls_seconds_count[{]/ && !/code="(OK|CANCELLED)"/ {n += $NF} END {printf "%d", n}'
}

# $1 label, $2 order|page, $3 id, $4 cursor, $5 streams per connection. The same call as grpc_run,
# sent by h2load (the C client of the h2c rows) instead of GrpcLoad: a unary gRPC call is a POST of
# one length-prefixed message (GrpcLoad -Dframe writes it with the generated classes), answered
# 200 with the call's status in trailers, so a row's non-2xx are h2load's plus the calls the server
# itself ended other than OK
grpc_h2load_run() {
  local label="$1" body="$work/grpc-$2.bin" method url out t0 t1 p0 p1 n rps p99 bad g0 size
  "$java" -Dlimit="$limit" -Dframe="$body" -cp "$jar" "$root/load/GrpcLoad.java" \
    "localhost:$grpc_port" "$token" "$2" "$3" "$4"
  method=GetOrder
  [ "$2" = order ] || method=ListCustomerOrders
  url="http://localhost:$grpc_port/hotpath.v1.OrdersService/$method"
  local h=(-c"$conns" -m"$5" -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' -H "$auth")
  h2load "${h[@]}" -D "$warmup" "$url" >/dev/null
  refusals_before
  g0="$(grpc_not_ok)"
  t0="$(cpu_ticks)" p0="$(pg_ticks)"
  out="$(timed h2load "${h[@]}" -D "$duration" "$url")"
  t1="$(cpu_ticks)" p1="$(pg_ticks)"
  n="$(echo "$out" | awk '/^requests:/ {print $8}')"
  rps="$(echo "$out" | awk '/^finished in/ {print $4}')"
  p99="n/a(h2load: mean $(echo "$out" | awk '/time for request:/ {print $6}'))"
  bad="$(echo "$out" | awk -v g="$(($(grpc_not_ok) - g0))" '/^status codes:/ {s = $5 + $7 + $9} /^requests:/ {f = $10} END {print s + f + g}')"
  # the answers' DATA bytes (messages with their 5-byte prefixes) per call
  size="$(echo "$out" | awk -v n="$n" '/^traffic:/ {for (i = 1; i < NF; i++) if ($(i + 1) == "data") d = $i} END {gsub(/[()]/, "", d); printf "%d", (n > 0 ? d / n : 0)}')"
  report "$label" "$rps" "$p99" "$size" "${bad:-0}" "$t0" "$t1" "$n" "$p0" "$p1" "$(lg_cpu)"
  refusals_after ""
}

if part order; then
  echo "== cached order read $order_path"
  expect_cache "$order_path" hit
  http_run "JSON / HTTP/1.1 (wrk)" "$order_path" application/json wrk
  http_run "JSON / h2c (h2load)" "$order_path" application/json h2load
  http_run "protobuf / h2c (h2load)" "$order_path" application/x-protobuf h2load
  grpc_run "gRPC GetOrder" order "$order" ""
  grpc_h2load_run "gRPC GetOrder (h2load)" order "$order" "" "$streams"
  ratios
fi
if part page; then
  echo "== uncached customer-orders page (a cursor page of $limit)"
  expect_cache "$page_path" miss
  http_run "JSON / HTTP/1.1 (wrk)" "$page_path" application/json wrk
# one stream per connection: the same 64 requests in flight as the HTTP/1.1 and gRPC rows. With
# STREAMS per connection (640 in flight) most page requests were refused (REFUSED_STREAM: more
# than admission lets in), which measured the refusals, not the format.
  http_run "JSON / h2c (h2load)" "$page_path" application/json h2load 1
  http_run "protobuf / h2c (h2load)" "$page_path" application/x-protobuf h2load 1
  grpc_run "gRPC ListCustomerOrders" page "$customer" "$cursor"
  grpc_h2load_run "gRPC ListCustomerOrders (h2load)" page "$customer" "$cursor" 1
  ratios
fi
part graphql || exit 0
# GraphQL: the same fields as the REST answers (every property of an order), over HTTP/1.1 (wrk);
# compare with the JSON / HTTP/1.1 rows. The page comes through customer(id) { orders }, GraphQL's
# way to it, with GraphQL's own cursor for the same second page.
fields='id customer_id status currency subtotal_minor total_minor item_count shipping_address { line1 line2 city region postal_code country } items { line_no product_id product_name unit_price_minor quantity line_total_minor } version created_at updated_at payment { status authorization_id }'
printf '{"query":"query($o: Long!) { order(id: $o) { %s } }","variables":{"o":%s}}' "$fields" "$order" >"$work/order.json"
printf '{"query":"query($c: Long!) { customer(id: $c) { orders(first: %s) { next_cursor } } }","variables":{"c":%s}}' \
  "$limit" "$customer" >"$work/first.json"
# (the server may still be shedding the load of the run before: a few tries)
gcursor=""
for _ in $(seq 1 10); do
  answer="$(curl -s -H "$auth" -H 'Content-Type: application/json' --data-binary "@$work/first.json" "$base/graphql")"
  gcursor="$(echo "$answer" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')"
  if [ -n "$gcursor" ]; then break; fi
  sleep 1
done
if [ -z "$gcursor" ]; then
  echo "== GraphQL: POST /graphql did not answer a page of customer $customer's orders: $answer" >&2
  exit 2
fi
printf '{"query":"query($c: Long!, $after: String) { customer(id: $c) { orders(first: %s, after: $after) { data { %s } next_cursor } } }","variables":{"c":%s,"after":"%s"}}' \
  "$limit" "$fields" "$customer" "$gcursor" >"$work/page.json"
echo "== GraphQL (POST /graphql, HTTP/1.1, every field of the REST answer)"
graphql_run "GraphQL order(id) (wrk)" "$work/order.json"
graphql_run "GraphQL customer.orders page (wrk)" "$work/page.json"
