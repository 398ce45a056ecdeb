#!/bin/bash
# The 1,000-task jobs benchmark, 3 runs in a row, for a quiet-machine median: run it as
#   /work/bin/heavy --quiet bash bench/_jobs-quiet-series.sh [PREFIX]
# (heavy --quiet takes every slot). Each run: `npm run bench -- jobs --tasks 100 --mesh-tasks 1000`
# (in-process and local-runner baselines in the same run) into bench/results/PREFIX-runN.json, with
# the 1-minute load average sampled every 10 s beside it; then bench/_jobs-median.ts writes
# bench/results/PREFIX-median.json (every run, its load, and the medians). About 10 minutes on a
# quiet machine.
set -u
cd "$(dirname "$0")/.."
prefix=${1:-jobs-1000-quiet}
for i in 1 2 3; do
  loads=/tmp/$prefix-run$i.load
  : > "$loads"
  ( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1 /proc/loadavg)" >> "$loads"; sleep 10; done ) &
  sampler=$!
  echo "run $i from $(date -u +%H:%M:%S), load $(cat /proc/loadavg)"
  node scripts/bench.mjs jobs --tasks 100 --mesh-tasks 1000 --out "$prefix-run$i"
  rc=$?
  kill "$sampler"
  echo "run $i rc $rc to $(date -u +%H:%M:%S), load $(cat /proc/loadavg)"
done
node --import tsx bench/_jobs-median.ts "$prefix"
