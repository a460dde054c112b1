#!/usr/bin/env bash
# Calls one VDXP axis operation with curl, building the XroadVnpt headers with openssl:
# an implementation of the header scheme (docs/axis.md, protocol.md §5.2) independent of
# the connector's C++ code, for probing an axis (the real one or the simulator) by hand.
#
#   xroad-call.sh --systemid ID (--secret-file F | --secret-env VAR) [options] \
#                 BASE_URL OPERATION [key=value ...]
#
# key=value pairs become signed XroadVnpt-<key> headers, in the order given.
# Options:
#   --body FILE          send FILE as the body (sendEdoc: the SDK appends CRLF; so do we)
#   --content-type TYPE  default application/json, application/octet-stream with --body
#                        on sendEdoc
#   --hash-file          add the SDK's hash-file header for --body (zero-padding dropped)
#   --get                GET instead of POST (downloadEdoc)
#   --cacert FILE        trust FILE for https
#   --tamper key=value   send this header value instead of the signed one (tests)
#   --omit key           sign `key` but do not send its header (tests)
# Prints the answer body; exits 0 when the axis answered status OK (or raw bytes), 1 when
# it refused, 2 on usage errors. The secret is passed to openssl on its command line:
# use this tool on a machine you trust.
set -euo pipefail

usage() { sed -n '2,21p' "$0" >&2; exit 2; }

systemid="" secret="" body_file="" content_type="" method=POST cacert="" hash_file=0
declare -A tamper=()
declare -A omit=()
while [[ $# -gt 0 && $1 == --* ]]; do
    case $1 in
        --systemid) systemid=$2; shift 2 ;;
        --secret-file)  # one trailing newline is not part of the secret, as in the connector
            secret=$(cat "$2"; printf x); secret=${secret%x}; secret=${secret%$'\n'}; shift 2 ;;
        --secret-env) secret=${!2:?environment variable $2 is not set}; shift 2 ;;
        --body) body_file=$2; shift 2 ;;
        --content-type) content_type=$2; shift 2 ;;
        --hash-file) hash_file=1; shift ;;
        --get) method=GET; shift ;;
        --cacert) cacert=$2; shift 2 ;;
        --tamper) tamper[${2%%=*}]=${2#*=}; shift 2 ;;
        --omit) omit[$2]=1; shift 2 ;;
        --help|-h) usage ;;
        *) echo "xroad-call: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -ge 2 && -n $systemid && -n $secret ]] || usage
base_url=${1%/}
operation=$2
shift 2

if [[ -z $content_type ]]; then
    if [[ -n $body_file && $operation == sendEdoc ]]; then
        content_type=application/octet-stream
    else
        content_type=application/json
    fi
fi

# The SDK's timestamp: ddMMyyyy'T'HHmmss+SSSS in Vietnam time, SSSS = milliseconds.
now=$(date +%s%N)
seconds=${now:0:${#now}-9}
millis=$((10#${now:${#now}-9:3}))
timestamp=$(date -u -d "@$((seconds + 7 * 3600))" +%d%m%YT%H%M%S)+$(printf %04d "$millis")

keys=(timestamp systemid Content-Type)
values=("$timestamp" "$systemid" "$content_type")
for pair in "$@"; do
    [[ $pair == *=* ]] || { echo "xroad-call: expected key=value, got '$pair'" >&2; exit 2; }
    keys+=("${pair%%=*}")
    values+=("${pair#*=}")
done
if [[ $hash_file == 1 ]]; then
    [[ -n $body_file ]] || { echo "xroad-call: --hash-file needs --body" >&2; exit 2; }
    digest=$(openssl dgst -sha256 -r "$body_file" | cut -d' ' -f1)
    sdk_hash=""
    for ((i = 0; i < 64; i += 2)); do
        sdk_hash+=$(printf %x "0x${digest:i:2}")
    done
    keys+=(hash-file)
    values+=("$sdk_hash")
fi

json_escape() {
    local text=$1
    text=${text//\\/\\\\}
    text=${text//\"/\\\"}
    printf '%s' "$text"
}

json="{" key_list=""
headers=(-H "Content-Type: $content_type")
for i in "${!keys[@]}"; do
    key=${keys[$i]} value=${values[$i]}
    if [[ $value == *[$'\x01'-$'\x1f']* ]]; then
        echo "xroad-call: the value of $key contains a control character" >&2
        exit 2
    fi
    [[ $json == "{" ]] || json+=","
    json+="\"XroadVnpt-$(json_escape "$key")\":\"$(json_escape "$value")\""
    key_list+=${key_list:+;}$key
    [[ -n ${omit[$key]:-} ]] && continue
    sent=${tamper[$key]-$value}
    if [[ -z $sent ]]; then
        headers+=(-H "XroadVnpt-$key;")  # curl's form for a header with an empty value
    else
        headers+=(-H "XroadVnpt-$key: $sent")
    fi
done
json+="}"
hash=$(printf '%s' "$json" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
headers+=(-H "XroadVnpt-sign-header-key: $key_list"
          -H "XroadVnpt-sign-header: $json"
          -H "XroadVnpt-hash-header: $hash"
          -H "XroadVnpt-version: 3.0.201608"
          -H "User-Agent: JAVASDKAgent/1.0.0 XRoad/VPCP")

curl_args=(--silent --show-error --request "$method" "${headers[@]}")
[[ -n $cacert ]] && curl_args+=(--cacert "$cacert")
answer=$(mktemp)
trap 'rm -f "$answer" "$answer.body"' EXIT
if [[ $method == POST ]]; then
    if [[ -n $body_file ]]; then
        cat "$body_file" > "$answer.body"
        printf '\r\n' >> "$answer.body"
        curl_args+=(--data-binary "@$answer.body")
    else
        curl_args+=(--data-binary "{}")
    fi
fi
if ! http_status=$(curl "${curl_args[@]}" --output "$answer" --write-out '%{http_code}' \
    "$base_url/$operation"); then
    echo "xroad-call: $operation: no answer (curl failed)" >&2
    exit 1
fi
cat "$answer"
echo
if [[ $http_status == 2* ]] && { ! grep -q '"status"' "$answer" || grep -Eq '"status" *: *"OK"' "$answer"; }; then
    exit 0
fi
echo "xroad-call: $operation refused (HTTP $http_status)" >&2
exit 1
