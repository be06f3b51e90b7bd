#!/usr/bin/env bash
# run.sh [SERVERS [CLIENTS [STRATEGY]]] — starts a whole FastChat cluster on this machine, like the original's
# `run.sh 'number of servers' 'number of clients' 'type of distribution server'`: a balancer on 127.0.0.1:7000,
# SERVERS chat nodes on 7001…, CLIENTS simulated clients chatting, a status line every second. Ctrl-C stops it all.
# Strategies: single, round-robin, block, random, least-connections, power-of-two. Data: ./fastchat-data (SQLite).
set -euo pipefail
cd "$(dirname "$0")"

servers="${1:-3}"
clients="${2:-0}"
strategy="${3:-least-connections}"

swift build -c release --product fastchat >&2
exec .build/release/fastchat cluster --servers "$servers" --clients "$clients" --strategy "$strategy"
