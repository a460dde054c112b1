#!/usr/bin/python3
"""docs/api-examples.md from the exchanges the contract proxy kept during the API tests:
one request and answer, as sent, per route and successful status (tokens and cookies
masked). Regenerate after changing the API:

    ctest --test-dir build/ci -R 'api_(sqlite|postgresql)/'
    tests/api/make_examples.py docs/openapi.yaml build/ci/test-tmp/api-contract/examples \\
        > docs/api-examples.md

--check ROUTES_FILE instead: every route of `connector api routes` (one "METHOD /path" a
line) has its section in docs/api-examples.md (read from standard input); exit 1 if not.
"""
import glob
import json
import os
import sys
from http import HTTPStatus

import yaml

METHODS = ("get", "post", "delete")


def pretty(body, content_type):
    if content_type.startswith("application/json"):
        try:
            return json.dumps(json.loads(body), ensure_ascii=False, indent=2)
        except ValueError:
            pass
    return body


def render(spec_path, folder):
    with open(spec_path, encoding="utf-8") as file:
        spec = yaml.safe_load(file)
    found = {}
    for path in glob.glob(os.path.join(folder, "*.json")):
        with open(path, encoding="utf-8") as file:
            entry = json.load(file)
        found.setdefault((entry["method"], entry["route"]), []).append(entry)
    out = ["# The backend API by example",
           "",
           "One request and its answer per route, as sent during the API tests (tests/api/"
           "contract_proxy.go kept them; tests/api/make_examples.py wrote this page). Tokens,",
           "cookies and CSRF tokens are masked; long bodies are cut. The narrative is",
           "[api.md](api.md), the contract [openapi.yaml](openapi.yaml).",
           ""]
    for route, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            out.append("## `%s %s`" % (method.upper(), route))
            out.append("")
            out.append(operation.get("summary", ""))
            out.append("")
            # Per status, the fullest answer that is whole (not cut), then the shortest
            # request: an example that shows the most of what comes back.
            by_status = {}
            for entry in found.get((method.upper(), route), []):
                by_status.setdefault(entry["status"], []).append(entry)
            examples = []
            for status in sorted(by_status):
                whole = [e for e in by_status[status]
                         if "bytes in all)" not in e["responseBody"] + e["requestBody"]]
                pool = whole or by_status[status]
                examples.append(max(pool, key=lambda e: (len(e["responseBody"]),
                                                         -len(e["requestBody"]), e["target"])))
            if not examples:
                out.append("No successful exchange of this route was kept by the API tests "
                           "(the daemon makes its answer: tests/api/contract_allowed.txt says "
                           "where it is tested).")
                out.append("")
                continue
            for entry in examples:
                request = ["%s %s HTTP/1.1" % (entry["method"], entry["target"])]
                request += ["%s: %s" % pair for pair in sorted(entry["requestHeaders"].items())]
                if entry["requestBody"]:
                    request += ["", pretty(entry["requestBody"],
                                           entry["requestHeaders"].get("Content-Type", ""))]
                status = entry["status"]
                answer = ["HTTP/1.1 %d %s" % (status, HTTPStatus(status).phrase)]
                answer += ["%s: %s" % pair for pair in sorted(entry["responseHeaders"].items())]
                if entry["responseBody"]:
                    answer += ["", pretty(entry["responseBody"],
                                          entry["responseHeaders"].get("Content-Type", ""))]
                out += ["```http"] + request + ["```", "", "```http"] + answer + ["```", ""]
    return "\n".join(out)


def check(routes_file):
    text = sys.stdin.read()
    missing = []
    with open(routes_file, encoding="utf-8") as file:
        for line in file:
            line = line.strip()
            if line and ("## `%s`" % line) not in text:
                missing.append(line)
    for line in missing:
        print("docs/api-examples.md has no section for " + line)
    return 1 if missing else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(sys.argv[2])
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    print(render(sys.argv[1], sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
