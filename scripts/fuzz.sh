#!/usr/bin/env bash
# Fuzzes one target of the fuzz package (Fuzz/) with libFuzzer for SECONDS, starting from its committed seed corpus
# (Fuzz/Corpus/TARGET/), and prints how many inputs ran. Builds the package first if needed (optimized, with
# libFuzzer and AddressSanitizer; the first build takes a while; FASTCHAT_FUZZ_CONFIGURATION=debug for a debug build,
# about ten times slower per input). A crash, leak or hang exits non-zero, and libFuzzer writes the input that caused
# it to Fuzz/.build/artifacts/TARGET/: reproduce with `Fuzz/.build/release/TARGET FILE`.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]     e.g. scripts/fuzz.sh FuzzNode 60 -runs=1000000
#   scripts/fuzz.sh all SECONDS                                every target, SECONDS each
#
# Targets: FuzzFrameDecoder (framing and Frame parsing), FuzzNode (a real node after a real sign-in),
# FuzzClientPushes (a real client, down to opened sealed contents).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(FuzzFrameDecoder FuzzNode FuzzClientPushes)
if [[ $# -lt 2 || ! "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer options...]  (targets: ${targets[*]})" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2

if [[ "$target" == all ]]; then
    failed=0
    for each in "${targets[@]}"; do
        "$0" "$each" "$seconds" "$@" || failed=$((failed + 1))
    done
    echo "fuzz: $(( ${#targets[@]} - failed )) passed, $failed failed"
    exit $(( failed > 0 ))
fi
if [[ ! " ${targets[*]} " =~ " $target " ]]; then
    echo "Unknown fuzz target $target; the targets are: ${targets[*]}." >&2
    exit 2
fi

configuration=${FASTCHAT_FUZZ_CONFIGURATION:-release}
if [[ "$configuration" != release && "$configuration" != debug ]]; then
    echo "FASTCHAT_FUZZ_CONFIGURATION is release or debug, not $configuration." >&2
    exit 2
fi
# The fixtures reach a client's internals through `@testable import`, which an optimized build allows only with
# -enable-testing (debug builds have it already).
testing=()
[[ "$configuration" == release ]] && testing=(-Xswiftc -enable-testing)
(cd Fuzz && swift build -c "$configuration" --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library "${testing[@]}" >&2)

binary=Fuzz/.build/$configuration/$target
artifacts=Fuzz/.build/artifacts/$target
# New inputs go to a scratch corpus (the committed one stays the hand-made seeds and the kept crashes), and the
# fixtures' stores and homes to a scratch TMPDIR: the process ends by exit(), so only this script can remove them.
work=$(mktemp -d "${TMPDIR:-/tmp}/fastchat-fuzz-$target.XXXXXX")
scratch=$work/corpus
log=$work/log
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts" "$scratch" "$work/tmp"

# LeakSanitizer cannot follow pointers that Swift packs into enum payloads (Data's inline representations among
# them), so on the targets that run a whole node or client it reports the fixture itself as leaked. There, memory
# is bounded by -rss_limit_mb instead (an unbounded growth fails the run); the frame decoder keeps leak checking.
#
# -entropic=0 there too: the node's and client's threads hit new counters in every input, so entropic scheduling's
# per-feature bookkeeping took most of the time (perf: a third of all samples in fuzzer::InputInfo::
# UpdateFeatureFrequency and AddRareFeature, 2.6 times the inputs per second without it).
threaded=()
if [[ "$target" != FuzzFrameDecoder ]]; then
    threaded=(-detect_leaks=0 -entropic=0)
    export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi

# A Swift trap should end the run as libFuzzer sees it, not in the backtracer (which ASan flags on its own)
export SWIFT_BACKTRACE=enable=no

status=0
# -timeout: one input taking this long is a hang. -rss_limit_mb: the whole process, node and store included.
TMPDIR="$work/tmp" "$binary" "$scratch" "Fuzz/Corpus/$target" \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${threaded[@]}" "$@" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
if [[ $status -ne 0 ]]; then
    tail -60 "$log" >&2
    echo "$target: FAILED after ${runs:-?} inputs (exit $status); the input is in $artifacts/" >&2
    exit 1
fi
rate=$(( ${runs:-0} / ( ${time:-0} > 0 ? ${time:-1} : 1 ) ))
# The log goes with the scratch directory: keep libFuzzer's last status line (coverage, RSS) and final stats.
grep '^#[0-9]' "$log" | tail -1 >&2 || true
grep '^stat::' "$log" >&2 || true
echo "$target: ${runs:-?} inputs in ${time:-?} s (${rate}/s), no crash, leak or hang"
