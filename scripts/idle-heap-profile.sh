#!/bin/bash
# usage: scripts/idle-heap-profile.sh on|off N DIR — a node under heaptrack, a balancer, bench --idle N --hold; the
# node is killed (SIGKILL) while it holds the N idle sessions, so heaptrack's "leaked" bytes are what was live then.
# Writes DIR/leaks.txt for scripts/heap-owners.py. Ports 7300 (balancer) and 7301 (node). See BENCHMARKS.md.
set -u
TLS=$1; N=$2; D=$3
BIN=${BIN:-.build/debug/fastchat}
rm -rf "$D"; mkdir -p "$D"
TLSARG=(); CLIENTTLS=(--ca $D/tls/ca.pem); [ "$TLS" = off ] && { TLSARG=(--no-tls); CLIENTTLS=(); }
COMMON=(--max-connections 1000000 --max-connections-per-address 1000000 --dead-after 120)
heaptrack -o $D/heap $BIN server --host 127.0.0.1 --port 7301 --name s1 --database sqlite:$D/fastchat.db --log-level warning \
  --auth-limit 10000000 --auth-limit-per-account 10000000 "${COMMON[@]}" "${TLSARG[@]}" > $D/node.log 2>&1 &
HT=$!
until ss -ltn | grep -q ':7301 '; do sleep 1; done
NODE=$(pgrep -f "^[^ ]*fastchat server --host 127.0.0.1 --port 7301" | head -1); echo $NODE > $D/node.pid  # the node, not heaptrack's wrapper
$BIN balancer --host 127.0.0.1 --port 7300 --strategy round-robin --database sqlite:$D/fastchat.db --log-level warning \
  "${COMMON[@]}" "${TLSARG[@]}" > $D/balancer.log 2>&1 &
BAL=$!; echo $BAL > $D/balancer.pid
until ss -ltn | grep -q ':7300 '; do sleep 1; done
sleep 12
grep -E '^(VmRSS|VmHWM)' /proc/$NODE/status > $D/before.rss
$BIN bench --connect 127.0.0.1:7300 "${CLIENTTLS[@]}" --tls $TLS --idle $N --hold 3600 --json $D/idle.json > $D/bench.log 2>&1 &
BENCH=$!; echo $BENCH > $D/bench.pid
until grep -q "holding them" $D/bench.log 2>/dev/null; do
  kill -0 $BENCH 2>/dev/null || { echo "bench ended early"; cat $D/bench.log; break; }
  sleep 2
done
sleep 5
grep -E '^(VmRSS|VmHWM)' /proc/$NODE/status > $D/after.rss
grep -ao "[0-9.]* KB per idle connection" $D/bench.log
kill -9 $NODE; wait $HT 2>/dev/null
kill $BENCH; kill $BAL; wait $BENCH $BAL 2>/dev/null
heaptrack_print -f $D/heap.zst --print-leaks 1 -p 0 -a 0 -T 0 -n 100000 -s 100000 --merge-backtraces 0 > $D/leaks.txt
echo "now: scripts/heap-owners.py $D/leaks.txt auto BASELINE/leaks.txt 0  (BASELINE: a run whose bench failed or N=2)"
