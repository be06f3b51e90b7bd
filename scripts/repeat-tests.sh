#!/usr/bin/env bash
# Runs the whole suite (scripts/test.sh) RUNS times back to back, with both cores hogged by two `yes > /dev/null`
# when the second argument is "hog", and prints one line per run: exit status, elapsed seconds, Swift Testing's
# summary. Each run's output is kept in DIR (default: a temporary directory). How the README's proof was made.
#   scripts/repeat-tests.sh 5          # five runs in a row
#   scripts/repeat-tests.sh 3 hog      # three runs beside a CPU hog on both cores
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:?usage: $0 RUNS [hog] [DIR]}
hog=${2:-}
logs=${3:-$(mktemp -d "${TMPDIR:-/tmp}/fastchat-runs.XXXXXX")}
failed=0
for run in $(seq 1 "$runs"); do
    hogs=()
    if [ "$hog" = hog ]; then
        yes >/dev/null & hogs+=($!)
        yes >/dev/null & hogs+=($!)
    fi
    start=$(date +%s)
    CI=true scripts/test.sh >"$logs/run-$run.log" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    [ ${#hogs[@]} -gt 0 ] && kill "${hogs[@]}"
    [ "$status" -ne 0 ] && failed=1
    echo "run $run: status $status, $elapsed s, $(grep -E 'Test run with' "$logs/run-$run.log" | tail -n 1)"
done
echo "logs in $logs"
exit "$failed"
