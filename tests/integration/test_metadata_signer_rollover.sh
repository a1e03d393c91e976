#!/usr/bin/env bash
# A metadata signer rollover: country.saml.metadata_signing_cert may hold
# several PEM certificates, and metadata signed by any of them is trusted.
#   - metadata signed by a new signer, the file holding only the old one:
#     the country is unavailable (signature refused);
#   - the file holding the old and the new certificate: the country serves;
#   - more than four certificates: the configuration is refused, naming the
#     file and line.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../e2e/lib.sh"
tmp=$(mktemp -d /tmp/eidgw-mdroll-XXXXXX)
cleanup() { e2e_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/gw.log" 2>/dev/null | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; }

d=$tmp/certs/dev
"$src/certs/mkdev.sh" "$d" >/dev/null
cp "$d/demo-idp-metadata-signing.crt" "$tmp/old.crt"
# the new signer: metadata is signed with it from now on
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/demo-idp-metadata-signing.key" 2>/dev/null
chmod 0600 "$d/demo-idp-metadata-signing.key"
openssl req -new -x509 -key "$d/demo-idp-metadata-signing.key" -subj "/CN=eidgw test metadata signer 2" \
  -days 30 -sha256 -out "$d/demo-idp-metadata-signing.crt" 2>/dev/null
cp "$d/demo-idp-metadata-signing.crt" "$tmp/new.crt"
port=$(free_port)
gateway_conf "$src/conf" "$tmp" "$port"
idp_url=$(sed -n 's/^  idp_entity_id: "\(.*\)\/metadata"/\1/p' "$tmp/conf/countries/LU.yaml")
/usr/bin/python3 "$src/demo/idp/make-metadata.py" --certs "$d" --out "$d/demo-idp-metadata.xml" \
  --entity-id "$idp_url/metadata" --base-url "$idp_url" >/dev/null
sed -i "s|^\(  metadata_signing_cert: \).*|\1$tmp/signers.pem|" "$tmp/conf/countries/LU.yaml"

run_gw() { # -> 0 when LU is ready, 1 when unavailable
  : > "$tmp/gw.log"
  timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/gateway.yaml" 2> "$tmp/gw.log" & E2E_PIDS+=($!)
  local pid=$!
  wait_listening "$tmp/gw.log" "$port" "$pid" 30 || fail "eidgw did not start"
  local r=1
  grep -q '"event":"country.ready".*"LU"' "$tmp/gw.log" && r=0
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  return $r
}

cp "$tmp/old.crt" "$tmp/signers.pem"
if run_gw; then fail "metadata signed by an unlisted signer was trusted"; fi
grep -q '"country.unavailable".*"LU"\|"LU".*unavailable' "$tmp/gw.log" || fail "LU not reported unavailable"
pass "only the old signer listed: LU unavailable"

cat "$tmp/old.crt" "$tmp/new.crt" > "$tmp/signers.pem"
run_gw || fail "old + new signer listed, LU not ready"
pass "old and new signer listed: LU serves"

cat "$tmp/old.crt" "$tmp/new.crt" "$tmp/old.crt" "$tmp/new.crt" "$tmp/old.crt" > "$tmp/signers.pem"
if out=$("$eidgw" --check-config "$tmp/conf/gateway.yaml" 2>&1); then fail "five signer certificates accepted"; fi
printf %s "$out" | grep -q "LU.yaml:[0-9][0-9]*: .*more than 4 certificates" || fail "no file:line in: $out"
pass "more than four certificates: refused with file and line"
