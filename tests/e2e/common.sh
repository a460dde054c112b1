# Shared by the e2e scripts (sourced): a fresh store per connector and its config file.
# Expects: work, source_dir, pki, backend (sqlite|postgresql), pg_url_file.

store_url() {  # name: a fresh database for that connector
    if [[ $backend == postgresql ]]; then
        local server database=e2e_$1_$$
        server=$(cat "$pg_url_file")
        PGOPTIONS=--client-min-messages=warning psql "$server" -q -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database" >&2
        echo "${server%/*}/$database"
    else
        echo "sqlite3:$work/$1.db"
    fi
}

# name agency-code agency-name secret key, then extra "key = value" lines on stdin: a
# connector that signs with the test PKI's key and requires valid signatures.
write_config() {
    # The daemon refuses secret files that group or others may read.
    install -m 600 "$source_dir/samples/axis-sim/secrets/$4" "$work/$4"
    cat > "$work/$1.conf" <<CONF
agency.code = $2
agency.name = $3
store.url = $(store_url "$1")
axis.base_url = http://127.0.0.1:1/unused
axis.secret_file = $work/$4
signing.key_file = $pki/$5.key
signing.certificate_file = $pki/$5.pem
signing.chain_file = $pki/intermediate.pem
signing.passphrase_file = $pki/passphrase.txt
verify.policy = require
verify.trust = $pki/anchors
CONF
    cat >> "$work/$1.conf"
}
