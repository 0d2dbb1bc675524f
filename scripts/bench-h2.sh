#!/usr/bin/env bash
# HTTP/2 against HTTP/1.1 on the cached order read: h2load over cleartext HTTP/2 (prior knowledge,
# HOTPATH_H2C=on) and over TLS 1.3 with ALPN (a self-signed certificate made here with openssl),
# and wrk over HTTP/1.1 for comparison. Authentication on, with a development token. Starts its
# own servers on the demo data; installs wrk and h2load (Debian: wrk, nghttp2-client) when missing.
#   scripts/bench-h2.sh     (PORT=18443, DATA_DIR=data, ORDER_ID=the demo's 5,000th order, (288 << 40) | 5000, CONNECTIONS=64, STREAMS=10)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-18443}"
data="${DATA_DIR:-$root/data}"
order="${ORDER_ID:-$(((288 << 40) | 5000))}" # ids carry their month (scripts/demo-orders.awk); 200000 is no order
conns="${CONNECTIONS:-64}"
streams="${STREAMS:-10}"

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} (Debian packages)..." >&2
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >/dev/null
fi

tls_dir="$(mktemp -d)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" 2>/dev/null

pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
}
trap 'stop; rm -rf "$tls_dir"' EXIT

start() { # $1 = plain|tls
  if [ "$1" = tls ]; then
    HOTPATH_TLS_CERT="$tls_dir/cert.pem" HOTPATH_TLS_KEY="$tls_dir/key.pem" \
      "$root/hotpath" serve --demo --port "$port" --data-dir "$data" >"/tmp/hotpath-bench-h2-$1.log" 2>&1 &
  else
    HOTPATH_H2C=on "$root/hotpath" serve --demo --port "$port" --data-dir "$data" >"/tmp/hotpath-bench-h2-$1.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 1 600); do
    if curl -kfs "$2/health/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server did not start; see /tmp/hotpath-bench-h2-$1.log" >&2
      exit 2
    fi
    sleep 0.5
  done
  echo "the server was not ready within 5 minutes" >&2
  exit 2
}

token_for() {
  "$root/hotpath" token --data-dir "$data" --sub service:bench --scope service,orders:read --ttl 7200
}

plain="http://localhost:$port"
start plain "$plain"
token="$(token_for)"
auth="Authorization: Bearer $token"
echo "== HTTP/1.1 (wrk -t1 -c$conns -d20s)"
wrk -t1 -c"$conns" -d10s -H "$auth" "$plain/v1/orders/$order" >/dev/null
wrk -t1 -c"$conns" -d20s --latency -H "$auth" "$plain/v1/orders/$order" | grep -E "Requests/sec|99%|Non-2xx"
echo "== h2c (h2load -c$conns -m$streams, prior knowledge)"
h2load -c"$conns" -m"$streams" -D 10 -H "$auth" "$plain/v1/orders/$order" >/dev/null
h2load -c"$conns" -m"$streams" -D 20 -H "$auth" "$plain/v1/orders/$order" | grep -E "finished in|requests:|status codes:|time for request:"
stop

tls="https://localhost:$port"
start tls "$tls"
echo "== h2 over TLS 1.3 (h2load -c$conns -m$streams, ALPN)"
h2load -c"$conns" -m"$streams" -D 10 -H "$auth" "$tls/v1/orders/$order" >/dev/null
h2load -c"$conns" -m"$streams" -D 20 -H "$auth" "$tls/v1/orders/$order" | grep -E "finished in|requests:|status codes:|time for request:|TLS Protocol|Application protocol"
stop
