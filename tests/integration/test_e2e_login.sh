#!/usr/bin/env bash
# The whole login in a real browser: headless Chromium (Debian's chromium,
# driven by playwright-core) through the demo service, eidgw's country
# selector, the pysaml2 demo IdP and back (tests/e2e/login.mjs): a login
# with acr high, one with the default LoA, Cancel -> access_denied, and a
# LoA below the request -> an error at the service.
#
# Starts eidgw, the demo IdP and the demo service on free loopback ports
# from a throwaway copy of conf/ (LU points at the demo IdP; encryption
# required), always stops them, keeps screenshots in
# $EIDGW_BINARY_DIR/e2e-artifacts/, prints "N passed, N failed".
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/../e2e/lib.sh"
e2edir=$(cd "$here/../e2e" && pwd)

tmp=$(mktemp -d /tmp/eidgw-e2e-XXXXXX)
artifacts=$bindir/e2e-artifacts
cleanup() {
  e2e_cleanup
  if [ -d "$artifacts" ]; then
    for f in eidgw idp service; do [ -f "$tmp/$f.log" ] && cp "$tmp/$f.log" "$artifacts/$f.log"; done
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

notyet() { echo "not yet: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ -x "$eidgw" ] || notyet "eidgw binary missing at $eidgw"
[ -x /usr/bin/chromium ] || notyet "/usr/bin/chromium missing (scripts/install-deps.sh test)"
/usr/bin/python3 -c 'import saml2, lxml, cryptography' 2>/dev/null || notyet "python3-pysaml2 missing"
npm_ready "$e2edir" || notyet "npm ci failed in tests/e2e"
npm_ready "$src/demo/service" || notyet "npm ci failed in demo/service"
rm -rf "$artifacts"
mkdir -p "$artifacts"

gw=$(free_port); idp=$(free_port); svc=$(free_port)
gw_url=http://127.0.0.1:$gw; idp_url=http://127.0.0.1:$idp; svc_url=http://127.0.0.1:$svc
idp_entity=$idp_url/metadata

"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
gateway_conf "$src/conf" "$tmp" "$gw"
lu=$tmp/conf/countries/LU.yaml
sed -i -e "s|^\(  idp_entity_id: \).*|\1\"$idp_entity\"|" \
       -e "s|^\(  require_encryption: \).*|\1true|" "$lu"
grep -q "metadata_signing_cert" "$lu" ||
  sed -i -e "s|^\(  metadata_file: .*\)$|\1\n  metadata_signing_cert: ../certs/dev/demo-idp-metadata-signing.crt|" "$lu"
sed -i -e "s|http://127.0.0.1:8090/callback|$svc_url/callback|" "$tmp/conf/clients/"*.yaml
/usr/bin/python3 "$src/demo/idp/make-metadata.py" --certs "$tmp/certs/dev" \
  --out "$tmp/certs/dev/demo-idp-metadata.xml" --entity-id "$idp_entity" --base-url "$idp_url" >/dev/null
"$eidgw" --check-config "$tmp/conf/gateway.yaml" > "$tmp/check.out" 2>&1 \
  || { cat "$tmp/check.out" >&2; notyet "the e2e configuration does not validate"; }

timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/gateway.yaml" 2> "$tmp/eidgw.log" &
E2E_PIDS+=($!)
{ wait_listening "$tmp/eidgw.log" "$gw" "$!" 30 && wait_http "$gw_url/readyz" 30 "$!"; } ||
  { tail -n 30 "$tmp/eidgw.log" >&2; notyet "eidgw did not start on $gw_url"; }
for route in /saml/metadata /.well-known/openid-configuration /oidc/jwks; do
  [ "$(http_status "$gw_url$route")" = 200 ] || notyet "route $route missing (GET $gw_url$route)"
done

timeout "$E2E_MAX_S" /usr/bin/python3 "$src/demo/idp/idp.py" --listen "127.0.0.1:$idp" --entity-id "$idp_entity" \
  --certs "$tmp/certs/dev" --metadata-file "$tmp/certs/dev/demo-idp-metadata.xml" \
  --sp-metadata-url "$gw_url/saml/metadata" --sp-metadata-ca "$tmp/certs/dev/ca.crt" 2> "$tmp/idp.log" &
E2E_PIDS+=($!)
{ wait_listening "$tmp/idp.log" "$idp" "$!" 20 && wait_http "$idp_url/healthz" 20 "$!"; } ||
  { cat "$tmp/idp.log" >&2; notyet "demo IdP did not start on $idp_url"; }
grep -q '"sp_metadata.loaded"' "$tmp/idp.log" || { cat "$tmp/idp.log" >&2; notyet "demo IdP could not load/verify $gw_url/saml/metadata"; }

timeout "$E2E_MAX_S" node "$src/demo/service/server.mjs" --port "$svc" --issuer "$gw_url" \
  --client-config "$tmp/conf/clients/demo-service.yaml" 2> "$tmp/service.log" &
E2E_PIDS+=($!)
{ wait_listening "$tmp/service.log" "$svc" "$!" 20 && wait_http "$svc_url/healthz" 20 "$!"; } ||
  { cat "$tmp/service.log" >&2; notyet "demo service did not start on $svc_url"; }

# 1. The demo IdP on its own (it refuses what it must; its answers read by
#    xmlsec1 with the gateway's key), then 2. the browser.
set +e
timeout 120 /usr/bin/python3 "$e2edir/idp_selftest.py" "$idp_url" "$gw_url/saml/metadata" "$tmp/certs/dev" \
  > "$tmp/selftest.out" 2>&1
rc1=$?
grep -v ' passed, .* failed$' "$tmp/selftest.out"
# TMPDIR: Chromium's throwaway profile lands in $tmp, removed by the trap
# even when node is killed.
SERVICE=$svc_url EIDGW=$gw_url IDP=$idp_url ARTIFACTS=$artifacts TMPDIR=$tmp \
  timeout 300 node "$e2edir/login.mjs" > "$tmp/login.out" 2>&1
rc2=$?
grep -v ' passed, .* failed$' "$tmp/login.out"
set -e
count() { # FILE FIELD: the passed (1) or failed (2) count of a "N passed, N failed" line, else 0
  local n
  n=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$1" | tail -n1 | cut -d' ' -f"$2")
  echo "${n:-0}"
}
p=$(( $(count "$tmp/selftest.out" 1) + $(count "$tmp/login.out" 1) ))
f=$(( $(count "$tmp/selftest.out" 2) + $(count "$tmp/login.out" 2) ))
rc=0
if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ]; then
  rc=1
  [ "$f" -gt 0 ] || f=1   # a script that died before counting is a failure
fi
echo "$p passed, $f failed"
if [ $rc -ne 0 ]; then
  for n in eidgw idp service; do echo "--- $n log (last 25 lines) ---" >&2; tail -n 25 "$tmp/$n.log" >&2; done
fi
echo "screenshots and logs: $artifacts"
exit $rc
