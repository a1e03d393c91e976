#!/bin/bash
# Interop with an independent SAML implementation (issue 7): Debian's
# python3-pysaml2 (signing and encryption by the xmlsec1 CLI) plays the
# national identity provider.  No network: files in a temporary directory.
#   1. saml/ writes our signed SP metadata and a signed eIDAS AuthnRequest;
#      xmlsec1 --verify accepts both (ECDSA P-256);
#   2. pysaml2 reads the metadata, verifies the AuthnRequest signature and
#      answers with a signed Response (ECDSA-SHA256); saml/ accepts it,
#      extracts the identity, and refuses the same Response as a replay;
#   3. the same with the assertion encrypted (AES-256-GCM, rsa-oaep-mgf1p);
#   4. a pysaml2 Response with its NameID altered after signing is refused;
#   5. our HTTP-Redirect AuthnRequest: detached ECDSA query signature verified
#      and the DEFLATE message read by python3-cryptography / zlib.
set -euo pipefail
SRC=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${EIDGW_BINARY_DIR:?EIDGW_BINARY_DIR not set}
DRIVER=$BIN/tests/saml_test_interop_driver
IDP="/usr/bin/python3 $SRC/tests/integration/pysaml2/idp.py"
KEYS=$SRC/tests/data/saml/keys
WD=$(mktemp -d /tmp/eidgw-pysaml2-XXXXXX)
trap 'rm -rf "$WD"' EXIT

[ -x "$DRIVER" ] || { echo "missing $DRIVER (build the tests first)"; exit 1; }
/usr/bin/python3 -c 'import saml2' || { echo "python3-pysaml2 not installed"; exit 1; }
command -v xmlsec1 >/dev/null || { echo "xmlsec1 not installed"; exit 1; }

check_identity() {
	grep -q '^ACCEPTED issuer=https://idp.pysaml2.test/metadata encrypted='"$1"' loa=http://eidas.europa.eu/LoA/substantial nameid=BE/DE/pysaml2-0042$' "$2"
	grep -qx 'PersonIdentifier=BE/DE/pysaml2-0042' "$2"
	grep -qx 'CurrentFamilyName=Peeters' "$2"
	grep -qx 'CurrentGivenName=Marie' "$2"
	grep -qx 'DateOfBirth=1985-07-14' "$2"
	grep -qx 'REPLAY EIDGW_E_SAML_REPLAY' "$2"
}

echo "== 1. our AuthnRequest and metadata, verified by xmlsec1"
"$DRIVER" request "$WD"
xmlsec1 --verify --pubkey-cert-pem "$KEYS/sp-sign.cert.pem" \
	--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest "$WD/request.xml"
xmlsec1 --verify --pubkey-cert-pem "$KEYS/sp-sign.cert.pem" \
	--id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor "$WD/sp-metadata.xml"

echo "== 2. pysaml2 signed Response"
$IDP --workdir "$WD"
"$DRIVER" validate "$WD" | tee "$WD/out1"
check_identity 0 "$WD/out1"

echo "== 3. pysaml2 signed Response, encrypted assertion"
"$DRIVER" request "$WD"
$IDP --workdir "$WD" --encrypt
"$DRIVER" validate "$WD" enc | tee "$WD/out2"
check_identity 1 "$WD/out2"

echo "== 4. pysaml2 Response altered after signing"
"$DRIVER" request "$WD"
$IDP --workdir "$WD"
sed 's|BE/DE/pysaml2-0042</ns1:NameID>|BE/DE/pysaml2-0043</ns1:NameID>|' "$WD/response.xml" > "$WD/tampered.xml"
cmp -s "$WD/response.xml" "$WD/tampered.xml" && { echo "tampering did not apply"; exit 1; }
base64 -w0 "$WD/tampered.xml" > "$WD/response.b64"
if "$DRIVER" validate "$WD" > "$WD/out3"; then
	cat "$WD/out3"; echo "tampered Response accepted"; exit 1
fi
cat "$WD/out3"
grep -q '^REJECTED EIDGW_E_SAML_SIG_DIGEST' "$WD/out3"
echo "== 5. standard HTTP-Redirect binding checked by independent code"
"$DRIVER" redirect "$WD"
/usr/bin/python3 "$SRC/tests/integration/pysaml2/check_redirect.py" "$WD/redirect.url" \
	"$KEYS/sp-sign.cert.pem" "$(cat "$WD/redirect.id")"
echo "pysaml2 interop: OK"
