#!/bin/bash
# Independent check of our XML signatures: the xmlsec1 command-line tool
# (libxmlsec1 1.2.37, OpenSSL backend) verifies a Response signed by
# saml_sig_sign_enveloped (ECDSA-SHA256 on brainpoolP256r1, exclusive c14n,
# enveloped) that also carries an EncryptedAssertion made by
# saml_encrypt_element.  The fixture is the fuzz seed
# tests/fuzz/corpus/fuzz_saml_xml/signed-encrypted-bp256.xml, written by our
# code with the test key tests/data/testvectors/generated/keys/brainpoolP256r1.
# The unit test saml/test_xmldsig does the same on freshly signed documents
# (P-256 and brainpoolP256r1); this script keeps the check visible on its own.
# A tampered copy must be refused, so the check can fail.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
doc=$src/tests/fuzz/corpus/fuzz_saml_xml/signed-encrypted-bp256.xml
cert=$src/tests/data/testvectors/generated/keys/brainpoolP256r1.cert.pem

if ! command -v xmlsec1 >/dev/null; then
	echo "xmlsec1 is not installed (Debian package xmlsec1)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl x509 -in "$cert" -pubkey -noout >"$tmp/pub.pem"

verify() {
	xmlsec1 --verify --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response \
	    --pubkey-pem "$tmp/pub.pem" "$1" >"$tmp/log" 2>&1
}

if ! verify "$doc"; then
	echo "FAIL: xmlsec1 does not verify our signature" >&2
	cat "$tmp/log" >&2
	exit 1
fi
grep -q 'SignedInfo References (ok/all): 1/1' "$tmp/log" || {
	echo "FAIL: xmlsec1 did not check exactly one reference" >&2
	cat "$tmp/log" >&2
	exit 1
}
grep -q 'xmldsig-more#ecdsa-sha256' "$doc" || { echo "FAIL: fixture is not ECDSA-SHA256" >&2; exit 1; }

# One changed attribute inside the signed Response: must be refused.
sed 's/Version="2.0"/Version="2.1"/' "$doc" >"$tmp/tampered.xml"
cmp -s "$doc" "$tmp/tampered.xml" && { echo "FAIL: tampering did not change the fixture" >&2; exit 1; }
if verify "$tmp/tampered.xml"; then
	echo "FAIL: xmlsec1 accepted a tampered document" >&2
	exit 1
fi
echo "ok: xmlsec1 verifies our ECDSA-SHA256 enveloped signature and refuses a tampered copy"
