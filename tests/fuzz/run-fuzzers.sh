#!/usr/bin/env bash
# Builds every fuzz target as a libFuzzer program with clang (ASan and UBSan) and runs
# each for SECONDS (default 60) over a copy of its corpus, then prints, per target, the
# executions, the corpus it grew to and the findings (crash, leak, timeout and oom files;
# for the verifier a finding is also an input we call valid that libxmlsec1 refuses).
#
#   tests/fuzz/run-fuzzers.sh [SECONDS]
# Needs clang (installed by .ci/install-deps.sh --with-postgresql). Findings go to
# build/fuzz/findings/TARGET/: copy each into tests/fuzz/corpus*/ with its fix.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCONNECTOR_FUZZ=ON \
    -DCONNECTOR_SANITIZE="address;undefined" -DCONNECTOR_BUILD_TESTS=ON \
    -DCONNECTOR_BUILD_BENCH=OFF > /dev/null
targets=(edxml_read verify api_json axis_answers plan_import config)
cmake --build "$build" -j2 --target "${targets[@]/%/_fuzz}" > "$build/build.log" 2>&1 ||
    { tail -30 "$build/build.log"; exit 1; }
declare -A corpora=(
    [edxml_read]="samples/packages tests/data/hostile tests/fuzz/corpus"
    [verify]="tests/data/signatures tests/fuzz/corpus-verify"
    [api_json]="tests/fuzz/corpus-api"
    [axis_answers]="tests/fuzz/corpus-axis"
    [plan_import]="samples/plans tests/fuzz/corpus-plan"
    [config]="config/demo tests/fuzz/corpus-config"
)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
printf '%-14s %12s %10s %9s\n' target executions corpus findings
total_findings=0
for target in "${targets[@]}"; do
    work=$build/work/$target findings=$build/findings/$target
    rm -rf "$work" "$findings" && mkdir -p "$work" "$findings"
    for dir in ${corpora[$target]}; do
        find "$dir" -maxdepth 1 -type f -exec cp {} "$work/" \;
    done
    log=$build/$target.log
    "$build/tests/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$findings/" "$work" > "$log" 2>&1 || true
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [[ -n $runs ]] || runs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
    found=$(find "$findings" -type f | wc -l)
    total_findings=$((total_findings + found))
    printf '%-14s %12s %10s %9s\n' "$target" "${runs:-?}" "$(find "$work" -type f | wc -l)" "$found"
done
echo "findings: $total_findings (in $build/findings/)"
[[ $total_findings == 0 ]]
