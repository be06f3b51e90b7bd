#!/usr/bin/env bash
# things.sh [STRATEGY [-- BENCH OPTIONS…]] — measures FastChat's latency and throughput, like the original's
# `things.sh 'type of distribution server'`: starts 3 nodes and a balancer (release build, fresh SQLite store),
# 1,000 simulated clients in pairs, finds the saturation rate, then measures 10 s at it. STRATEGY is one of single,
# round-robin, block, random, least-connections, power-of-two, or all (the default). Writes bench-STRATEGY.json and
# bench-STRATEGY.svg here; any further options go to `fastchat bench` (e.g. --rate 25000, --group-size 100).
set -euo pipefail
cd "$(dirname "$0")"

strategy="${1:-all}"
shift || true
[ "${1:-}" = "--" ] && shift

swift build -c release --product fastchat >&2
exec .build/release/fastchat bench --strategy "$strategy" --json "bench-$strategy.json" --plot "bench-$strategy.svg" "$@"
