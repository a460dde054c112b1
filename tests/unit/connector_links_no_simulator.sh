#!/usr/bin/env bash
# The shipped `connector` executable does not carry the axis simulator (issue 14): no
# symbol of axis_sim:: in it, and `connector axis-sim` names the executable to use.
#   connector_links_no_simulator.sh CONNECTOR
set -euo pipefail
connector=$1
if nm -C "$connector" | grep -q "axis_sim::"; then
    echo "FAIL: the connector executable links the axis simulator:"
    nm -C "$connector" | grep "axis_sim::" | head -5
    exit 1
fi
status=0
"$connector" axis-sim --help 2> /tmp/connector-axis-sim.$$ || status=$?
message=$(cat /tmp/connector-axis-sim.$$)
rm -f /tmp/connector-axis-sim.$$
[[ $status == 2 && $message == *"its own executable now: axis-sim"* ]] \
    || { echo "FAIL: connector axis-sim answered $status: $message"; exit 1; }
echo "ok"
