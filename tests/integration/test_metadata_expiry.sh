#!/usr/bin/env bash
# IdP metadata that passes its validUntil while a snapshot serves it is
# trusted for nothing, even when the reload that should take it out of
# service is refused (here: a broken client file on disk).  The demo IdP's
# metadata is made to expire a few seconds after start; then a login to LU
# is answered temporarily_unavailable, the selector shows LU as unavailable,
# and before the expiry the same login reaches the IdP.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../e2e/lib.sh"
tmp=$(mktemp -d /tmp/eidgw-mdexp-XXXXXX)
cleanup() { e2e_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/gw.log" 2>/dev/null | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; }

"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
port=$(free_port)
gateway_conf "$src/conf" "$tmp" "$port"
idp_url=$(sed -n 's/^  idp_entity_id: "\(.*\)\/metadata"/\1/p' "$tmp/conf/countries/LU.yaml")
[ -n "$idp_url" ] || fail "no idp_entity_id in LU.yaml"
# valid for 20 seconds (validUntil has whole seconds; room for a slow start under ASan)
/usr/bin/python3 "$src/demo/idp/make-metadata.py" --certs "$tmp/certs/dev" \
  --out "$tmp/certs/dev/demo-idp-metadata.xml" --entity-id "$idp_url/metadata" \
  --base-url "$idp_url" --valid-days 0.0002315 >/dev/null
until_s=$(( $(date +%s) + 20 ))

timeout "$E2E_MAX_S" "$eidgw" --config "$tmp/conf/gateway.yaml" 2> "$tmp/gw.log" & E2E_PIDS+=($!)
gw=$!
wait_listening "$tmp/gw.log" "$port" "$gw" 30 || fail "eidgw did not start"
grep -q '"event":"country.ready".*"LU"' "$tmp/gw.log" || fail "LU not ready at start"

base=http://127.0.0.1:$port
cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
authz="$base/oidc/authorize?client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid&state=s1&nonce=n1&code_challenge=$C&code_challenge_method=S256"

# Before the expiry: LU sends the browser to the IdP (an auto-post form to its SSO URL).
body=$(curl -s "$authz&country=LU")
case "$body" in *"$idp_url"*SAMLRequest*) ;; *) fail "LU does not serve before expiry" ;; esac
pass "before validUntil: the login is sent to the IdP"

# Any reload from now on is refused: a client file that does not parse.
echo "client_id: [broken" > "$tmp/conf/clients/zz-broken.yaml"
kill -HUP "$gw"
for _ in $(seq 1 50); do grep -q '"event":"config.reload_refused"' "$tmp/gw.log" && break; sleep 0.1; done
grep -q '"event":"config.reload_refused"' "$tmp/gw.log" || fail "the broken reload was not refused"

while [ "$(date +%s)" -le "$until_s" ]; do sleep 0.5; done
sleep 1.5
r=$(curl -s -o /dev/null -w '%{redirect_url}' "$authz&country=LU")
case "$r" in
  "http://127.0.0.1:8090/callback?error=temporarily_unavailable"*"state=s1"*) ;;
  *) fail "login to LU with expired metadata: $r" ;;
esac
grep -q 'past its validUntil' "$tmp/gw.log" || fail "the log does not say why"
pass "after validUntil: temporarily_unavailable, and the log says why"

page=$(curl -s -L -c "$tmp/jar" -b "$tmp/jar" "$authz")
printf %s "$page" | grep -q 'class="opt off"><input type="radio" name="country" id="c-LU"' ||
  fail "the selector still offers LU"
pass "after validUntil: the selector shows LU as unavailable"
