#!/usr/bin/env bash
# order by id at 1M and 10M again, with a 60 s warm-up (bench-scale's 10 s left the 10M run 1 cold)
cd /work/main
for n in 1000000 10000000; do
  env HOTPATH_PORT=8097 HOTPATH_CACHE_MAX_MB=0 HOTPATH_DATA_DIR=/work/scale-out/data-$n HOTPATH_AUTH=off HOTPATH_RATE_LIMITS=off ./hotpath serve > /work/byid-server-$n.log 2>&1 &
  pid=$!
  until curl -sf http://localhost:8097/health/ready >/dev/null; do sleep 1; done
  SEED_ORDERS=$n MAX_ID=$n wrk -t1 -c32 -d60s -s scripts/wrk/order-by-id.lua http://localhost:8097 >/dev/null
  for run in 1 2; do
    res=$(SEED_ORDERS=$n MAX_ID=$n wrk -t1 -c32 -d20s --latency -s scripts/wrk/order-by-id.lua http://localhost:8097)
    echo "$n | order-by-id (60 s warm-up) | $run | $(echo "$res" | awk '/Requests\/sec/ {print $2}') | $(echo "$res" | awk '$1=="99%" {print $2}') | $(echo "$res" | grep -E 'Non-2xx' | tr -s ' ')"
  done
  kill -TERM $pid; wait $pid
done
