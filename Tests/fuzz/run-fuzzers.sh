#!/usr/bin/env bash
# Runs the libFuzzer targets of a fuzz build (archive check, native TorchScript reader, model
# loader, state restore, presets, the WAV reader and the JSON importers) for SECONDS each, from the
# seed corpus in Tests/fuzz/corpus, and prints the executions. A crash leaves its input in BUILD/fuzz-crashes:
# add it to Tests/fuzz/regressions and it becomes a test (Tests/CMakeLists.txt runs every file there).
# usage: Tests/fuzz/run-fuzzers.sh BUILD_DIR SECONDS [RUNS]
# With RUNS, each target stops after that many inputs (or SECONDS) from a fixed seed, so a run is
# repeatable: what CI uses. Without, it fuzzes for SECONDS from a random seed.
set -euo pipefail
build=$1 seconds=$2 runs=${3:-}
limits=(-max_total_time="$seconds")
[ -n "$runs" ] && limits+=(-runs="$runs" -seed=1)
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/fuzz-crashes" "$build/fuzz-work"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$here/../lsan.supp:print_suppressions=0"
# LibTorch has no frame pointers: the slower unwinder gives the full stacks the suppressions match.
export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0:malloc_context_size=255"
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-22 || command -v llvm-symbolizer || true)}
targets=(archive tsreader loader state preset wav nam rtneural statedict)
for target in "${targets[@]}"; do
    if [ ! -x "$build/bin/torchamp_fuzz_$target" ]; then
        echo "fuzz: $build/bin/torchamp_fuzz_$target was not built (is it in the fuzz build preset?)"; exit 2
    fi
done
for target in "${targets[@]}"; do
    work="$build/fuzz-work/$target"
    corpus=$target
    [ "$target" = archive ] && corpus=loader # the same files: TorchScript archives
    rm -rf "$work" && mkdir -p "$work" && cp "$here/corpus/$corpus/"* "$work/"
    echo "== fuzzing $target for $seconds s"
    "$build/bin/torchamp_fuzz_$target" "${limits[@]}" -rss_limit_mb=6000 -timeout=60 -report_slow_units=60 \
        -max_len=262144 -artifact_prefix="$build/fuzz-crashes/$target-" -print_final_stats=1 "$work" \
        2>&1 | tee "$build/fuzz-$target.log" | grep -E "^(#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || true
    if grep -qE "==[0-9]+==ERROR|^SUMMARY: |deadly signal|Test unit written" "$build/fuzz-$target.log" \
        || ! grep -q "stat::number_of_executed_units" "$build/fuzz-$target.log"; then
        echo "fuzzer $target found a problem (input in $build/fuzz-crashes):"; tail -60 "$build/fuzz-$target.log"; exit 1
    fi
done
echo "fuzz: every target ran without a crash, a leak or a hang"
