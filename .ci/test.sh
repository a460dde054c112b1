#!/usr/bin/env bash
# The test command: installs what is missing (PostgreSQL included), builds with
# AddressSanitizer and UBSan and warnings as errors, and runs the whole CTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh --with-postgresql

build_dir=build/ci
cmake -S . -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=Debug \
    -DCONNECTOR_WERROR=ON \
    -DCONNECTOR_SANITIZE="address;undefined" \
    -DCONNECTOR_BUILD_TESTS=ON \
    -DCONNECTOR_BUILD_BENCH=ON
cmake --build "$build_dir" -j2

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build_dir" -j2 --output-on-failure --no-tests=error
