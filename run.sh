#!/usr/bin/env bash
# Starts FastChat on this machine: builds the release binary and runs one chat node on 127.0.0.1:7001 with the
# embedded SQLite store in ./fastchat-data. Ctrl-C stops it cleanly.
# (The multi-server cluster, `run.sh N M STRATEGY`, replaces this once the balancer lands.)
set -euo pipefail
cd "$(dirname "$0")"

swift build -c release --product fastchat >&2
echo "FastChat node on 127.0.0.1:7001. In another terminal:" >&2
echo "  export FASTCHAT_CONNECT=127.0.0.1:7001" >&2
echo "  .build/release/fastchat chat" >&2
exec .build/release/fastchat server --host 127.0.0.1 --port 7001 --database sqlite:./fastchat-data/fastchat.db
