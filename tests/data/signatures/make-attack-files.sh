#!/usr/bin/env bash
# Regenerates the signed attack files of this folder. Run by a developer, not by the tests:
# the outputs are committed, the private keys are thrown away.
#
#   tests/data/signatures/make-attack-files.sh path/to/connector
#
# Keeps: anchors/root.pem, intermediate.pem, crl-*.pem (public), the *.edxml files, and
# EXPECTED (file → verdict), which tests/unit/edxml/signature_attacks_test.cpp walks.
# Needs: openssl, xmlsec1, perl.
set -euo pipefail

connector=$(realpath "${1:?usage: make-attack-files.sh path/to/connector}")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

TEST_PKI_YEARS=40 "$repo/samples/pki/make-test-pki.sh" "$work/pki"
pki=$work/pki
rm -f "$here"/*.edxml "$here"/*.pem "$here/EXPECTED"
mkdir -p "$here/anchors"
cp "$pki/root.pem" "$here/anchors/root.pem"
cp "$pki/intermediate.pem" "$pki/crl-root.pem" "$pki/crl-intermediate.pem" "$here/"

samples=$repo/samples/packages
expect() { echo "$1 $2" >> "$here/EXPECTED"; }

sign() {  # signer input output [extra sign options]
    local signer=$1 input=$2 output=$3
    shift 3
    "$connector" edxml sign --key "$pki/$signer.key" --cert "$pki/$signer.pem" \
        --chain "$pki/intermediate.pem" "$@" "$input" "$here/$output" > /dev/null
}

# A package with a Signature template, for signing with the xmlsec1 tool. $2 is the
# template body between <Signature> and </Signature>.
with_template() {  # input template-body output
    perl -0pe "s{</edXML:edXMLHeader>}{<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">$2</Signature></edXML:edXMLHeader>}" \
        "$1" > "$3"
}
xmlsec_sign() {  # template-file output [xmlsec1 options]
    local template=$1 output=$2
    shift 2
    xmlsec1 --sign --privkey-pem "$pki/h20.key,$pki/h20.pem,$pki/intermediate.pem" "$@" \
        --output "$here/$output" "$template" 2> /dev/null
}
signed_info() {  # reference elements
    echo "<SignedInfo><CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>$1</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo>"
}
reference() {  # uri extra-transforms
    echo "<Reference URI=\"$1\"><Transforms><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>${2:-}<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></Transforms><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference>"
}

# Valid baselines, signed by us and by the xmlsec1 tool.
sign h20 "$samples/status-03.edxml" valid-status.edxml
sign h20 "$samples/task-assignment.edxml" valid-task-assignment.edxml
sign g22 "$samples/document-with-attachments.edxml" valid-document.edxml \
    --passphrase-file "$pki/passphrase.txt"
sign h20 "$samples/status-06.edxml" valid-legacy-sha1.edxml --sha1
with_template "$samples/status-05.edxml" "$(signed_info "$(reference "")")" "$work/t.xml"
xmlsec_sign "$work/t.xml" valid-signed-by-xmlsec1.edxml
expect valid-status.edxml valid
expect valid-task-assignment.edxml valid
expect valid-document.edxml valid
expect valid-legacy-sha1.edxml unsafe  # SHA-1 is refused unless verify.allow_sha1 (issue 12)
expect valid-signed-by-xmlsec1.edxml valid

# Certificates.
sign untrusted "$samples/status-03.edxml" untrusted-ca.edxml
sign expired "$samples/status-03.edxml" expired-certificate.edxml
sign future "$samples/status-03.edxml" not-yet-valid-certificate.edxml
sign revoked "$samples/status-03.edxml" revoked-certificate.edxml
expect untrusted-ca.edxml untrusted
expect expired-certificate.edxml expired
expect not-yet-valid-certificate.edxml not_yet_valid
expect revoked-certificate.edxml revoked  # with the CRLs configured; valid without them

# KeyInfo names another certificate than the key that signed (G22's instead of H20's).
g22_cert=$(openssl x509 -in "$pki/g22.pem" -outform DER | base64 -w 76)
perl -0pe "s{<X509Certificate>.*?</X509Certificate>}{<X509Certificate>\n$g22_cert\n</X509Certificate>}s" \
    "$here/valid-status.edxml" > "$here/keyinfo-other-certificate.edxml"
expect keyinfo-other-certificate.edxml invalid

# Content changed after signing.
perl -0pe 's{(<edXML:Description>)}{$1 }' "$here/valid-status.edxml" > "$here/whitespace-changed.edxml"
expect whitespace-changed.edxml invalid
perl -0pe 's{(<edXML:ContentTransferEncoded>\s*)(.)}{$1 . ($2 eq "A" ? "B" : "A")}e' \
    "$here/valid-document.edxml" > "$here/tampered-attachment.edxml"
expect tampered-attachment.edxml invalid
# A comment inside signed text: C14N excludes comments, so the signature still holds,
# and the reader must read the whole signed text, not only the part before the comment.
perl -0pe 's{(<edXML:Description>[^<]{5})}{$1<!-- comment -->}' "$here/valid-status.edxml" \
    > "$here/comment-in-signed-text.edxml"
expect comment-in-signed-text.edxml valid

# Wrapping: structure outside or around the signed content.
perl -0pe 's{</edXML:edXMLEnvelope>}{</edXML:edXMLEnvelope><edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader><edXML:StatusCode>06</edXML:StatusCode></edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope>}' \
    "$here/valid-status.edxml" > "$here/second-envelope.edxml"
expect second-envelope.edxml unsafe
perl -0pe 's{</edXML:edXMLHeader>}{<edXML:MessageHeader><edXML:StatusCode>06</edXML:StatusCode></edXML:MessageHeader></edXML:edXMLHeader>}' \
    "$here/valid-status.edxml" > "$here/second-message-header.edxml"
expect second-message-header.edxml unsafe
# The signature moved to the root: the enveloped transform still excludes it, so its
# value still holds; only the location rule catches it.
perl -0e 'local $/; open F, shift; $d = <F>; ($sig) = $d =~ m{(<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">.*</Signature>)}s; $d =~ s{\Q$sig\E}{}; $d =~ s{</edXML>\s*$}{$sig</edXML>\n}; print $d' \
    "$here/valid-status.edxml" > "$here/signature-moved.edxml"
expect signature-moved.edxml unsafe
# Unsigned content hidden in an Object inside the signature.
with_template "$samples/status-03.edxml" \
    "$(signed_info "$(reference "")")<Object><edXML:MessageHeader xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXML:StatusCode>06</edXML:StatusCode></edXML:MessageHeader></Object>" \
    "$work/t.xml"
xmlsec_sign "$work/t.xml" object-in-signature.edxml
expect object-in-signature.edxml unsafe
# Two signatures.
perl -0pe 's{(<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">.*</Signature>)}{$1$1}s' \
    "$here/valid-status.edxml" > "$here/two-signatures.edxml"
expect two-signatures.edxml unsafe

# SignedInfo that holds cryptographically but says too little, signed by xmlsec1.
with_template "$samples/status-03.edxml" "$(signed_info "$(reference "")$(reference "")")" "$work/t.xml"
xmlsec_sign "$work/t.xml" extra-reference.edxml
expect extra-reference.edxml unsafe
xpath='<Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><XPath xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">not(ancestor-or-self::edXML:StatusCode)</XPath></Transform>'
with_template "$samples/status-03.edxml" "$(signed_info "$(reference "" "$xpath")")" "$work/t.xml"
xmlsec_sign "$work/t.xml" "xpath-transform.edxml"
# What the XPath left unsigned can now be changed: 03 becomes 06, the value still holds.
perl -0pe 's{<edXML:StatusCode>03</edXML:StatusCode>}{<edXML:StatusCode>06</edXML:StatusCode>}' \
    "$here/xpath-transform.edxml" > "$work/x" && mv "$work/x" "$here/xpath-transform.edxml"
expect xpath-transform.edxml unsafe
perl -0pe 's{<edXML:MessageHeader>}{<edXML:MessageHeader Id="part">}' "$samples/status-03.edxml" > "$work/p.xml"
with_template "$work/p.xml" "$(signed_info "$(reference "#part")")" "$work/t.xml"
xmlsec_sign "$work/t.xml" reference-to-part.edxml --id-attr:Id MessageHeader
expect reference-to-part.edxml unsafe
perl -0pe 's{<Reference URI="">}{<Reference>}' "$here/valid-status.edxml" > "$here/reference-without-uri.edxml"
expect reference-without-uri.edxml unsafe
perl -0pe 's{<X509Data>}{<RetrievalMethod URI="http://127.0.0.1:9/key"/><X509Data>}' \
    "$here/valid-status.edxml" > "$here/retrieval-method.edxml"
expect retrieval-method.edxml unsafe

# Not signed, and signed the VNPT way.
cp "$samples/status-01.edxml" "$here/unsigned.edxml"
expect unsigned.edxml absent
cp "$samples/variant-nonstandard-signature.edxml" "$here/nonstandard.edxml"
expect nonstandard.edxml nonstandard

echo "wrote $(wc -l < "$here/EXPECTED") attack files into $here"
