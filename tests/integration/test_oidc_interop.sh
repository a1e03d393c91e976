#!/usr/bin/env bash
# eidgw's OpenID Provider against openid-client (npm), an independent relying
# party library: tests/integration/oidc-interop/interop.mjs.
#
# Starts eidgw on a free loopback port with a copy of conf/ whose only
# country, LU, uses the test-only `test-auto` connector plugin (a login
# completes at once with a synthetic citizen), so no browser is needed.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/../e2e/lib.sh"
jsdir=$here/oidc-interop

tmp=$(mktemp -d /tmp/eidgw-oidc-interop-XXXXXX)
cleanup() { e2e_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

notyet() { echo "not yet: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ -x "$eidgw" ] || notyet "eidgw binary missing at $eidgw"
npm_ready "$jsdir" || { echo "0 passed, 1 failed"; exit 1; }
pdir=$(plugins_dir)
[ -f "$pdir/test-auto.so" ] || notyet "connector plugin test-auto.so missing (looked in $bindir)"

acr=http://eidas.europa.eu/LoA/high
code_ttl=5
port=$(free_port)
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
gateway_conf "$src/conf" "$tmp" "$port"
rm -f "$tmp/conf/countries/"*.yaml
cat > "$tmp/conf/countries/LU.yaml" <<EOF
# Test only: the test-auto connector logs a synthetic citizen in at once.
country: LU
name: "Test (LU)"
enabled: true
connector: test-auto
max_loa: high
plugin_settings:
  i_understand_this_is_for_tests: true
  person_identifier: "LU/BE/interop-0001"
  family_name: "Interop"
  given_name: "Tess"
  birth_date: "1970-01-01"
  loa: high
EOF
sed -i -e "s|^\(  code_ttl_s: \).*|\1$code_ttl|" "$tmp/conf/gateway.yaml"
# A client that must use DPoP (RFC 9449 §5.2): demo-service's secret and
# redirect URI, every token request with a proof.
sed -e 's/^client_id:.*/client_id: demo-dpop/' -e 's/^dpop_bound_access_tokens:.*//' \
  "$tmp/conf/clients/demo-service.yaml" > "$tmp/conf/clients/demo-dpop.yaml"
printf 'dpop_bound_access_tokens: true\n' >> "$tmp/conf/clients/demo-dpop.yaml"
printf '\nplugins_dir: %s\n' "$pdir" >> "$tmp/conf/gateway.yaml"
"$eidgw" --check-config "$tmp/conf/gateway.yaml" > "$tmp/check.out" 2>&1 \
  || { cat "$tmp/check.out" >&2; notyet "the test-auto test configuration does not validate"; }

timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/gateway.yaml" 2> "$tmp/eidgw.log" &
E2E_PIDS+=($!)
issuer=http://127.0.0.1:$port
{ wait_listening "$tmp/eidgw.log" "$port" "${E2E_PIDS[0]}" 30 && wait_http "$issuer/readyz" 30 "${E2E_PIDS[0]}"; } ||
  { tail -n 30 "$tmp/eidgw.log" >&2; notyet "eidgw did not start on $issuer"; }
for route in /.well-known/openid-configuration /oidc/jwks; do
  [ "$(http_status "$issuer$route")" = 200 ] || notyet "route $route missing (GET $issuer$route)"
done

secret=$(client_secret "$tmp/conf/clients/demo-service.yaml")
[ -n "$secret" ] || notyet "no client_secret in conf/clients/demo-service.yaml"
c1=$tmp/conf/clients/demo-service.yaml c2=$tmp/conf/clients/demo-par-jwt.yaml
export BASIC_REDIRECT BASIC_ALG JWT_REDIRECT JWT_ALG
BASIC_REDIRECT=$(yaml_first "$c1" redirect_uris) BASIC_ALG=$(yaml_first "$c1" id_token_signed_response_alg)
JWT_REDIRECT=$(yaml_first "$c2" redirect_uris) JWT_ALG=$(yaml_first "$c2" id_token_signed_response_alg)
[ -n "$BASIC_REDIRECT" ] && [ -n "$JWT_REDIRECT" ] || notyet "no redirect_uris in the demo client configs"
set +e
ISSUER=$issuer CERTS=$tmp/certs/dev SECRET=$secret DPOP_CLIENT=demo-dpop COUNTRY=LU EXPECT_ACR=$acr CODE_TTL_S=$code_ttl \
  timeout 300 node "$jsdir/interop.mjs"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "--- eidgw log (last 40 lines; all of it in $bindir/oidc-interop-eidgw.log) ---" >&2
  tail -n 40 "$tmp/eidgw.log" >&2
  cp "$tmp/eidgw.log" "$bindir/oidc-interop-eidgw.log" 2>/dev/null || true
fi
exit $rc
