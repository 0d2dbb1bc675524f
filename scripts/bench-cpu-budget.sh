#!/usr/bin/env bash
# What a request costs this machine's CPU, by process: the server, PostgreSQL and the generator.
#
# Serves the demo data (cache off, HTTP/2 in cleartext) and runs h2load phases; during each it
# reads the CPU time of every process from /proc/<pid>/stat over 6 s and divides by the requests:
#   closed   - closed loop, 128 in flight: the capacity, and what a served read costs
#   nowork   - GET /health/live at 43.8k req/s (open model): what the HTTP/2 stack and the
#              generator cost for a request that does no work (a refusal costs about as much)
#   base     - uncached reads at 8.8k req/s (open model)
# With these, the CPU that FACTOR x capacity needs on this machine is printed at the end: the
# admitted 90 % of capacity at the closed loop's cost, the rest at the no-work cost.
#
#   scripts/bench-cpu-budget.sh
#
# Settings (environment): PORT (8092), FACTOR (3), SERVER_ENV (default 'HOTPATH_CACHE_MAX_MB=0'),
# PIN=1 (the server, with its embedded PostgreSQL, whose processes inherit the affinity, on CPU 0 and
# h2load on CPU 1, as bench-overload.sh's PIN=1: the figures are then those of its 3x spike).
# Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-8092}"
factor="${FACTOR:-3}"
server_env="${SERVER_ENV-HOTPATH_CACHE_MAX_MB=0}"
base="http://localhost:$port"
out="$(mktemp -d /tmp/hotpath-cpu-XXXXXX)"
server_cpus=""; client_cpus=""
if [ "${PIN:-0}" = 1 ]; then server_cpus=0; client_cpus=1; fi

if ! command -v h2load >/dev/null 2>&1; then
  echo "installing h2load (Debian package nghttp2-client)..." >&2
  (apt-get update -qq && apt-get install -y -qq nghttp2-client) >/dev/null
fi
"$root/hotpath" --help >/dev/null # builds the jar when needed

# shellcheck disable=SC2086
env HOTPATH_PORT="$port" HOTPATH_H2C=on HOTPATH_RATE_GLOBAL=0 $server_env \
  ${server_cpus:+taskset -c "$server_cpus"} "$root/hotpath" serve --demo >"$out/server.out" 2>"$out/server.log" &
server_pid=$!
# the run's files are deleted at the end, unless a message points into them (KEEP=1)
trap 'kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; [ "${KEEP:-0}" = 1 ] || rm -rf "$out"' EXIT
for _ in $(seq 1 240); do
  curl -sf "$base/health/ready" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { KEEP=1; echo "the server exited; see $out/server.log" >&2; exit 2; }
  sleep 0.5
done
token="$("$root/hotpath" token --sub service:budget --scope service,orders:read --ttl 3600)"
# the demo's orders by their ids, which carry their month (scripts/demo-orders.awk): since the
# orders were partitioned by month, /v1/orders/1..200000 were all 404s
awk -v base="$base" -f "$root/scripts/demo-orders.awk" -f <(echo 'BEGIN {srand(42); for (i = 0; i < 5000; i++) printf "%s/v1/orders/%s\n", base, demo_order_id(demo_random_order(200000, 200000), 200000)}') >"$out/uris.txt"

# CPU ticks of the server JVM, of its PostgreSQL and of this script's h2load, and the machine's idle
# ticks. Only this run's processes, on a machine other servers may share: the JVM is the launcher's
# process (it execs java), its PostgreSQL the processes whose working directory is its data
# directory (their utime and stime, and the waited-for children of each), h2load the phase's own
# (its pid in $out/generator.pid).
data_dir="$(readlink -f "${HOTPATH_DATA_DIR:-$root/data}")"
# The process names are read with the shell's own `read`: a `cat` per process took 2.6 s for the
# machine's 210 processes at load 15, so the samples fell seconds after their time, the window
# was longer than the 6 s it was divided by, and h2load had ended before the second sample. Each
# sample also gives the time it was taken (/proc/uptime), and the window is what lay between.
ticks() {
  local j p=0 h d s comm up
  read -r up _ </proc/uptime
  j=$(awk '{n = split($0, a, ") "); split(a[n], f, " "); print f[12] + f[13]}' "/proc/$server_pid/stat")
  for d in /proc/[0-9]*; do
    read -r comm 2>/dev/null <"$d/comm" || continue
    [ "$comm" = postgres ] || continue
    case "$(readlink -f "$d/cwd" 2>/dev/null)" in
      "$data_dir"/*) s=$(awk '{n = split($0, a, ") "); split(a[n], f, " "); print f[12] + f[13] + f[14] + f[15]}' "$d/stat" 2>/dev/null) && p=$((p + s)) ;;
    esac
  done
  h=$(awk '{n = split($0, a, ") "); split(a[n], f, " "); print f[12] + f[13]}' "/proc/$(cat "$out/generator.pid")/stat" 2>/dev/null || echo -1)
  echo "$j $p $h $(awk '/^cpu / {print $5 + $6}' /proc/stat) $up"
}
hz=$(getconf CLK_TCK)
# phase name, then h2load arguments; prints name, req/s, cores and microseconds per request
phase() {
  local name=$1
  shift
  ${client_cpus:+taskset -c "$client_cpus"} h2load -H "Authorization: Bearer $token" "$@" >"$out/$name.txt" &
  local generator=$! # taskset execs h2load: the same process
  echo "$generator" >"$out/generator.pid"
  (sleep 2; ticks >"$out/t0"; sleep 6; ticks >"$out/t1") &
  local sampler=$!
  wait "$generator" || true
  wait "$sampler" || true
  awk -v name="$name" -v hz="$hz" '
    NR == FNR {a[1] = $1; a[2] = $2; a[3] = $3; a[4] = $4; a[5] = $5; next}
    {b[1] = $1; b[2] = $2; b[3] = $3; b[4] = $4; b[5] = $5}
    END {
      secs = b[5] - a[5] # the window between the two samples (about 6 s)
      for (i = 1; i <= 4; i++) c[i] = (b[i] - a[i]) / hz / secs
      if (a[3] < 0 || b[3] < 0) c[3] = 0 # h2load ended before the window did: not measured
      print name, c[1], c[2], c[3], c[4]
    }' "$out/t0" "$out/t1" >"$out/$name.cpu"
  local rps
  rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$out/$name.txt")
  read -r _ java pg gen idle <"$out/$name.cpu"
  awk -v n="$name" -v r="$rps" -v j="$java" -v p="$pg" -v g="$gen" -v i="$idle" 'BEGIN {
    printf "  %-7s %8.0f req/s  cores: server %.2f  postgres %.2f  h2load %.2f  idle %.2f | us per request: server %.1f  postgres %.1f  h2load %.1f\n",
      n, r, j, p, g, i, j * 1e6 / r, p * 1e6 / r, g * 1e6 / r }'
  echo "$name $rps $java $pg $gen" >>"$out/costs"
  if awk '$3 < 0 {gone = 1} END {exit !gone}' "$out/t0" "$out/t1"; then
    echo "          (h2load ended before the 6 s window did: its CPU, 0 above, is not measured)"
  fi
}

echo "== warm-up (20 s)"
${client_cpus:+taskset -c "$client_cpus"} h2load -H "Authorization: Bearer $token" -i "$out/uris.txt" -c 64 -m 2 -D 20 >/dev/null
echo "== phases (10 s each; CPU over 6 s of each)"
phase closed -i "$out/uris.txt" -c 64 -m 2 -D 10
phase nowork -c 32 -m 100 --rps=1370 --rate 1 --rate-period=1ms -n 438400 "$base/health/live"
phase base -i "$out/uris.txt" -c 32 -m 100 --rps=275 --rate 1 --rate-period=1ms -n 88000

awk -v f="$factor" '
  $1 == "closed" {cap = $2; served = ($3 + $4 + $5) / $2}
  $1 == "nowork" {refused = ($3 + $5) / $2; generator = $5 / $2}
  END {
    admitted = 0.9 * cap; rest = f * cap - admitted
    need = admitted * served + rest * refused
    printf "\n== at %sx capacity (%.0f req/s offered): serving 90 %% of capacity takes %.2f cores, refusing the other %.0f req/s %.2f more: %.2f cores in all (%.2f if refusals were free)\n",
      f, f * cap, admitted * served, rest, rest * refused, need, admitted * served + rest * generator
  }' "$out/costs"
