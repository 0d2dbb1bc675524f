#!/usr/bin/env bash
# The Prometheus rules of ops/ as Prometheus itself reads them (Debian package `prometheus`):
#   1. promtool checks ops/prometheus/alerts.yaml and runs the burn-rate unit tests
#      (ops/prometheus/alerts.test.yaml);
#   2. with a built server (server/target/hotpath.jar, made by ./mvnw verify or package), a real
#      Prometheus scrapes a running hotpath (authentication off, embedded PostgreSQL in a temporary
#      folder) and evaluates every rule of alerts.yaml against what it scraped: every rule must
#      evaluate without error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
promtool check rules ops/prometheus/alerts.yaml
promtool test rules ops/prometheus/alerts.test.yaml

jar="$root/server/target/hotpath.jar"
if [ ! -f "$jar" ]; then
  echo "no $jar: build the server (./mvnw -pl server -am package -DskipTests) to scrape it" >&2
  exit 1
fi
. scripts/find-jdk.sh
hotpath_find_jdk

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
server_port="$(free_port)"
prom_port="$(free_port)"

env -u HOTPATH_DATABASE_URL HOTPATH_AUTH=off HOTPATH_PORT="$server_port" HOTPATH_DATA_DIR="$work/data" \
  HOTPATH_ACCESS_LOG=off HOTPATH_EVENT_LOOPS=2 HOTPATH_SHUTDOWN_DELAY_MS=0 \
  "$JAVA_HOME/bin/java" -Xmx512m -XX:+UseSerialGC -jar "$jar" serve >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$server_port/health/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$server_port/health/ready" >/dev/null || { cat "$work/server.log" >&2; exit 1; }
# traffic, so that the request histograms the rules read exist; traced (sampled), so that the
# scrape carries exemplars, which Prometheus before 2.43 refuses anywhere but on buckets
for i in $(seq 1 20); do
  traceparent="00-$(printf '%032x' "$i")-$(printf '%016x' "$i")-01"
  curl -s -o /dev/null -H "traceparent: $traceparent" "http://127.0.0.1:$server_port/v1/orders/1"
  curl -s -o /dev/null -H "traceparent: $traceparent" "http://127.0.0.1:$server_port/v1/customers/1/orders"
done

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $root/ops/prometheus/alerts.yaml
scrape_configs:
  - job_name: hotpath
    static_configs:
      - targets: ["127.0.0.1:$server_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

api="http://127.0.0.1:$prom_port/api/v1"
evaluated=""
for _ in $(seq 1 120); do
  sleep 1
  rules="$(curl -fsS "$api/rules" 2>/dev/null || true)"
  up="$(curl -fsS "$api/query?query=up%7Bjob%3D%22hotpath%22%7D" 2>/dev/null || true)"
  # every group evaluated at least twice after the first scrape (rate() needs two samples)
  if [[ "$up" == *'"value":['*',"1"]'* ]] && [ -n "$rules" ] \
    && ! grep -q '"lastEvaluation":"0001-01-01' <<<"$rules"; then
    sleep 3
    evaluated="$(curl -fsS "$api/rules")"
    break
  fi
done
if [ -z "$evaluated" ]; then
  echo "Prometheus did not scrape hotpath and evaluate the rules in 2 minutes" >&2
  tail -20 "$work/prometheus.log" >&2
  exit 1
fi
total="$(grep -o '"health":"[a-z]*"' <<<"$evaluated" | wc -l)"
ok="$(grep -o '"health":"ok"' <<<"$evaluated" | wc -l)"
expected="$(grep -cE '^\s+- (record|alert):' ops/prometheus/alerts.yaml)"
echo "Prometheus scraped hotpath and evaluated $ok of $total rules without error ($expected in alerts.yaml)"
if [ "$ok" -ne "$expected" ] || [ "$total" -ne "$expected" ]; then
  grep -o '"lastError":"[^"]*"' <<<"$evaluated" | sort | uniq -c >&2
  exit 1
fi
