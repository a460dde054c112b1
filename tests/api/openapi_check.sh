#!/usr/bin/env bash
# docs/openapi.yaml is a valid OpenAPI 3.0 document and describes exactly the routes the
# daemon serves: the validator (tests/api/openapi_validate.go, built offline from Debian's
# Go packages, see .ci/install-deps.sh) checks the document and prints its routes; they
# must equal `connector api routes`, line for line ("METHOD /path/{param}", sorted).
#
#   openapi_check.sh CONNECTOR_EXECUTABLE OPENAPI_YAML [WORK_DIR]
#
# WORK_DIR (default: a temporary directory) holds the validator and its Go build cache.
set -euo pipefail
connector=$1 yaml=$2 work=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
if [[ -z $work ]]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v go > /dev/null || fail "no go: run .ci/install-deps.sh (golang-go)"
validator=$work/openapi_validate
(
    cd "$here"
    GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' GOENV=off CGO_ENABLED=0 \
        GOCACHE="$work/go-cache" go build -o "$validator" openapi_validate.go
) || fail "cannot build the validator: are golang-github-getkin-kin-openapi-dev and" \
          "golang-github-xeipuuv-gojsonschema-dev installed (.ci/install-deps.sh)?"

"$validator" "$yaml" > "$work/document-routes" || fail "$yaml is not a valid OpenAPI 3.0 document"
"$connector" api routes > "$work/server-routes" || fail "'$connector api routes' failed"
sed -i 's/[[:space:]]*$//; /^$/d' "$work/server-routes"
LC_ALL=C sort -o "$work/server-routes" "$work/server-routes"
LC_ALL=C sort -o "$work/document-routes" "$work/document-routes"
[[ -s $work/server-routes ]] || fail "'$connector api routes' printed no route"

if ! diff -u --label "$yaml" --label "connector api routes" \
        "$work/document-routes" "$work/server-routes" > "$work/routes.diff"; then
    echo "The routes differ ('-': only in the document, '+': only in the server):" >&2
    tail -n +3 "$work/routes.diff" | grep '^[-+]' >&2
    fail "$yaml and 'connector api routes' do not list the same routes"
fi
echo "openapi_check: $yaml is valid OpenAPI 3.0 and matches the server's $(wc -l < "$work/server-routes") routes"
