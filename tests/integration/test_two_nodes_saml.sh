#!/usr/bin/env bash
# Two eidgw nodes behind one public URL, sharing a real Redis, with the
# pysaml2 demo IdP: a login whose AuthnRequest was sent by node A and whose
# signed, encrypted SAML Response is posted to node B completes (the code is
# redeemed on A); the same Response replayed to node A is refused.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/../e2e/lib.sh"
tmp=$(mktemp -d /tmp/eidgw-2saml-XXXXXX)
cleanup() { e2e_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
n_ok=0
fail() { echo "FAIL: $*" >&2; for f in a b idp; do tail -n 5 "$tmp/$f.log" >&2 2>/dev/null || true; done; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }
command -v redis-server >/dev/null || fail "redis-server is not installed"

rport=$(free_port); pa=$(free_port); pb=$(free_port); ip=$(free_port)
timeout "$E2E_MAX_S" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$tmp" --daemonize no > "$tmp/redis.log" 2>&1 &
E2E_PIDS+=($!)
for _ in $(seq 1 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
gateway_conf "$src/conf" "$tmp" "$pa"
idp_url=http://127.0.0.1:$ip
sed -i -e "s|^\(  idp_entity_id: \).*|\1\"$idp_url/metadata\"|" "$tmp/conf/countries/LU.yaml"
sed -i -e "s|^\(  backend: \)lmdb|\1redis\n  redis_url: \"redis://127.0.0.1:$rport\"|" \
  -e "/^  path: ..\/var\/store/d" -e "/^  lmdb_map_size/d" "$tmp/conf/gateway.yaml"
/usr/bin/python3 "$src/demo/idp/make-metadata.py" --certs "$tmp/certs/dev" \
  --out "$tmp/certs/dev/demo-idp-metadata.xml" --entity-id "$idp_url/metadata" --base-url "$idp_url" >/dev/null
# node B: same public URL and keys, its own port and audit log
sed -e "s|^\(  listen: \).*|\1\"127.0.0.1:$pb\"|" -e "s|^\(  path: \.\./var/audit\)|\1-b|" \
  "$tmp/conf/gateway.yaml" > "$tmp/conf/b.yaml"
"$eidgw" --check-config "$tmp/conf/b.yaml" >/dev/null || fail "config"

timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/gateway.yaml" 2> "$tmp/a.log" & E2E_PIDS+=($!)
wait_listening "$tmp/a.log" "$pa" "$!" 30 || fail "node A did not start"
timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/b.yaml" 2> "$tmp/b.log" & E2E_PIDS+=($!)
wait_listening "$tmp/b.log" "$pb" "$!" 30 || fail "node B did not start"
timeout "$E2E_MAX_S" /usr/bin/python3 "$src/demo/idp/idp.py" --listen "127.0.0.1:$ip" \
  --entity-id "$idp_url/metadata" --certs "$tmp/certs/dev" \
  --metadata-file "$tmp/certs/dev/demo-idp-metadata.xml" \
  --sp-metadata-url "http://127.0.0.1:$pa/saml/metadata" > "$tmp/idp.log" 2>&1 & E2E_PIDS+=($!)
wait_http "$idp_url/healthz" 30 "$!" || fail "demo IdP did not start"

A=http://127.0.0.1:$pa B=http://127.0.0.1:$pb
cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
q="client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid%20profile&state=s2&nonce=n2&code_challenge=$C&code_challenge_method=S256&country=LU"

mapfile -t start < <(/usr/bin/python3 "$here/saml_browser.py" start "$A/oidc/authorize?$q")
[ "${#start[@]}" = 3 ] || fail "no AuthnRequest form from node A"
mapfile -t answer < <(/usr/bin/python3 "$here/saml_browser.py" idp "${start[0]}" "${start[1]}" "${start[2]}" anna high)
[ "${#answer[@]}" = 3 ] || fail "no Response from the IdP"
[ "${answer[0]}" = "$A/saml/acs" ] || fail "Response addressed to ${answer[0]}"
post_acs() { # BASE -> prints the status and the Location
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --data-urlencode "SAMLResponse=${answer[1]}" \
    --data-urlencode "RelayState=${answer[2]}" "$1/saml/acs"
}
out=$(post_acs "$B")
case "$out" in "303 http://127.0.0.1:8090/callback?code="*"&state=s2&iss="*) ;; *) fail "ACS on B: $out" ;; esac
code=$(printf %s "$out" | sed 's/.*code=\([^&]*\).*/\1/')
tok=$(curl -s -u demo-service:demo-service-secret-change-me-0123456789 \
  -d "grant_type=authorization_code&code=$code&redirect_uri=$cb&code_verifier=$V" "$A/oidc/token")
acr=$(printf %s "$tok" | jq -r .id_token | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .acr || true)
[ "$acr" = "http://eidas.europa.eu/LoA/high" ] || fail "token on A: $tok"
grep -q '"event":"saml.response_accepted"' "$tmp/b.log" || fail "B did not validate the Response"
pass "AuthnRequest from A, Response to B, code redeemed on A (acr high)"

out=$(post_acs "$A")
[ "${out%% *}" = 400 ] || fail "Response replayed to A: $out"
pass "the same Response replayed to node A is refused"

# A third node whose LU is configured for substantial at most: an IdP that
# asserts high is not believed (server_error, EIDGW_E_LOA_ABOVE_COUNTRY).
pc=$(free_port)
mkdir -p "$tmp/confc"
cp -r "$tmp/conf/countries" "$tmp/conf/clients" "$tmp/confc/"
sed -i 's/^max_loa: .*/max_loa: substantial/' "$tmp/confc/countries/LU.yaml"
sed -e "s|^\(  listen: \).*|\1\"127.0.0.1:$pc\"|" -e "s|^\(  path: \.\./var/audit\)|\1-c|" \
  "$tmp/conf/gateway.yaml" > "$tmp/confc/gateway.yaml"
for f in "$tmp"/conf/*; do [ -e "$tmp/confc/${f##*/}" ] || cp -r "$f" "$tmp/confc/"; done
timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/confc/gateway.yaml" 2> "$tmp/c.log" & E2E_PIDS+=($!)
wait_listening "$tmp/c.log" "$pc" "$!" 30 || fail "node C did not start"
mapfile -t start < <(/usr/bin/python3 "$here/saml_browser.py" start \
  "$A/oidc/authorize?${q/state=s2/state=s3}&acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Flow")
[ "${#start[@]}" = 3 ] || fail "no AuthnRequest form from node A (second login)"
mapfile -t answer < <(/usr/bin/python3 "$here/saml_browser.py" idp "${start[0]}" "${start[1]}" "${start[2]}" anna high)
[ "${#answer[@]}" = 3 ] || fail "no Response from the IdP (second login)"
out=$(post_acs "http://127.0.0.1:$pc")
case "$out" in "303 http://127.0.0.1:8090/callback?error=server_error"*"state=s3"*) ;; *) fail "ACS on C: $out" ;; esac
grep -q 'EIDGW_E_LOA_ABOVE_COUNTRY' "$tmp/c.log" || fail "node C does not log why"
pass "a Response asserting more than the country's max_loa is refused (server_error)"
echo "$n_ok passed, 0 failed"
