#!/usr/bin/env bash
# Runs CI as CI runs it: `bash .ci/run` in a fresh clone of the committed HEAD, in a new folder,
# RUNS times in a row; with STRESS=1 while stress-ng keeps every core busy (started here, not by
# .ci/run). Prints each run's exit status, wall time and test counts; exits 1 if any run failed.
#
#   scripts/check-fresh-clone.sh [RUNS]          # e.g. 5
#   STRESS=1 scripts/check-fresh-clone.sh 1
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-1}"
if [ "${STRESS:-0}" = "1" ] && ! command -v stress-ng >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq stress-ng) >/dev/null
fi
failed=0
for run in $(seq 1 "$runs"); do
  work="$(mktemp -d)"
  git clone -q "$root" "$work/hotpath"
  # CI lays the shared folder beside the clone
  [ -d "$root/../shared" ] && cp -r "$root/../shared" "$work/shared"
  stress_pid=""
  if [ "${STRESS:-0}" = "1" ]; then
    stress-ng --cpu "$(nproc)" --quiet &
    stress_pid=$!
  fi
  start=$(date +%s)
  set +e
  (cd "$work/hotpath" && CI=true bash .ci/run </dev/null >"$work/ci.log" 2>&1)
  status=$?
  set -e
  seconds=$(($(date +%s) - start))
  [ -n "$stress_pid" ] && kill "$stress_pid" 2>/dev/null && wait "$stress_pid" 2>/dev/null || true
  tests=$(grep -E "^\[(INFO|ERROR|WARNING)\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$" "$work/ci.log" | sed 's/^\[[A-Z]*\] //' | tr '\n' ';')
  verify=$(grep -E "Total time:" "$work/ci.log" | tail -1 | sed 's/.*Total time: *//')
  echo "run $run$([ -n "$stress_pid" ] && echo ' (stress-ng on every core)'): exit $status in ${seconds}s (./mvnw verify ${verify:-?}); $tests"
  grep -E "Tests run:.*Skipped: [1-9]|^SKIP|skipping" "$work/ci.log" | head -5 || true
  if [ "$status" -ne 0 ]; then
    failed=1
    grep -E "^\[ERROR\]" "$work/ci.log" | head -30
    echo "log kept: $work/ci.log"
  else
    rm -rf "$work"
  fi
done
exit "$failed"
