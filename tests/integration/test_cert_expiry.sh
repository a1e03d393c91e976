#!/usr/bin/env bash
# Certificates the configuration names are checked for validity at start
# (and on every reload): an expired one is a warning (keys.cert_expired),
# one that expires within 30 days a notice (keys.cert_expiring), each with
# the configuration key, which key or country, and notAfter.  Both are
# re-issued here for their own keys with python3-cryptography.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../e2e/lib.sh"
tmp=$(mktemp -d /tmp/eidgw-certexp-XXXXXX)
cleanup() { e2e_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/gw.log" 2>/dev/null | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; }

d=$tmp/certs/dev
"$src/certs/mkdev.sh" "$d" >/dev/null
reissue() { # name days_from_now_for_notAfter
  /usr/bin/python3 - "$d/$1.key" "$d/$1.crt" "$2" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
now = datetime.datetime.now(datetime.timezone.utc)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eidgw test " + sys.argv[1])])
crt = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
       .public_key(key.public_key()).serial_number(x509.random_serial_number())
       .not_valid_before(now - datetime.timedelta(days=400))
       .not_valid_after(now + datetime.timedelta(days=float(sys.argv[3])))
       .sign(key, hashes.SHA256()))
open(sys.argv[2], "wb").write(crt.public_bytes(serialization.Encoding.PEM))
PY
}
reissue saml-signing 5
reissue demo-idp-metadata-signing -1
port=$(free_port)
gateway_conf "$src/conf" "$tmp" "$port"
idp_url=$(sed -n 's/^  idp_entity_id: "\(.*\)\/metadata"/\1/p' "$tmp/conf/countries/LU.yaml")
/usr/bin/python3 "$src/demo/idp/make-metadata.py" --certs "$d" --out "$d/demo-idp-metadata.xml" \
  --entity-id "$idp_url/metadata" --base-url "$idp_url" >/dev/null

timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/gateway.yaml" 2> "$tmp/gw.log" & E2E_PIDS+=($!)
gw=$!
wait_listening "$tmp/gw.log" "$port" "$gw" 30 || fail "eidgw did not start"
grep '"event":"keys.cert_expiring"' "$tmp/gw.log" | grep -q '"certificate":"keys.saml_signing"' ||
  fail "no keys.cert_expiring for keys.saml_signing"
grep '"event":"keys.cert_expired"' "$tmp/gw.log" |
  grep '"certificate":"country.saml.metadata_signing_cert"' | grep -q '"which":"LU"' ||
  fail "no keys.cert_expired for LU's metadata signer"
grep '"event":"keys.cert_expired"' "$tmp/gw.log" | grep -q '"not_after":"20[0-9-]*T' ||
  fail "notAfter missing"
pass "start: expired and expiring certificates are named in the log"
m=$(curl -s "http://127.0.0.1:$port/metrics")
now=$(date +%s)
sig=$(printf '%s\n' "$m" | sed -n 's/^eidgw_certificate_not_after_seconds{certificate="keys.saml_signing",which="[^"]*"} \([0-9]*\)$/\1/p')
lu=$(printf '%s\n' "$m" | sed -n 's/^eidgw_certificate_not_after_seconds{certificate="country.saml.metadata_signing_cert",which="LU"} \([0-9]*\)$/\1/p')
[ -n "$sig" ] && [ -n "$lu" ] || fail "no certificate gauges in /metrics"
[ $((sig - now)) -gt $((4 * 86400)) ] && [ $((sig - now)) -lt $((6 * 86400)) ] || fail "saml_signing notAfter $sig"
[ "$lu" -lt "$now" ] || fail "LU signer notAfter $lu not in the past"
pass "/metrics: eidgw_certificate_not_after_seconds per certificate"
n0=$(grep -c '"event":"keys.cert_expired"' "$tmp/gw.log")
kill -HUP "$gw"
for _ in $(seq 1 50); do grep -q '"event":"config.reloaded"' "$tmp/gw.log" && break; sleep 0.1; done
grep -q '"event":"config.reloaded"' "$tmp/gw.log" || fail "no reload"
sleep 0.2
[ "$(grep -c '"event":"keys.cert_expired"' "$tmp/gw.log")" -gt "$n0" ] || fail "not checked again on reload"
pass "reload: checked again"
