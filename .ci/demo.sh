#!/usr/bin/env bash
# The run command: installs what is missing, builds a release binary and runs the main
# job. Until the daemon lands (issue 6) the main job is an inspection of the bundled
# sample packages: full validation of every sample, then a readable summary of the
# task assignment, a task report, a status, and a package repaired from another producer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh

build_dir=build/release
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCONNECTOR_BUILD_TESTS=OFF \
    -DCONNECTOR_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j2 --target connector

connector="$build_dir/connector/daemon/connector"
echo
echo "== connector edxml validate samples/packages/*"
"$connector" edxml validate samples/packages/*
for sample in task-assignment task-report status-03 variant-undeclared-prefix; do
    echo
    echo "== connector edxml inspect samples/packages/$sample.edxml"
    "$connector" edxml inspect "samples/packages/$sample.edxml"
done
