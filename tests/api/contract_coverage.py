#!/usr/bin/python3
"""Which documented answers the API tests saw: every (method, route, status) that
docs/openapi.yaml lists, against the records tests/api/contract_proxy.go wrote for each
call of the API integration tests (both stores). Prints what was never seen; exit 1 when
something documented was never exercised, or when a record holds a violation.

    contract_coverage.py OPENAPI_YAML RECORD_DIR [--allow FILE]

--allow names documented answers that a test cannot provoke through the proxy, one
"METHOD ROUTE STATUS  # why" a line (e.g. a 500, which only a fault makes).
"""
import glob
import json
import os
import sys

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def documented(spec_path):
    with open(spec_path, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    answers = set()
    for route, item in spec["paths"].items():
        answers.add(("*", route, 405))  # the conventions' answer to a method it does not take
        for method in METHODS:
            operation = item.get(method)
            if not operation:
                continue
            for status in operation.get("responses", {}):
                if status != "default":
                    answers.add((method.upper(), route, int(status)))
    return answers


def allowed(path):
    found = set()
    if not path:
        return found
    with open(path, encoding="utf-8") as file:
        for line in file:
            line = line.split("#", 1)[0].strip()
            if line:
                method, route, status = line.split()
                found.add((method, route, int(status)))
    return found


def main():
    args = sys.argv[1:]
    allow_file = None
    if "--allow" in args:
        at = args.index("--allow")
        allow_file = args[at + 1]
        del args[at:at + 2]
    spec_path, record_dir = args
    records = glob.glob(os.path.join(record_dir, "*.jsonl"))
    if not records:
        print("no records in " + record_dir + ": did the API tests run?")
        return 1
    seen, violations = set(), []
    for path in records:
        with open(path, encoding="utf-8") as file:
            for line in file:
                entry = json.loads(line)
                if entry.get("route"):
                    method = "*" if entry["status"] == 405 else entry["method"]
                    seen.add((method, entry["route"], entry["status"]))
                if entry.get("violation"):
                    violations.append(entry)
    wanted = documented(spec_path)
    exempt = allowed(allow_file)
    def exempted(answer):
        method, route, status = answer
        return any(m in ("*", method) and r in ("*", route) and st == status
                   for m, r, st in exempt)
    missing = sorted(answer for answer in wanted - seen if not exempted(answer))
    # An allowance for an answer that is not documented, or that the tests now make, is
    # stale: it would hide a gap later.
    stale = sorted(answer for answer in exempt
                   if "*" not in answer[:2] and (answer not in wanted or answer in seen))
    for entry in violations:
        print("violation: %s %s -> %d: %s" % (entry["method"], entry["path"], entry["status"],
                                              entry["violation"]))
    for method, route, status in missing:
        print("never exercised: %s %s %d" % (method, route, status))
    for method, route, status in stale:
        print("allowed, but not documented or exercised now: %s %s %d" % (method, route, status))
    exempt_count = sum(1 for answer in wanted - seen if exempted(answer))
    print("%d of %d documented answers exercised, %d allowed without (%s), %d records"
          % (len(wanted & seen), len(wanted), exempt_count, allow_file, len(records)))
    return 1 if missing or violations or stale else 0


if __name__ == "__main__":
    sys.exit(main())
