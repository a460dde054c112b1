#!/usr/bin/env bash
# docs/api-examples.md has a section for every route the daemon serves (the examples
# themselves come from the API tests: tests/api/make_examples.py says how to remake them).
#
#   examples_check.sh CONNECTOR SOURCE_DIR WORK_DIR
set -euo pipefail
connector=$1 source_dir=$2 work=$3
mkdir -p "$work"
"$connector" api routes > "$work/routes.txt"
/usr/bin/python3 "$source_dir/tests/api/make_examples.py" --check "$work/routes.txt" \
    < "$source_dir/docs/api-examples.md"
echo "api examples: every route has its section"
