#!/usr/bin/env bash
# A scaled-out hotpath on this machine, all on loopback, all under one state folder:
# a PostgreSQL 15 primary and one streaming replica (pg_basebackup -R), Redis, N hotpath instances
# (HOTPATH_CLUSTER_INSTANCES, default 2) with HOTPATH_DATABASE_URL, HOTPATH_DATABASE_REPLICA_URLS
# and HOTPATH_REDIS_URL set, and HAProxy in front of them checking /health/ready.
#
#   scripts/cluster.sh up        start everything (installs the Debian packages it needs if missing)
#   scripts/cluster.sh status    what runs, where, and HAProxy's view of the instances
#   scripts/cluster.sh down      stop everything it started
#
# Settings (environment): HOTPATH_CLUSTER_DIR (state, default data/cluster), HOTPATH_CLUSTER_INSTANCES
# (2), HOTPATH_CLUSTER_PORT (HAProxy, 8180), HOTPATH_CLUSTER_BASE_PORT (first instance, 8181),
# HOTPATH_CLUSTER_PG_PORT (primary 55432; the replica takes the next), HOTPATH_CLUSTER_REDIS_PORT (56379).
# The instances run `./hotpath serve --demo` (demo data seeded by the first on an empty database, the
# development keys of the state folder trusted): `./hotpath token` with HOTPATH_DATA_DIR set to the
# state folder makes a token they accept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${HOTPATH_CLUSTER_DIR:-$root/data/cluster}"
instances="${HOTPATH_CLUSTER_INSTANCES:-2}"
lb_port="${HOTPATH_CLUSTER_PORT:-8180}"
base_port="${HOTPATH_CLUSTER_BASE_PORT:-8181}"
pg_port="${HOTPATH_CLUSTER_PG_PORT:-55432}"
replica_port=$((pg_port + 1))
redis_port="${HOTPATH_CLUSTER_REDIS_PORT:-56379}"
pg_bin=/usr/lib/postgresql/15/bin
check_ms="${HOTPATH_CLUSTER_CHECK_MS:-500}"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_missing() {
  local missing=()
  [ -x "$pg_bin/pg_basebackup" ] || missing+=(postgresql-15)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    { apt-get install -y -q "${missing[@]}" || { apt-get update -q && apt-get install -y -q "${missing[@]}"; }; } >/dev/null
  fi
}

wait_http() { # url, tries of 0.5 s
  for _ in $(seq 1 "$2"); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.5
  done
  echo "no answer from $1" >&2
  return 1
}

running() { # pid file
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

pg_start() { # data folder; `up` run again leaves a running server alone
  as_postgres "$pg_bin/pg_ctl" -D "$1" status >/dev/null 2>&1 ||
    as_postgres "$pg_bin/pg_ctl" -D "$1" -l "$1.log" -w start >/dev/null
}

start_postgres() {
  mkdir -p "$state"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$state"
  if [ ! -d "$state/primary" ]; then
    as_postgres "$pg_bin/initdb" -D "$state/primary" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$state/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$state'
wal_level = replica
max_wal_senders = 4
hot_standby = on
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
EOF
  fi
  pg_start "$state/primary"
  if ! as_postgres psql -h 127.0.0.1 -p "$pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'hotpath'" | grep -q 1; then
    as_postgres psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE hotpath"
  fi
  if [ ! -d "$state/replica" ]; then
    as_postgres "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U postgres -D "$state/replica" -R -X stream -c fast
    echo "port = $replica_port" | as_postgres tee -a "$state/replica/postgresql.auto.conf" >/dev/null
  fi
  pg_start "$state/replica"
}

start_redis() {
  running "$state/redis.pid" && return 0
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$state/redis.pid" --logfile "$state/redis.log" --dir "$state"
}

start_instance() { # index
  local i="$1" port=$((base_port + $1 - 1))
  running "$state/hotpath-$i.pid" || (
    cd "$root"
    HOTPATH_DATA_DIR="$state" \
    HOTPATH_PORT="$port" \
    HOTPATH_HOST=127.0.0.1 \
    HOTPATH_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/hotpath" \
    HOTPATH_DATABASE_REPLICA_URLS="postgresql://postgres@127.0.0.1:$replica_port/hotpath" \
    HOTPATH_REDIS_URL="redis://127.0.0.1:$redis_port" \
    HOTPATH_SHUTDOWN_DELAY_MS="$((check_ms * 3))" \
    HOTPATH_JAVA_OPTS="${HOTPATH_CLUSTER_JAVA_OPTS:--XX:+UseParallelGC -Xms256m -Xmx768m}" \
      nohup "$root/hotpath" serve --demo >"$state/hotpath-$i.log" 2>&1 &
    echo $! >"$state/hotpath-$i.pid"
  )
  # the first start on an empty database seeds the demo data: minutes on a busy machine
  wait_http "http://127.0.0.1:$port/health/ready" 2400
}

start_haproxy() {
  running "$state/haproxy.pid" && return 0
  {
    cat <<EOF
global
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # a check may take this long: without it HAProxy gives a check only its interval, and a busy instance
  # answering /health/ready slower than that is taken out as if it were dead
  timeout check 5s
  retries 2
  option redispatch
frontend hotpath
  bind 127.0.0.1:$lb_port
  default_backend instances
backend instances
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  default-server inter ${check_ms} fall 2 rise 2
EOF
    for i in $(seq 1 "$instances"); do
      echo "  server hotpath-$i 127.0.0.1:$((base_port + i - 1)) check"
    done
  } >"$state/haproxy.cfg"
  haproxy -f "$state/haproxy.cfg" -D -p "$state/haproxy.pid"
  wait_http "http://127.0.0.1:$lb_port/health/ready" 60
}

stop_pidfile() { # file
  if [ -f "$1" ]; then
    local pid
    pid="$(cat "$1")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$1"
  fi
}

case "${1:-}" in
  up)
    install_missing
    start_postgres
    start_redis
    for i in $(seq 1 "$instances"); do start_instance "$i"; done
    start_haproxy
    echo "cluster up: http://127.0.0.1:$lb_port (HAProxy) -> $instances instance(s) from port $base_port;" \
      "PostgreSQL primary :$pg_port, replica :$replica_port; Redis :$redis_port; state in $state"
    ;;
  down)
    stop_pidfile "$state/haproxy.pid"
    for f in "$state"/hotpath-*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
    stop_pidfile "$state/redis.pid"
    for d in replica primary; do
      if [ -f "$state/$d/postmaster.pid" ]; then
        as_postgres "$pg_bin/pg_ctl" -D "$state/$d" -m fast -w stop >/dev/null || true
      fi
    done
    echo "cluster down (state kept in $state; delete it for a fresh start)"
    ;;
  status)
    for f in "$state"/hotpath-*.pid "$state/redis.pid" "$state/haproxy.pid"; do
      [ -e "$f" ] || continue
      if kill -0 "$(cat "$f")" 2>/dev/null; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"
      else echo "$(basename "$f" .pid): not running"; fi
    done
    for d in primary replica; do
      if [ -d "$state/$d" ]; then
        echo "postgresql $d: $(as_postgres "$pg_bin/pg_ctl" -D "$state/$d" status >/dev/null 2>&1 && echo running || echo stopped)"
      fi
    done
    for i in $(seq 1 "$instances"); do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((base_port + i - 1))/health/ready" || true)
      echo "hotpath-$i :$((base_port + i - 1)) /health/ready -> $code"
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$lb_port/health/ready" || true)
    echo "haproxy :$lb_port /health/ready -> $code"
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
