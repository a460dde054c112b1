#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need; does nothing when
# they are all present. Usage: .ci/install-deps.sh [--with-postgresql]
# (--with-postgresql: also what only the test suite needs, PostgreSQL among it.)
set -euo pipefail

packages=(
    g++ cmake make pkg-config ccache openssl curl
    libpoco-dev libxml2-dev libxml2-utils libssl-dev
    xmlsec1
    libsoci-dev libsqlite3-dev libpq-dev
    libboost-test-dev sqlite3
    libxlsxwriter-dev  # the leaders' XLSX exports
    jq  # the demo and tests/e2e/idesk_sims.sh read the iDesk simulators' JSON
)
if [[ "${1:-}" == "--with-postgresql" ]]; then
    packages+=(
        postgresql
        libxmlsec1-dev  # tests/unit/edxml/xmlsec_differential_test.cpp: libxmlsec1 as a second opinion
        clang  # tests/fuzz/run-fuzzers.sh: the fuzz targets as libFuzzer programs
        # tests/api/openapi_check.sh: the OpenAPI 3.0 schema and a Go validator built offline
        golang-go golang-github-getkin-kin-openapi-dev golang-github-invopop-yaml-dev
        golang-github-xeipuuv-gojsonschema-dev openapi-specification
        # tests/ui: the pages in headless Chromium, driven by Selenium; openpyxl opens
        # the XLSX exports; a font with Vietnamese letters for the screenshots
        chromium chromium-driver python3-selenium python3-openpyxl fonts-dejavu-core
        prometheus  # tests/cli/metrics.sh and the metrics unit test: promtool check metrics
        # tests/package/deb_package.sh: the Debian package built (dpkg-shlibdeps), checked
        # (lintian, systemd-analyze) and installed (adduser in its postinst)
        dpkg-dev lintian systemd adduser
    )
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: must run as root to install packages" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
