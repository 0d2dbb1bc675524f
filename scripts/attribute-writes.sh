#!/usr/bin/env bash
# Attributes the CPU of POST /v1/orders (create-order.lua, wrk -t1 -c64) to its components on both
# sides, against a server already running on this machine with its embedded PostgreSQL, which must
# have pg_stat_statements loaded (ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements',
# then a restart): a warm-up, then one measured run during which
#   - every PostgreSQL backend's CPU (/proc) is taken before and after, and each backend is named by
#     the statements it was seen running (pg_stat_activity sampled every 50 ms): the order's
#     transaction (write pool), the payment quote (read pool), the consumers and jobs (compute pool),
#     the cache listener, and PostgreSQL's own processes (WAL writer, checkpointer, ...);
#   - pg_stat_statements (reset before) gives each statement's calls, time and buffers per order;
#   - JFR samples the JVM's CPU (jdk.CPUTimeSample), split by thread and by the hotpath frame
#     nearest the top (scripts/WriteLayers.java).
#   scripts/attribute-writes.sh [BASE_URL] [OUT_DIR]     (DURATION=20s, WARMUP=20s)
set -euo pipefail
base="${1:-http://localhost:8080}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/find-jdk.sh"
hotpath_find_jdk
export TOKEN="${TOKEN:-$("$here/../hotpath" token --sub service:bench --scope service,orders:write --ttl 7200)}"
port="${base##*:}"; port="${port%%/*}"
jvm=$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
pg=$(ps -o args= --ppid "$jvm" | awk '/hotpath-pg-watchdog/ {print $(NF-1); exit}')
pgport=$(ss -ltnpH | grep "pid=$pg," | grep -o ':[0-9]* ' | head -1 | tr -d ': ')
export PGPASSWORD="${PGPASSWORD:-postgres}"
q() { psql -X -q -At -h localhost -p "$pgport" -U postgres -d postgres "$@"; }
q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
backends() { for p in $(pgrep -P "$pg"); do echo "$p $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0) $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-60)"; done; }
pgticks() { # the postmaster, its living children, and the reaped ones
  local t; t=$(awk '{print $14 + $15 + $16 + $17}' /proc/$pg/stat)
  for p in $(pgrep -P "$pg"); do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat 2>/dev/null || echo 0))); done
  echo "$t"
}
echo "warm-up ${WARMUP:-20s}" >&2
RUN_ID="warm-$(date +%s%N)" wrk -t1 -c64 -d"${WARMUP:-20s}" -s "$here/wrk/create-order.lua" "$base" >/dev/null
settings="$out/jfr.jfc"
"$JAVA_HOME/bin/jfr" configure --input "$JAVA_HOME/lib/jfr/profile.jfc" \
  jdk.CPUTimeSample#enabled=true jdk.CPUTimeSample#throttle=2ms --output "$settings" >/dev/null
q -c "SELECT pg_stat_statements_reset()" >/dev/null
# who runs what: every 50 ms, each client backend's pid and query (its last one when idle)
( while :; do q -c "SELECT pid, replace(left(query, 120), E'\n', ' ') FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"; sleep 0.05; done ) >"$out/activity.txt" 2>/dev/null &
poller=$!
trap 'kill $poller 2>/dev/null || true' EXIT
"$JAVA_HOME/bin/jcmd" "$jvm" JFR.start name=writes settings="$settings" filename="$out/writes.jfr" >/dev/null
backends >"$out/before.txt"
j0=$(awk '{print $14 + $15}' /proc/$jvm/stat); p0=$(pgticks)
RUN_ID="run-$(date +%s%N)" wrk -t1 -c64 -d"${DURATION:-20s}" --latency -s "$here/wrk/create-order.lua" "$base" >"$out/wrk.txt"
j1=$(awk '{print $14 + $15}' /proc/$jvm/stat); p1=$(pgticks)
backends >"$out/after.txt"
"$JAVA_HOME/bin/jcmd" "$jvm" JFR.stop name=writes >/dev/null
kill $poller 2>/dev/null || true
q -F $'\t' -c "SELECT calls, round(total_exec_time::numeric, 1), round(total_plan_time::numeric, 1), rows, shared_blks_hit + shared_blks_read, shared_blks_dirtied, wal_records, replace(left(query, 3000), E'\n', ' ') FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat%' ORDER BY total_exec_time + total_plan_time DESC LIMIT 60" >"$out/statements.tsv"
n=$(awk '/requests in/ {print $1}' "$out/wrk.txt")
created=$(awk '/status 201/ {print $3}' "$out/wrk.txt")
hz=$(getconf CLK_TCK)
echo "$(grep -E 'Requests/sec|status' "$out/wrk.txt" | tr '\n' ' ')"
awk -v j=$((j1 - j0)) -v p=$((p1 - p0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "requests %d; CPU per request: server %.0f us, PostgreSQL %.0f us (postmaster and children, from /proc)\n", n, j / hz * 1e6 / n, p / hz * 1e6 / n}'
python3 "$here/attribute-writes.py" "$out" "$n" "$hz"
"$JAVA_HOME/bin/java" "$here/WriteLayers.java" "$out/writes.jfr" "$n" "$(awk -v j=$((j1 - j0)) -v hz="$hz" 'BEGIN {print j / hz * 1e6}')"
echo "files in $out" >&2
