#!/usr/bin/env bash
# Generates a throwaway test PKI with openssl. Nothing it writes is secret or committed:
# tests and the demo run it into a build folder.
#
#   samples/pki/make-test-pki.sh OUTDIR
#
# OUTDIR gets:
#   root.pem, intermediate.pem        the trust chain (root.pem is the only anchor)
#   anchors/root.pem                  a trust-anchor directory
#   h20.key h20.pem                   UBND tỉnh Đồng Tháp (000.00.00.H20), issued by the intermediate
#   h20.p12                           the same key and chain as PKCS#12, passphrase in passphrase.txt
#   g22.key g22.pem                   Văn phòng Chính phủ (000.00.00.G22); g22.key is encrypted
#                                     with the passphrase in passphrase.txt
#   expired.key expired.pem           valid 2020-01-01 .. 2021-01-01
#   future.key future.pem             valid from 2090-01-01
#   revoked.key revoked.pem           revoked in crl-intermediate.pem
#   crl-root.pem crl-intermediate.pem CRLs of both CAs
#   crl-intermediate-before.pem       the intermediate's CRL before revoked.pem was revoked
#   crl-intermediate-stale.pem        the intermediate's CRL with a nextUpdate in 2020
#   crls/                             crl-root.pem and crl-intermediate.pem, as a directory
#   untrusted-root.pem                a CA nobody configured
#   untrusted.key untrusted.pem       issued by it
#   localhost.key localhost.pem       a TLS server certificate for localhost and 127.0.0.1
#                                     (localhost.pem holds the leaf, then the intermediate)
#   wronghost.key wronghost.pem       a TLS server certificate for axis.example only
#
# TEST_PKI_YEARS (default 10) sets how long the CAs and the valid signing certificates last.
set -euo pipefail

out=${1:?usage: make-test-pki.sh OUTDIR}
years=${TEST_PKI_YEARS:-10}
# A PKI made by this very script (and validity) is kept; an older script's is remade.
stamp="$(sha256sum "$0" | cut -d' ' -f1) $years"
if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$stamp" ]]; then
    exit 0
fi
rm -rf "$out"
mkdir -p "$out/anchors" "$out/ca"
cd "$out"

new_key() {  # name
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"
}

# A minimal `openssl ca` setup per CA, so that validity dates can be chosen freely.
ca_config() {  # name
    mkdir -p "ca/$1"
    : > "ca/$1/index.txt"
    echo 1000 > "ca/$1/serial"
    echo 1000 > "ca/$1/crlnumber"
    cat > "ca/$1/openssl.cnf" <<CONF
[ ca ]
default_ca = this_ca
[ this_ca ]
dir = ca/$1
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir
certificate = $1.pem
private_key = $1.key
default_md = sha256
default_crl_days = 3650
policy = any
unique_subject = no
copy_extensions = none
[ any ]
countryName = optional
organizationName = optional
commonName = supplied
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ signer_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ localhost_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[ wronghost_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:axis.example
CONF
}

self_signed_ca() {  # name subject
    new_key "$1"
    openssl req -new -x509 -utf8 -key "$1.key" -subj "$2" -days $(((years + 1) * 366)) -sha256 \
        -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.pem"
    ca_config "$1"
}

issue() {  # ca name subject extension startdate enddate
    new_key "$2"
    openssl req -new -utf8 -key "$2.key" -subj "$3" -out "$2.csr"
    openssl ca -batch -notext -utf8 -config "ca/$1/openssl.cnf" -extensions "$4" \
        -startdate "$5" -enddate "$6" -in "$2.csr" -out "$2.pem" 2>/dev/null
    rm "$2.csr"
}

now=$(date -u +%Y%m%d%H%M%SZ)
valid_until=$(date -u -d "+$years years" +%Y%m%d%H%M%SZ)

self_signed_ca root "/C=VN/O=Test PKI/CN=Test Root CA"
issue root intermediate "/C=VN/O=Test PKI/CN=Test Intermediate CA" ca_ext "$now" "$valid_until"
ca_config intermediate

issue intermediate h20 "/C=VN/O=Ủy ban nhân dân tỉnh Đồng Tháp/CN=000.00.00.H20" signer_ext "$now" "$valid_until"
issue intermediate g22 "/C=VN/O=Văn phòng Chính phủ/CN=000.00.00.G22" signer_ext "$now" "$valid_until"
issue intermediate expired "/C=VN/O=Ủy ban nhân dân tỉnh Đồng Tháp/CN=000.00.00.H20 expired" signer_ext \
    20200101000000Z 20210101000000Z
issue intermediate future "/C=VN/O=Ủy ban nhân dân tỉnh Đồng Tháp/CN=000.00.00.H20 future" signer_ext \
    20900101000000Z 20950101000000Z
issue intermediate revoked "/C=VN/O=Ủy ban nhân dân tỉnh Đồng Tháp/CN=000.00.00.H20 revoked" signer_ext \
    "$now" "$valid_until"
issue intermediate localhost "/C=VN/O=Test PKI/CN=localhost" localhost_ext "$now" "$valid_until"
issue intermediate wronghost "/C=VN/O=Test PKI/CN=axis.example" wronghost_ext "$now" "$valid_until"
# A TLS server sends its chain: leaf first, then the intermediate.
cat intermediate.pem >> localhost.pem
cat intermediate.pem >> wronghost.pem
# Before the revocation: what a CA published earlier (a reload then brings the news).
openssl ca -batch -config ca/intermediate/openssl.cnf -gencrl -out crl-intermediate-before.pem 2>/dev/null
openssl ca -batch -config ca/intermediate/openssl.cnf -revoke revoked.pem 2>/dev/null
openssl ca -batch -config ca/intermediate/openssl.cnf -gencrl -out crl-intermediate.pem 2>/dev/null
# A CRL whose nextUpdate has passed (the CA stopped publishing).
openssl ca -batch -config ca/intermediate/openssl.cnf -gencrl -crl_lastupdate 20200101000000Z \
    -crl_nextupdate 20200102000000Z -out crl-intermediate-stale.pem 2>/dev/null
openssl ca -batch -config ca/root/openssl.cnf -gencrl -out crl-root.pem 2>/dev/null

self_signed_ca untrusted-root "/C=VN/O=Somebody Else/CN=Untrusted Root CA"
issue untrusted-root untrusted "/C=VN/O=Ủy ban nhân dân tỉnh Đồng Tháp/CN=000.00.00.H20" signer_ext \
    "$now" "$valid_until"

cp root.pem anchors/root.pem
mkdir -p crls
cp crl-root.pem crl-intermediate.pem crls/
echo "test-passphrase-$(date -u +%s)" > passphrase.txt
openssl pkcs8 -topk8 -v2 aes-256-cbc -in g22.key -out g22-encrypted.key -passout file:passphrase.txt
mv g22-encrypted.key g22.key
openssl pkcs12 -export -inkey h20.key -in h20.pem -certfile intermediate.pem -out h20.p12 \
    -passout file:passphrase.txt
chmod 600 ./*.key h20.p12 passphrase.txt
echo "$stamp" > .complete
