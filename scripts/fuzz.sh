#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ and runs each for SECONDS (fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run (default 60 s, all of lexer frame csv config journal)
#   scripts/fuzz.sh --build                 build only
#   scripts/fuzz.sh --seeds                 rewrite fuzz/corpus/journal from the real encoder
#
# Each target fuzzes a copy of fuzz/corpus/TARGET (the repository is never written); new
# inputs, logs and crash inputs go to $FUZZ_OUT (default $TMPDIR/doorstep-fuzz). Exits 1 if
# any target crashed, leaked, timed out or ran out of memory, printing the input's path.
#
# Environment: FUZZ_BUILD (scratch path, default .build-fuzz), FUZZ_JOBS (targets run at
# once, default 1), FUZZ_RSS_MB (default 2048), FUZZ_TIMEOUT (seconds per input, default 30),
# LSAN_OPTIONS (default: the suppressions of fuzz/lsan.supp),
# FUZZ_ARGS (more libFuzzer flags, e.g. -max_len=8192).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
all_targets=(lexer frame csv config journal)
build_dir=${FUZZ_BUILD:-$root/.build-fuzz}
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/doorstep-fuzz}
jobs=${FUZZ_JOBS:-1}

binary() {  # lexer -> FuzzLexer
    case $1 in
        lexer) echo FuzzLexer ;; frame) echo FuzzFrame ;; csv) echo FuzzCSV ;;
        config) echo FuzzConfig ;; journal) echo FuzzJournal ;;
        *) echo "fuzz.sh: unknown target '$1' (expected: ${all_targets[*]})" >&2; exit 2 ;;
    esac
}

build() {
    # libsystemd-dev etc., as for the main build (a no-op when present).
    [[ -x scripts/install-deps.sh ]] && scripts/install-deps.sh >/dev/null
    local start=$SECONDS
    echo "fuzz.sh: building the fuzz targets (release, -sanitize=fuzzer,address) in $build_dir"
    # -enable-testing: the targets use @testable import for internal decoders (JournalRecord,
    # RosterImport). The sanitizers apply to every module, so the product code is instrumented;
    # -Xswiftc -sanitize=fuzzer,address is explicit because SwiftPM passes `-sanitize=fuzzer
    # -sanitize=address` as two flags in a random order and swiftc keeps only the last: the Swift
    # modules got either no coverage counters (no "cov:" in the log) or no ASan; a flag given
    # after them wins. (Not -sanitize-coverage=edge,…: that is trace-pc-guard, which libFuzzer
    # refuses.) SwiftPM does not always rebuild on a flag change: then rm -rf .build-fuzz.
    nice -n 10 swift build --package-path fuzz --scratch-path "$build_dir" -c release \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
        -Xswiftc -enable-testing -j "$(nproc)" 2>&1 \
        | grep -E "error|Compiling Fuzz|Build complete|Linking" || true
    for t in "${all_targets[@]}"; do
        [[ -x $build_dir/release/$(binary "$t") ]] || { echo "fuzz.sh: build failed ($(binary "$t") missing)" >&2; exit 1; }
    done
    echo "fuzz.sh: built in $((SECONDS - start)) s"
}

# One target for $seconds: prints libFuzzer's final figures; returns 1 on a finding.
run_one() {
    local t=$1 seconds=$2 bin work art log
    bin=$build_dir/release/$(binary "$t")
    work=$out/$t/corpus
    art=$out/$t/artifacts/
    log=$out/$t/fuzz.log
    rm -rf "$out/$t"
    mkdir -p "$work" "$art"
    cp -r "fuzz/corpus/$t/." "$work/"
    local rc=0
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp}
    # shellcheck disable=SC2086
    nice -n 10 "$bin" -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
        -timeout="${FUZZ_TIMEOUT:-30}" -print_final_stats=1 -artifact_prefix="$art" ${FUZZ_ARGS:-} \
        "$work" >"$log" 2>&1 || rc=$?
    local last
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    local execs
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    local rate
    rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
    printf 'fuzz.sh: %-8s %ss  runs %s  exec/s %s  last: %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "${last:-?}"
    local found
    found=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | grep -v slow-unit || true)
    if [[ $rc -ne 0 || -n $found ]]; then
        echo "fuzz.sh: $t FAILED (exit $rc); log $log" >&2
        grep -E 'fuzz invariant|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|SUMMARY' "$log" | head -5 >&2 || true
        for f in $found; do echo "fuzz.sh: $t input: $f  (reproduce: $bin $f)" >&2; done
        return 1
    fi
}

case ${1:-} in
    --build) build; exit 0 ;;
    --seeds)
        build
        rm -f fuzz/corpus/journal/{one-visit,put-and-reaction,empty-record,torn-tail}-*
        FUZZ_JOURNAL_SEEDS=$root/fuzz/corpus/journal "$build_dir/release/FuzzJournal"
        exit 0 ;;
esac

seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do binary "$t" >/dev/null; done
build
mkdir -p "$out"
echo "fuzz.sh: ${targets[*]}, $seconds s each, $jobs at a time; output in $out"
failed=0
pids=()
for t in "${targets[@]}"; do
    run_one "$t" "$seconds" & pids+=($!)
    if [[ ${#pids[@]} -ge $jobs ]]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [[ $failed -ne 0 ]]; then echo "fuzz.sh: FAILED: see the inputs above" >&2; exit 1; fi
echo "fuzz.sh: no findings"
