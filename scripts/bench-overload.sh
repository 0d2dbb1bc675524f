#!/usr/bin/env bash
# Overload: does hotpath keep serving at its capacity when offered three times as much?
#
# Serves the demo data (./hotpath serve --demo, HTTP/2 in cleartext on its own port), then with
# h2load (Debian: nghttp2-client; HTTP/2, so one connection carries many requests at once):
#   1. capacity  - closed loops at 64, 128 and 256 requests in flight: the most 2xx/s of the three
#   2. baseline  - open model (a fixed arrival rate, whatever the answers) at BASE_SHARE of
#                  capacity: the unloaded p99
#   3. spike     - open model at FACTOR x capacity
#   4. recovery  - open model at BASE_SHARE of capacity again, at once
#   5. floor     - open model at the spike's rate on GET /health/live (no work, never shed): the
#                  p99 that the generator and the HTTP/2 stack alone reach at that rate here
# and reports against the targets of issues #5 and #18:
#   goodput during the spike (2xx/s)       >= 90 % of capacity
#   p99 of admitted (2xx) requests         <= 2 x the unloaded p99
#   5xx other than shed 503s               == 0   (shed = hotpath_admission_shed_total, which
#                                                  also counts refused HTTP/2 streams)
#   time until the per-second p99 is back within NORMAL_FACTOR x the unloaded p99, or within the
#   worst per-second p99 of the baseline phase if that is higher, and stays there
#                                          <= 1 s (issue #18; it was 10 s in #5; why the baseline's
#                                          own seconds: see "recovery" below)
#
#   scripts/bench-overload.sh                         # single-resource reads, cache off (DB-bound)
#   WORKLOAD=mixed scripts/bench-overload.sh          # orders, customers, a customer's orders (a list)
#   SERVER_ENV='' scripts/bench-overload.sh           # with the response cache (CPU-bound)
#   WARMUP_S=2 CAPACITY_S=3 BASE_S=2 SPIKE_S=3 RECOVERY_S=3 scripts/bench-overload.sh  # functional check
#
# Settings (environment): PORT (8091), WORKLOAD (orders|mixed), FACTOR (3), BASE_SHARE (0.5),
# WARMUP_S (20), CAPACITY_S (15), BASE_S (RECOVERY_S), SPIKE_S (20), RECOVERY_S (20), FLOOR_S (10),
# CLIENTS (32 connections),
# STREAMS (100 per connection: the most a connection has outstanding, so arrivals stay open-model),
# NORMAL_FACTOR (1.5), SERVER_ENV (extra server environment; default 'HOTPATH_CACHE_MAX_MB=0'),
# PIN=1, SERVER_CPUS, CLIENT_CPUS (below), ASSERT=1 (exit 1 when a target is missed, 3 when the 3x
# point was not reached), KEEP=1 (keep the request logs in $OUT; kept anyway when a message points into it).
# Rate limits are out of the way (the demo's quotas, HOTPATH_RATE_GLOBAL=0): this measures
# admission control, not quotas. Run it on an otherwise idle machine; h2load shares its cores.
# Open-model phases start their connections 1 ms apart (h2load --rate 1 --rate-period=1ms, which
# needs -n rather than -D). h2load's rate mode wakes each connection at most every 10 ms and sends
# what is due in one burst; connections started together wake together, so the whole rate arrived
# in lock-step bursts every 10 ms (440 requests at once at the spike), and every request waited for
# the burst ahead of it. Measured here on GET /health/live at 43.8k req/s: p99 5.2 ms in lock-step,
# 1.5 ms staggered (8.8k req/s: 3.3 ms and 0.7 ms). Staggered arrivals are what independent clients
# send; STAGGER=0 restores the lock-step bursts.
# With back-pressure on (the default), the open model is not fully open: a connection whose stream
# is held is not read and is told to open one stream at a time, so h2load, whose requests wait in
# its own queue meanwhile, sends less than asked; the summary prints what it really sent.
# PIN=1 puts the server on CPU 0 and h2load on CPU 1 (taskset), so that the generator's own work at
# 3x does not come out of the server's CPU: on a 2-core machine h2load offering 3x capacity uses
# most of a core by itself. What "the server" is then: the JVM with all its threads (event loops,
# the JIT compilers, the garbage collector) and its embedded PostgreSQL, whose processes inherit
# the affinity (the script prints where each runs); capacity is measured on that same core, by the
# same server, so the 3x is of what one core with PostgreSQL on it serves. SERVER_CPUS and
# CLIENT_CPUS (taskset lists) choose other cores.
# Whether 3x was offered at all: h2load on one core has a rate it cannot pass, and with
# back-pressure the spike's own log cannot show it (a connection whose stream is held is not read
# and may be told to open fewer streams, so h2load sends less than asked, by design). The floor
# phase (5.) asks the spike's rate of GET /health/live, which is never held or shed: the rate it
# really sent is what the generator can offer. Below 95 % of the spike's rate, the 3x point was not
# reached and the targets that depend on it (goodput, admitted p99, recovery) print "not measured",
# never "ok"; then lower the capacity (WORKLOAD=mixed, whose lists cost more per request) or give
# the generator more CPUs (CLIENT_CPUS).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-8091}"
workload="${WORKLOAD:-orders}"
factor="${FACTOR:-3}"
base_share="${BASE_SHARE:-0.5}"
warmup_s="${WARMUP_S:-20}"
capacity_s="${CAPACITY_S:-15}"
recovery_s="${RECOVERY_S:-20}"
base_s="${BASE_S:-$recovery_s}"
spike_s="${SPIKE_S:-20}"
floor_s="${FLOOR_S:-10}"
clients="${CLIENTS:-32}"
streams="${STREAMS:-100}"
normal_factor="${NORMAL_FACTOR:-1.5}"
server_env="${SERVER_ENV-HOTPATH_CACHE_MAX_MB=0}"
out="$(mktemp -d /tmp/hotpath-overload-XXXXXX)"
server_cpus="${SERVER_CPUS:-}"; client_cpus="${CLIENT_CPUS:-}"
if [ "${PIN:-0}" = 1 ]; then server_cpus="${SERVER_CPUS:-0}"; client_cpus="${CLIENT_CPUS:-1}"; fi
base="http://localhost:$port"

if ! command -v h2load >/dev/null 2>&1; then
  echo "installing h2load (Debian package nghttp2-client)..." >&2
  (apt-get update -qq && apt-get install -y -qq nghttp2-client) >/dev/null
fi
"$root/hotpath" --help >/dev/null # builds the jar when needed

# MODE=cpu: what a refusal and a served cached read cost the server's CPU, per request, over
# HTTP/1.1 (wrk) and h2 (h2load); CPU time from /proc/<pid>/stat (utime + stime), so the figures do
# not depend on how many cores the machine has. Three servers in turn:
#   served  - the demo with its response cache: closed loops on 100 orders (every read a cache hit)
#   refused - HOTPATH_ADMISSION_LIMIT=1, no queue, the one slot held by an order whose body never
#             comes, HOTPATH_BACKPRESSURE=off: every /v1/ request is refused before routing, at once
#             and without pausing, so a closed loop measures one refusal after another (HTTP/1.1:
#             the pre-encoded 503 written by the connection's valve below Vert.x; h2: a 503 through
#             Vert.x's HTTP/2 stream, since without back-pressure streams are answered, not reset)
#   paused  - the same with back-pressure on (HTTP/1.1: each refused connection paused until
#             HOTPATH_BACKPRESSURE_PAUSE_MS, 100 ms, since no slot frees; h2: each stream held for
#             that long, its connection not read and lowered to SETTINGS_MAX_CONCURRENT_STREAMS 1,
#             then reset with REFUSED_STREAM, and past a connection's 100 resets per 30 s answered
#             503): what the server spends per refusal and per second when excess load is mostly
#             left unread; both run for CPU_S seconds (h2load -D), a closed loop that is mostly
#             waiting
# Target of issue #18: CPU per refusal <= 0.1 x CPU per served cached read, for both protocols.
#   MODE=cpu PIN=1 scripts/bench-overload.sh
#   MODE=cpu CPU_S=3 N=20000 CPU_WARMUP_S=2 scripts/bench-overload.sh    # functional check
# CPU per refusal, as measured here: the server CPU spent because of the excess, per excess
# request. In the refusing phases nothing is admitted (goodput 0), so that is the server's CPU over
# the phase (every thread, from /proc/<pid>/stat) minus what the idle server spends over as long
# (timers, its pools, the demo's background work: measured after each warm-up for IDLE_S, and
# taken off in proportion to the phase's length, so that a phase with few requests, paused, is not
# charged the idle process's CPU), divided by the requests refused (answered 503 or reset). Served
# reads are counted the same way, per 2xx. The JIT compiler threads (C1, C2) are counted apart
# and left out of both: compiling the code paths a phase meets is not work done per request, and
# in the paused phases, which meet a few hundred requests a second, it went on through the whole
# run (one 8 s paused-h2 phase after 20-40 s of the same load, busy machine, 2026-12-06: C2 took
# 0.9-1.7 s of the server's 2.0-2.4 s of CPU, against 0.04-0.3 s per 3 s idle). Each line prints
# the JIT's seconds beside the server's, so the total can be read too. With back-pressure on, most
# of the excess is never read: the paused phases print CPU per refusal sent, which is the cost of
# holding a connection (its one request in flight) for 100 ms and refusing it, and the share of a
# core that all the held excess costs.
# Settings: CPU_S (10: seconds of each wrk phase and of paused-h2), N (200000: requests of the other h2load phases, sent as
# -n N over CPU_CLIENTS connections with 10 streams each), CPU_CLIENTS (32 connections),
# CPU_WARMUP_S (5), IDLE_S (5).
if [ "${MODE:-spike}" = cpu ]; then
  idle_s="${IDLE_S:-5}"; idle_ticks=0; idle_ms=1
  cpu_s="${CPU_S:-10}"; requests_h2="${N:-200000}"; cpu_clients="${CPU_CLIENTS:-32}"; cpu_warmup="${CPU_WARMUP_S:-5}"
  server_pid=""
  start_server() { # extra environment of the server
    # shellcheck disable=SC2086
    env HOTPATH_PORT="$port" HOTPATH_H2C=on HOTPATH_RATE_GLOBAL=0 "$@" \
      ${server_cpus:+taskset -c "$server_cpus"} "$root/hotpath" serve --demo >>"$out/server.out" 2>>"$out/server.log" &
    server_pid=$!
    for _ in $(seq 1 240); do
      curl -sf "$base/health/ready" >/dev/null && return 0
      kill -0 "$server_pid" 2>/dev/null || { KEEP=1; echo "the server exited; see $out/server.log" >&2; exit 2; }
      sleep 0.5
    done
    echo "the server did not get ready" >&2; exit 2
  }
  stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  }
  trap 'stop_server; [ "${KEEP:-0}" = 1 ] || rm -rf "$out"' EXIT
  hz=$(getconf CLK_TCK)
  # the server's CPU ticks (utime + stime of the process, exited threads included) and the JIT
  # compiler threads' share of them (C1 and C2 compile the code paths a phase meets, a one-off cost
  # counted apart: see "CPU per refusal" above), read in one pass so that the two agree
  cpu_ticks() {
    awk -v main="/proc/$server_pid/stat" '{
        n = split($0, part, ") "); comm = substr(part[1], index(part[1], "(") + 1)
        split(part[n], f, " ")
        if (FILENAME == main) total = f[12] + f[13]
        else if (comm ~ /^C[12] Compiler/) jit += f[12] + f[13]
      }
      END {printf "%d %d\n", total, jit}' "/proc/$server_pid/stat" /proc/"$server_pid"/task/*/stat 2>/dev/null
  }
  gen() { ${client_cpus:+taskset -c "$client_cpus"} "$@"; }
  # name, kind (served or refused), then the generator's command: prints the server's CPU per
  # request, in microseconds. Served: the generator's 2xx. Refused: every request the generator
  # had answered or reset (wrk's requests, all answered 503; h2load's streams done, each a 503 or a
  # stream reset REFUSED_STREAM, by the server or, past the lowered SETTINGS_MAX_CONCURRENT_STREAMS,
  # by its HTTP/2 codec); h2load's 2xx/503 and reset streams are printed apart.
  cost() {
    local name=$1 kind=$2 t0 t1 j0 j1 w0 w1 requests odd detail
    shift 2
    read -r t0 j0 < <(cpu_ticks); w0=$(date +%s%N)
    "$@" >"$out/$name.txt" 2>&1 || true
    read -r t1 j1 < <(cpu_ticks); w1=$(date +%s%N)
    [ "$j1" -ge "$j0" ] || j1=$j0 # a compiler thread that exited took its ticks along
    # h2load: "requests: T total, S started, D done, OK succeeded, F failed, E errored, X timeout"
    # and "status codes: a 2xx, b 3xx, c 4xx, d 5xx"; a done stream with no status was reset
    detail=$(awk '/^requests:/ {done = $6} /^status codes:/ {ok = $3; other = $5 + $7; s5 = $9}
      END {if (done != "") printf "(h2load: %d done: %d 2xx, %d 5xx, %d 3xx/4xx, %d reset)", done, ok, s5, other, done - ok - s5 - other}' "$out/$name.txt")
    if [ "$kind" = refused ]; then
      requests=$(awk '/requests in/ {n = $1} /^requests:/ {n = $6} END {printf "%d", n}' "$out/$name.txt")
      odd=$(awk '/requests in/ {n = $1} /Non-2xx/ {n -= $NF} /^status codes:/ {n = $3 + $5 + $7} END {printf "%d", n}' "$out/$name.txt")
      [ "$odd" = 0 ] || { KEEP=1; echo "   warning: $odd requests of $name were not refused (see $out/$name.txt)" >&2; }
    else
      requests=$(awk '/requests in/ {n = $1} /^status codes:/ {n = $3} END {printf "%d", n}' "$out/$name.txt")
      odd=$(awk '/Non-2xx/ {n = $NF} /^status codes:/ {n = $5 + $7 + $9} END {printf "%d", n}' "$out/$name.txt")
      [ "$odd" = 0 ] || { KEEP=1; echo "   warning: $odd answers of $name were not 2xx (see $out/$name.txt)" >&2; }
    fi
    # ticks the idle server would have spent over this phase's length
    local wall_ms=$(((w1 - w0) / 1000000)) idle net
    idle=$(awk -v i="$idle_ticks" -v im="$idle_ms" -v w="$wall_ms" 'BEGIN {printf "%.2f", i * w / im}')
    net=$(awk -v t="$((t1 - t0 - (j1 - j0)))" -v i="$idle" 'BEGIN {n = t - i; printf "%.2f", (n < 0 ? 0 : n)}')
    awk -v n="$name" -v r="$requests" -v t="$((t1 - t0))" -v j="$((j1 - j0))" -v net="$net" -v hz="$hz" -v w="$wall_ms" -v d="$detail" 'BEGIN {
      us = (r > 0) ? net / hz * 1e6 / r : 0
      printf "   %-14s %9d requests in %6.1f s  server CPU %6.2f s (%3.0f%% of a core; JIT %5.2f s), %6.2f s above idle without JIT  = %8.2f us per request %s\n", n, r, w / 1000, t / hz, (w > 0 ? t / hz * 100000 / w : 0), j / hz, net / hz, us, d
    }'
    echo "$name $requests $net $wall_ms" >>"$out/costs"
  }
  # the server's CPU with no request, over IDLE_S seconds
  measure_idle() {
    local t0 j0 t1 j1 w0 jit
    read -r t0 j0 < <(cpu_ticks); w0=$(date +%s%N)
    sleep "$idle_s"
    read -r t1 j1 < <(cpu_ticks)
    jit=$((j1 - j0)); [ "$jit" -ge 0 ] || jit=0 # a compiler thread that exited took its ticks along
    idle_ticks=$((t1 - t0 - jit)); idle_ms=$((($(date +%s%N) - w0) / 1000000))
    awk -v t="$idle_ticks" -v j="$jit" -v hz="$hz" -v w="$idle_ms" 'BEGIN {printf "   idle: server CPU %.2f s in %.1f s without JIT (%.0f%% of a core; JIT %.2f s)\n", t / hz, w / 1000, t / hz * 100000 / w, j / hz}'
  }
  # every request a cache hit: the demo's first 100 orders (all in January 2024, month key 288:
  # ids 288 << 40 | i; docs/data-at-scale.md)
  for i in $(seq 1 100); do echo "$base/v1/orders/$(((288 << 40) | i))"; done >"$out/cached.txt"
  wrk_run() { # duration, then wrk's URL
    gen env MAX_ID=200000 FIRST=100 TOKEN="$token" wrk -t 1 -c "$cpu_clients" -d "$1" -s "$root/scripts/wrk/order-by-id.lua" "$2"
  }
  h2_run() { # requests
    gen h2load -H "Authorization: Bearer $token" -i "$out/cached.txt" -c "$cpu_clients" -m 10 -n "$1"
  }
  h2_timed() { # seconds
    gen h2load -H "Authorization: Bearer $token" -i "$out/cached.txt" -c "$cpu_clients" -m 10 -D "$1"
  }
  warm_up() {
    echo "   warm-up (${cpu_warmup} s each protocol)"
    wrk_run "${cpu_warmup}s" "$base" >/dev/null
    gen h2load -H "Authorization: Bearer $token" -i "$out/cached.txt" -c "$cpu_clients" -m 10 -D "$cpu_warmup" >/dev/null
    measure_idle
  }
  # a server whose one slot is held: limit 1, no queue, an order whose body never comes
  start_refusing() { # extra environment of the server
    start_server HOTPATH_ADMISSION_LIMIT=1 HOTPATH_ADMISSION_QUEUE=0 HOTPATH_WARMUP_MS=0 \
      HOTPATH_REQUEST_TIMEOUT_MS=600000 "$@"
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'POST /v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nIdempotency-Key: %s\r\nContent-Length: 100\r\n\r\n' \
      "$token" "$(cat /proc/sys/kernel/random/uuid)" >&3
    for _ in $(seq 1 100); do
      [ "$(curl -s "$base/metrics" | awk '/^hotpath_admission_in_flight / {print $NF + 0}')" = 1 ] && return 0
      sleep 0.1
    done
    echo "   warning: the slot was not taken" >&2
  }

  echo "== served: hotpath with its response cache on $base"
  start_server
  token="${TOKEN:-$("$root/hotpath" token --sub service:overload --scope service,customers:read,orders:read,orders:write --ttl 7200)}"
  warm_up
  cost served-http1 served wrk_run "${cpu_s}s" "$base"
  cost served-h2 served h2_run "$requests_h2"
  stop_server

  echo "== refused: limit 1, no queue, the slot held, back-pressure off (every request refused at once)"
  start_refusing HOTPATH_BACKPRESSURE=off
  warm_up
  cost refused-http1 refused wrk_run "${cpu_s}s" "$base"
  cost refused-h2 refused h2_run "$requests_h2"
  exec 3>&-
  stop_server

  echo "== paused: the same with back-pressure on (refused connections paused, streams held then reset)"
  start_refusing
  warm_up
  cost paused-http1 refused wrk_run "${cpu_s}s" "$base"
  cost paused-h2 refused h2_timed "$cpu_s"
  exec 3>&-
  stop_server

  echo
  echo "== CPU per refusal against CPU per served cached read (target <= 0.10)"
  # with back-pressure on, most of the excess is never read: what matters there is the share of a
  # core that all of it costs (CPU above idle, JIT apart, over the phase's length)
  awk -v hz="$hz" '{us[$1] = ($2 > 0) ? $3 / $2 : 0; share[$1] = ($4 > 0) ? $3 / hz * 100000 / $4 : 0}
    END {
      split("http1 h2", p, " ")
      for (i = 1; i <= 2; i++) {
        s = us["served-" p[i]]; r = us["refused-" p[i]]; q = us["paused-" p[i]]
        printf "   %-6s refusal / served = %s   (back-pressure on: %s per refusal sent; all the excess %.1f%% of a core)\n", p[i], (s > 0 ? sprintf("%.3f", r / s) : "nan"), (s > 0 ? sprintf("%.3f", q / s) : "nan"), share["paused-" p[i]]
      }
    }' "$out/costs"
  exit 0
fi

echo "== starting hotpath on $base (demo data; $server_env HOTPATH_H2C=on HOTPATH_RATE_GLOBAL=0)"
# shellcheck disable=SC2086
env HOTPATH_PORT="$port" HOTPATH_H2C=on HOTPATH_RATE_GLOBAL=0 $server_env \
  ${server_cpus:+taskset -c "$server_cpus"} "$root/hotpath" serve --demo >"$out/server.out" 2>"$out/server.log" &
server_pid=$!
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$out"
}
trap stop_server EXIT
for _ in $(seq 1 240); do
  curl -sf "$base/health/ready" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { KEEP=1; echo "the server exited; see $out/server.log" >&2; exit 2; }
  sleep 0.5
done
curl -sf "$base/health/ready" >/dev/null || { echo "the server did not get ready" >&2; exit 2; }
# where the server runs: the JVM's threads (the JIT and the collector among them) share its
# affinity; its embedded PostgreSQL's processes are those whose working directory is its data
# directory, and inherited the affinity of the process that started them
data_dir="$(readlink -f "${HOTPATH_DATA_DIR:-$root/data}")"
pg_cpus=$(for p in $(pgrep -x postgres); do
    case "$(readlink -f "/proc/$p/cwd" 2>/dev/null)" in "$data_dir"/*) awk '/^Cpus_allowed_list/ {print $2}' "/proc/$p/status" ;; esac
  done | sort | uniq -c | awk '{printf "%s%d on CPUs %s", (NR > 1 ? ", " : ""), $1, $2}')
printf "   server JVM (JIT and GC threads included) on CPUs %s; its PostgreSQL: %s; h2load on CPUs %s\n" \
  "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$server_pid/status")" "${pg_cpus:-no process found under $data_dir}" "${client_cpus:-any}"

token="${TOKEN:-$("$root/hotpath" token --sub service:overload --scope service,customers:read,orders:read --ttl 7200)}"

# the requests, in a fixed pseudo-random order (h2load cycles through the file per connection).
# Order ids carry their month: the n-th of the demo's 200,000 orders is month_key << 40 | n
# (scripts/demo-orders.awk, as scripts/wrk/order-by-id.lua; the ids this script computed before
# assumed the seed began on 2024-01-01, not 2024-01-02, and 3 % of them were 404s)
awk -v base="$base" -v workload="$workload" -f "$root/scripts/demo-orders.awk" -f <(echo '
BEGIN {
  srand(42)
  for (i = 0; i < 5000; i++) {
    r = rand()
    if (workload == "mixed" && r < 0.2) {
      printf "%s/v1/customers/%d\n", base, 1 + int(rand() * 10000)
    } else if (workload == "mixed" && r < 0.3) {
      printf "%s/v1/customers/%d/orders?limit=10\n", base, 1 + int(rand() * 10000)
    } else {
      printf "%s/v1/orders/%s\n", base, demo_order_id(demo_random_order(200000, 200000), 200000)
    }
  }
}') >"$out/uris.txt"

h2() { ${client_cpus:+taskset -c "$client_cpus"} h2load -H "Authorization: Bearer $token" -i "$out/uris.txt" "$@"; }
# sets open: h2load's arguments for an open-model run at $1 requests/s per connection for $2 s
open_model() {
  open=(-c "$clients" -m "$streams" --rps="$1")
  if [ "${STAGGER:-1}" = 1 ]; then
    open+=(--rate 1 --rate-period=1ms -n $(($1 * clients * $2)))
  else
    open+=(-D "$2")
  fi
}
shed_total() {
  curl -s "$base/metrics" | awk '/^hotpath_admission_shed_total/ {s += $NF} END {printf "%d", s}'
}
# 2xx per second over a log (start us, status, duration us) of a run of $2 seconds, or of the time
# its requests really spanned when that was longer (an open-model run of -n requests lasts longer
# than asked when the generator cannot send at the rate: its 2xx came over that longer time)
goodput() {
  awk -v s="$2" '{if (first == "" || $1 < first) first = $1; if ($1 > last) last = $1}
    $2 >= 200 && $2 < 300 {n++}
    END {span = (last - first) / 1e6; if (span < s) span = s; printf "%.0f", n / span}' "$1"
}
# requests per second a log's requests were really sent at, over the time they spanned
offered() {
  awk '{if (first == "" || $1 < first) first = $1; if ($1 > last) last = $1; n++}
    END {span = (last - first) / 1e6; printf "%.0f", (span > 0 ? n / span : 0)}' "$1"
}
# p99 in ms of the 2xx of a log
p99() {
  awk '$2 >= 200 && $2 < 300 {print $3}' "$1" | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) {print "nan"; exit} i = int(NR * 0.99); if (i < NR * 0.99) i++; printf "%.2f", v[i] / 1000}'
}

echo "== warm-up (${warmup_s} s, closed loop, 64 in flight)"
h2 -c 64 -m 1 -D "$warmup_s" >/dev/null

# Capacity: the most 2xx/s of closed loops at 64, 128 and 256 requests in flight (the read side
# pipelines its queries, so more in flight can serve more; the best of the three is the knee).
# the CPU ticks of the server: its JVM, and its PostgreSQL (live processes, and the postmaster's
# waited-for children), found as above; per 2xx over a phase, the cost of what is served, holds,
# resets and refusals included, whatever the machine's speed
server_ticks() {
  local t p
  t=$(awk '{n = split($0, a, ") "); split(a[n], f, " "); print f[12] + f[13]}' "/proc/$server_pid/stat")
  for p in $(pgrep -x postgres); do
    case "$(readlink -f "/proc/$p/cwd" 2>/dev/null)" in
      "$data_dir"/*) t=$((t + $(awk '{n = split($0, a, ") "); split(a[n], f, " "); print f[12] + f[13] + f[14] + f[15]}' "/proc/$p/stat" 2>/dev/null || echo 0))) ;;
    esac
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)
us_per() { awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN {printf "%.0f", (n > 0) ? t / hz * 1e6 / n : 0}'; }
ok_count() { awk '$2 >= 200 && $2 < 300 {n++} END {printf "%d", n}' "$1"; }
capacity=0; capacity_in_flight=0; capacity_p99=nan
for m in 1 2 4; do
  echo "== 1. capacity: closed loop, $((64 * m)) in flight, ${capacity_s} s"
  t0=$(server_ticks)
  h2 -c 64 -m "$m" -D "$capacity_s" --log-file="$out/capacity-$m.log" >"$out/capacity-$m.txt"
  t1=$(server_ticks)
  c=$(goodput "$out/capacity-$m.log" "$capacity_s")
  cpu=$(us_per "$((t1 - t0))" "$(ok_count "$out/capacity-$m.log")")
  echo "   $c 2xx/s (p99 $(p99 "$out/capacity-$m.log") ms; server and PostgreSQL CPU $cpu us per 2xx)"
  if [ "$c" -gt "$capacity" ]; then
    capacity=$c; capacity_in_flight=$((64 * m)); capacity_p99=$(p99 "$out/capacity-$m.log"); capacity_cpu=$cpu
  fi
done
echo "   capacity: $capacity 2xx/s (at $capacity_in_flight in flight, p99 $capacity_p99 ms)"
[ "$capacity" -gt 0 ] || { KEEP=1; echo "no successful request; see $out/capacity-*.txt" >&2; exit 2; }

rate_for() { # requests per second per connection for a share of capacity
  awk -v c="$capacity" -v f="$1" -v n="$clients" 'BEGIN {r = int(c * f / n + 0.5); print (r < 1 ? 1 : r)}'
}
base_rps=$(rate_for "$base_share")
spike_rps=$(rate_for "$factor")

echo "== 2. baseline: open model, $((base_rps * clients)) req/s for ${base_s} s"
open_model "$base_rps" "$base_s"
h2 "${open[@]}" --log-file="$out/base.log" >"$out/base.txt"
unloaded=$(p99 "$out/base.log")
echo "   unloaded p99: $unloaded ms"

# the server's view, once a second: the concurrency limit and what is in flight
(while sleep 1; do
  curl -s "$base/metrics" | awk -v t="$(date +%s)" '
    /^hotpath_admission_limit / {l = $NF} /^hotpath_admission_in_flight / {f = $NF}
    END {printf "%s %d %d\n", t, l, f}'
done) >"$out/server-view.txt" 2>/dev/null &
sampler=$!

shed_before=$(shed_total)
spike_t0=$(server_ticks)
echo "== 3. spike: open model, $((spike_rps * clients)) req/s (${factor}x capacity) for ${spike_s} s"
spike_start=$(date +%s%6N)
open_model "$spike_rps" "$spike_s"
h2 "${open[@]}" --log-file="$out/spike.log" >"$out/spike.txt"
spike_t1=$(server_ticks)
shed_after_spike=$(shed_total)
echo "== 4. recovery: open model, $((base_rps * clients)) req/s for ${recovery_s} s"
recovery_start=$(date +%s%6N)
open_model "$base_rps" "$recovery_s"
h2 "${open[@]}" --log-file="$out/recovery.log" >"$out/recovery.txt"
shed_after=$(shed_total)
kill "$sampler" 2>/dev/null || true

# The floor: what the generator and the HTTP/2 stack alone cost at the spike's rate on this
# machine, measured on a route that does no work and is never shed (GET /health/live, with the same
# Authorization header). No route can answer faster than this at that rate.
echo "== 5. floor: open model, $((spike_rps * clients)) req/s of GET /health/live for ${floor_s} s"
open_model "$spike_rps" "$floor_s"
${client_cpus:+taskset -c "$client_cpus"} h2load -H "Authorization: Bearer $token" "${open[@]}" \
  --log-file="$out/floor.log" "$base/health/live" >"$out/floor.txt"
floor_p99=$(p99 "$out/floor.log")
floor_offered=$(offered "$out/floor.log")
echo "   p99 of a route that does no work at the spike's rate: $floor_p99 ms; the generator sent $floor_offered req/s"

spike_goodput=$(goodput "$out/spike.log" "$spike_s")
spike_p99=$(p99 "$out/spike.log")
count() { awk -v lo="$2" -v hi="$3" '$2 >= lo && $2 <= hi {n++} END {printf "%d", n}' "$1"; }
spike_503=$(count "$out/spike.log" 503 503)
all_503=$(( $(count "$out/spike.log" 503 503) + $(count "$out/recovery.log" 503 503) ))
all_5xx=$(( $(count "$out/spike.log" 500 599) + $(count "$out/recovery.log" 500 599) ))
shed=$((shed_after - shed_before))
# the shed counter counts 503s and refused HTTP/2 streams (which leave no status in the log): 5xx
# other than 503 are never shed, and 503s beyond the counter are not either
unshed_503=$((all_503 - shed))
[ "$unshed_503" -ge 0 ] || unshed_503=0
other_5xx=$((all_5xx - all_503 + unshed_503))
# requests without an answer: errored (refused streams, connection failures) and timed out
# ("requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout": h2load's
# "failed" counts non-2xx/3xx answers too, "errored" only streams without an answer: reset, the
# refused streams among them, or lost with their connection)
failed=$(cat "$out/spike.txt" "$out/recovery.txt" | awk '/^requests:/ {f += $12 + $14} END {printf "%d", f}')
timed_out=$(cat "$out/spike.txt" "$out/recovery.txt" | awk '/^requests:/ {f += $14} END {printf "%d", f}')

echo
echo "== per second (from the first request of the spike): offered, 2xx, 503, p99 of the 2xx (ms); server limit / in flight"
# second (from the spike's start), phase, status, duration us
cat "$out/spike.log" "$out/recovery.log" | awk -v t0="$spike_start" -v r0="$recovery_start" '
  {printf "%d %s %d %d\n", int(($1 - t0) / 1000000), ($1 < r0 ? "spike" : "recovery"), $2, $3}' >"$out/seconds.txt"
awk '{n[$1]++; phase[$1] = $2; if ($3 >= 200 && $3 < 300) ok[$1]++; else if ($3 == 503) shed[$1]++; if ($1 > max) max = $1}
  END {for (s = 0; s <= max; s++) if (s in n) printf "%d %s %d %d %d\n", s, phase[s], n[s], ok[s] + 0, shed[s] + 0}' \
  "$out/seconds.txt" | sort -n >"$out/counts.txt"
awk '$3 >= 200 && $3 < 300 {print $1, $4}' "$out/seconds.txt" | sort -k1,1n -k2,2n | awk '
  function flush() {if (k > 0) {i = int(k * 0.99); if (i < k * 0.99) i++; printf "%d %.2f\n", cur, v[i] / 1000}}
  $1 != cur {flush(); cur = $1; k = 0} {v[++k] = $2} END {flush()}' >"$out/p99.txt"
# second, phase, offered, 2xx, 503, p99
awk 'NR == FNR {p[$1] = $2; next} {print $0, ($1 in p ? p[$1] : "-")}' "$out/p99.txt" "$out/counts.txt" >"$out/per-second.txt"
awk -v t0="$((spike_start / 1000000))" 'NR == FNR {view[$1 - t0] = $2 " / " $3; next}
  {printf "  %-8s %3ds  offered %6d  2xx %6d  503 %6d  p99 %8s   limit/in-flight %s\n", $2, $1, $3, $4, $5, $6, ($1 in view ? view[$1] : "-")}' \
  "$out/server-view.txt" "$out/per-second.txt"

# recovery: the first second after the spike from which every second's p99 stays normal.
# "Normal" is judged twice, and the verdict uses the second:
#   strict - every second's p99 <= NORMAL_FACTOR x the unloaded p99 (the criterion until
#            2026-12-07, printed as before);
#   robust - every second's p99 <= the larger of that and the worst per-second p99 of the baseline
#            phase itself (same rate, same server, before the spike: what a second of normal
#            operation reaches here).
# Why: the unloaded p99 is one p99 over the whole baseline phase, but a second holds only a few
# thousand requests, so its p99 rests on a few dozen of them and spreads around the phase's, and a
# GC pause or a scheduler hiccup of the shared core puts a single second far above it. The strict
# criterion asks every one of 20 recovery seconds to stay within 1.5x, which seconds of the
# baseline itself, with no spike before them, did not (2026-12-07: see the line "baseline
# seconds over" in the summary): it measured that spread, not the server's recovery. The robust
# criterion still fails a server that comes back slower than before the spike (a backlog, a limit
# that does not come back, a queue that stands): its seconds sit above anything the baseline had.
# BASE_S defaults to RECOVERY_S so that both phases have as many seconds to show their spread.
per_second_p99() { # request log -> "second p99_ms" for the seconds with at least half the mean count
  awk '$2 >= 200 && $2 < 300 {if (first == "" || $1 < first) first = $1; t[++n] = $1; d[n] = $3}
    END {for (i = 1; i <= n; i++) print int((t[i] - first) / 1000000), d[i]}' "$1" | sort -k1,1n -k2,2n | awk '
    function flush() {if (k > 0) {c[cur] = k; i = int(k * 0.99); if (i < k * 0.99) i++; p[cur] = v[i] / 1000; total += k; secs++}}
    $1 != cur {flush(); cur = $1; k = 0} {v[++k] = $2}
    END {flush(); for (s in c) if (c[s] * 2 >= total / secs) printf "%d %.2f\n", s, p[s]}' | sort -n
}
strict_limit=$(awk -v u="$unloaded" -v f="$normal_factor" 'BEGIN {print u * f}')
per_second_p99 "$out/base.log" >"$out/base-p99.txt"
base_worst=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {printf "%.2f", m}' "$out/base-p99.txt")
base_over=$(awk -v l="$strict_limit" '$2 > l {n++} END {printf "%d of %d", n, NR}' "$out/base-p99.txt")
robust_limit=$(awk -v a="$strict_limit" -v b="$base_worst" 'BEGIN {print (b > a) ? b : a}')
recovered_within() { # limit (ms)
  awk -v limit="$1" '
  $2 == "recovery" { secs[++n] = $1; ok[n] = ($6 != "-" && $6 + 0 <= limit) }
  END {
    if (n == 0) { print "never"; exit }
    first = secs[1]; at = "never"
    for (i = n; i >= 1; i--) { if (!ok[i]) break; at = secs[i] - first }
    print at
  }' "$out/per-second.txt"
}
recovered_strict=$(recovered_within "$strict_limit")
recovered=$(recovered_within "$robust_limit")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0 || a == "nan") print "nan"; else printf "%.2f", a / b}'; }
verdict() { if [ "$1" = 1 ]; then echo "ok"; else echo "MISSED"; fi; }
goodput_share=$(ratio "$spike_goodput" "$capacity")
p99_ratio=$(ratio "$spike_p99" "$unloaded")
ok_goodput=$(awk -v r="$goodput_share" 'BEGIN {print (r != "nan" && r >= 0.9) ? 1 : 0}')
ok_p99=$(awk -v r="$p99_ratio" 'BEGIN {print (r != "nan" && r <= 2) ? 1 : 0}')
ok_5xx=$([ "$other_5xx" -eq 0 ] && echo 1 || echo 0)
ok_recovery=$(awk -v r="$recovered" 'BEGIN {print (r != "never" && r <= 1) ? 1 : 0}')
# the 3x point was offered when the generator could send the spike's rate (the floor, never held)
asked=$((spike_rps * clients))
reached=$(awk -v o="$floor_offered" -v a="$asked" 'BEGIN {print (o >= 0.95 * a) ? 1 : 0}')
spike_span=$(awk '{if (first == "" || $1 < first) first = $1; if ($1 > last) last = $1}
  END {printf "%.1f", (last - first) / 1e6}' "$out/spike.log")
# the targets measured at the 3x point: not measured when it was not reached
at_3x() { if [ "$reached" = 1 ]; then verdict "$1"; else echo "not measured"; fi; }

echo
echo "== summary ($workload, ${factor}x capacity for ${spike_s} s; server env: ${server_env:-none})"
printf "  capacity (closed loop, best of 64/128/256 in flight: %s)  %s 2xx/s\n" "$capacity_in_flight" "$capacity"
printf "  the generator can offer               %8s req/s of the %s asked (GET /health/live, never held): 3x point %s\n" "$floor_offered" "$asked" "$([ "$reached" = 1 ] && echo reached || echo "NOT REACHED: the targets below are not measured")"
printf "  sent during the spike                 %8s req/s over %s s (asked %s s: less when back-pressure held the client back)\n" "$(offered "$out/spike.log")" "$spike_span" "$spike_s"
printf "  goodput during the spike              %8s 2xx/s = %s of capacity   (target >= 0.90)  %s\n" "$spike_goodput" "$goodput_share" "$(at_3x "$ok_goodput")"
printf "  p99 of admitted requests, spike       %8s ms  = %s x unloaded %s ms   (target <= 2)  %s\n" "$spike_p99" "$p99_ratio" "$unloaded" "$(at_3x "$ok_p99")"
printf "  server and PostgreSQL CPU per 2xx     %8s us in the spike (holds, resets and refusals included), %s us at capacity\n" "$(us_per "$((spike_t1 - spike_t0))" "$(ok_count "$out/spike.log")")" "$capacity_cpu"
printf "  floor: p99 of GET /health/live at the spike's rate %s ms; admitted p99 = %s x that floor\n" "$floor_p99" "$(ratio "$spike_p99" "$floor_p99")"
printf "  shed (503 overloaded, refused streams)  %6s   (503s seen in the spike: %s)\n" "$shed" "$spike_503"
printf "  other 5xx                             %8s   (target 0)  %s;  requests without an answer: %s (%s of them timed out, the rest reset: refused streams, or lost with their connection; 503s, answers, are apart: %s)\n" "$other_5xx" "$(verdict "$ok_5xx")" "$failed" "$timed_out" "$all_503"
printf "  baseline seconds over %sx unloaded    %8s   (worst second of the baseline: p99 %s ms)\n" "$normal_factor" "$base_over" "$base_worst"
printf "  p99 back within %sx unloaded after    %8s s   (strict, every second <= %.2f ms)\n" "$normal_factor" "$recovered_strict" "$strict_limit"
printf "  p99 back within the baseline's spread %8s s   (every second <= %.2f ms)  (target <= 1)  %s\n" "$recovered" "$robust_limit" "$(at_3x "$ok_recovery")"
[ "${KEEP:-0}" = 1 ] && echo "  request logs (start us, status, duration us) and h2load output: $out"
if [ "${ASSERT:-0}" = 1 ]; then
  [ "$reached" = 1 ] || exit 3 # not measured
  [ "$ok_goodput$ok_p99$ok_5xx$ok_recovery" = 1111 ] || exit 1
fi
