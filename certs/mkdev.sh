#!/usr/bin/env bash
# mkdev.sh - makes the development PKI of eidgw (never for production).
#
#   certs/mkdev.sh [OUTDIR]        default OUTDIR: certs/dev next to this script
#
# Idempotent: a file that already exists is kept, so re-running after a partial
# run only fills the gaps, and re-running on a complete folder changes nothing.
# Private keys are written with mode 0600.  certs/dev/ is git-ignored: no
# private key is ever committed.  certs/README.md lists what each file is.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/dev}
days=3650
subj_base="/C=LU/O=eidgw development"

command -v openssl >/dev/null || { echo "mkdev.sh: openssl not found" >&2; exit 1; }
mkdir -p "$out"
chmod 0700 "$out"
cd "$out"
umask 077

log() { printf 'mkdev: %s\n' "$*"; }

# newkey FILE TYPE: TYPE is ec256, rsa3072 or ed25519.
newkey() {
	local f=$1 t=$2
	[ -s "$f" ] && return 0
	case $t in
	ec256)   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	             -pkeyopt ec_param_enc:named_curve -out "$f.tmp" 2>/dev/null ;;
	rsa3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$f.tmp" 2>/dev/null ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$f.tmp" 2>/dev/null ;;
	*) echo "mkdev.sh: unknown key type $t" >&2; exit 1 ;;
	esac
	chmod 0600 "$f.tmp"
	mv "$f.tmp" "$f"
	log "key $f ($t)"
}

# newcert NAME CN [ext]: NAME.key must exist; signs NAME.crt with the demo CA.
newcert() {
	local n=$1 cn=$2 usage=${3:-digitalSignature}
	[ -s "$n.crt" ] && return 0
	openssl req -new -key "$n.key" -subj "$subj_base/CN=$cn" -out "$n.csr" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
	    "$usage" > "$n.ext"
	openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
	    -days "$days" -sha256 -extfile "$n.ext" -out "$n.crt.tmp" 2>/dev/null
	chmod 0644 "$n.crt.tmp"
	mv "$n.crt.tmp" "$n.crt"
	rm -f "$n.csr" "$n.ext"
	log "certificate $n.crt ($cn)"
}

# newsecret FILE: 32 random bytes, base64, one line.
newsecret() {
	local f=$1
	[ -s "$f" ] && return 0
	openssl rand -base64 32 > "$f.tmp"
	chmod 0600 "$f.tmp"
	mv "$f.tmp" "$f"
	log "secret $f"
}

# 1. the demo CA (EC P-256, self-signed)
newkey ca.key ec256
if [ ! -s ca.crt ]; then
	openssl req -new -x509 -key ca.key -subj "$subj_base/CN=eidgw demo CA" -days "$days" \
	    -sha256 -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt.tmp 2>/dev/null
	chmod 0644 ca.crt.tmp
	mv ca.crt.tmp ca.crt
	log "certificate ca.crt (demo CA)"
fi

# 2. the gateway's SAML keys: signing EC P-256, encryption RSA-3072
newkey saml-signing.key ec256
newcert saml-signing "eidgw demo SAML signing"
newkey saml-encryption.key rsa3072
newcert saml-encryption "eidgw demo SAML encryption" "keyEncipherment,dataEncipherment,keyAgreement"

# 3. OIDC ID-token signing keys: RSA-3072 (PS256) and EC P-256 (ES256)
newkey oidc-ps256.key rsa3072
newkey oidc-es256.key ec256

# 4. secrets: the pairwise-subject key and the audit HMAC key
newsecret pairwise.key
newsecret audit-hmac.key

# 5. the audit-log signing key (Ed25519) and its public half for verifiers
newkey audit-signing.key ed25519
[ -s audit-signing.pub ] || { openssl pkey -in audit-signing.key -pubout -out audit-signing.pub;
	chmod 0644 audit-signing.pub; log "public key audit-signing.pub"; }

# 6. the demo national identity provider: SAML signing key and metadata signer
newkey demo-idp.key rsa3072
newcert demo-idp "eidgw demo national IdP"
newkey demo-idp-metadata-signing.key rsa3072
newcert demo-idp-metadata-signing "eidgw demo national IdP metadata signer"

# 7. unsigned placeholder metadata of the demo IdP (the demo IdP may replace it
#    with the metadata it publishes itself; kept when present)
if [ ! -s demo-idp-metadata.xml ]; then
	certb64=$(sed -e '/-----/d' demo-idp.crt | tr -d '\n')
	cat > demo-idp-metadata.xml.tmp <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="http://127.0.0.1:8070/metadata">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>$certb64</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="http://127.0.0.1:8070/sso/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="http://127.0.0.1:8070/sso/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
EOF
	chmod 0644 demo-idp-metadata.xml.tmp
	mv demo-idp-metadata.xml.tmp demo-idp-metadata.xml
	log "metadata demo-idp-metadata.xml (unsigned placeholder)"
fi

# 8. the private_key_jwt demo client: EC P-256 key and its public JWKS (ES256)
newkey demo-client.key ec256
if [ ! -s demo-client.jwks.json ]; then
	# The DER SubjectPublicKeyInfo of a P-256 key ends with the 65-byte
	# uncompressed point 04||x||y; the kid is the RFC 7638 thumbprint.
	openssl pkey -in demo-client.key -pubout -outform DER 2>/dev/null |
	python3 -c '
import base64, hashlib, json, sys
der = sys.stdin.buffer.read()
pt = der[-65:]
assert len(der) == 91 and pt[0] == 4, "unexpected P-256 public key encoding"
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
x, y = b64(pt[1:33]), b64(pt[33:65])
tp = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y}, separators=(",", ":"), sort_keys=True)
kid = b64(hashlib.sha256(tp.encode()).digest())
jwk = {"kty": "EC", "crv": "P-256", "x": x, "y": y, "use": "sig", "alg": "ES256", "kid": kid}
print(json.dumps({"keys": [jwk]}, indent=2))
' > demo-client.jwks.json.tmp
	chmod 0644 demo-client.jwks.json.tmp
	mv demo-client.jwks.json.tmp demo-client.jwks.json
	log "JWKS demo-client.jwks.json"
fi

# The demo CA serial file is not a secret; certificates are world-readable.
chmod 0644 ca.crt ./*.crt 2>/dev/null || true
log "development PKI complete in $out"
