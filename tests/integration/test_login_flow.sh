#!/usr/bin/env bash
# The gateway's login glue over real HTTP (curl), with the test-auto plugin
# connector loaded from disk: transaction binding (cookie, state), the
# country selector (CSRF, greyed countries, language), single use of a
# transaction, LoA mapping, and the error paths that must never redirect.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
tmp=$(mktemp -d /tmp/eidgw-login-XXXXXX)
gw=
rd=
cleanup() {
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  [ -n "$rd" ] && kill -9 "$rd" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
n_ok=0
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/log" 2>/dev/null | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }

mkdir -p "$tmp/certs"
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
cp -r "$src/conf" "$tmp/conf"
rm -f "$tmp/conf/countries/"*.yaml
ta() { # code name max_loa asserted_loa
  cat > "$tmp/conf/countries/$1.yaml" <<YAML
country: $1
name: "$2"
enabled: true
connector: test-auto
max_loa: $3
plugin_settings:
  i_understand_this_is_for_tests: true
  person_identifier: $1/$1/TEST-0001
  family_name: Peeters
  given_name: Anna
  birth_date: 1990-04-01
  loa: $4
YAML
}
ta BE "Test high (BE)" high high
ta NL "Test substantial (NL)" substantial substantial
ta FI "Test low (FI)" low low
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i -e "s/^\(  listen: \).*/\1127.0.0.1:$port/" -e "s|^\(  public_url: \).*|\1http://127.0.0.1:$port|" \
  -e 's/^\(  backend: \)lmdb/\1memory/' \
  -e "s|^clients_dir:|plugins_dir: $build/connectors\nclients_dir:|" "$tmp/conf/gateway.yaml"

"$bin" --config "$tmp/conf/gateway.yaml" 2> "$tmp/log" &
gw=$!
for _ in $(seq 1 100); do
  grep -q '"event":"startup.listening"' "$tmp/log" && break; kill -0 "$gw" || fail "eidgw died"; sleep 0.1
done
grep -q '"event":"startup.listening"' "$tmp/log" || fail "not listening"
base=http://127.0.0.1:$port
cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
authz="$base/oidc/authorize?client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid%20profile&state=st-1&nonce=n-1&code_challenge=$C&code_challenge_method=S256"
loc() { curl -s -o /dev/null -w '%{redirect_url}' "$@"; }
# Where a page that navigates by itself (meta refresh) sends the browser; its status must be 200.
refresh_of() {
  curl -s -o "$tmp/refresh.html" -w '%{http_code}' "$@" > "$tmp/refresh.st"
  [ "$(cat "$tmp/refresh.st")" = 200 ] || { echo "status $(cat "$tmp/refresh.st")"; return 0; }
  sed -n 's/.*http-equiv="refresh" content="0;url=\([^"]*\)".*/\1/p' "$tmp/refresh.html" | sed 's/&amp;/\&/g'
}
code_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# 1. Preselected country: straight to the connector and back with a code.
r1=$(loc -c "$tmp/jar1" "$authz&country=BE")
case "$r1" in "$base/login/return?state="*) ;; *) fail "country=BE did not go to the connector: $r1" ;; esac
r2=$(loc -b "$tmp/jar1" "$r1")
case "$r2" in "http://127.0.0.1:8090/callback?code="*"&state=st-1&iss=http%3A%2F%2F127.0.0.1%3A"*) ;; *) fail "no code redirect: $r2" ;; esac
code=$(printf %s "$r2" | sed 's/.*code=\([^&]*\).*/\1/')
tok=$(curl -s -u demo-service:demo-service-secret-change-me-0123456789 \
  -d "grant_type=authorization_code&code=$code&redirect_uri=$cb&code_verifier=$V" "$base/oidc/token")
printf %s "$tok" | jq -e '.id_token and .access_token' >/dev/null || fail "token: $tok"
acr=$(printf %s "$tok" | jq -r .id_token | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .acr || true)
[ "$acr" = "http://eidas.europa.eu/LoA/high" ] || fail "acr $acr"
pass "preselected country: code, tokens, acr high"

# 2. The connector's return is single use: replaying it finds no transaction.
[ "$(code_of -b "$tmp/jar1" "$r1")" = 400 ] || fail "replayed return accepted"
pass "replayed return refused"

# 2b. HEAD must not do what GET does: a HEAD of the return URL (link checkers, prefetch)
#     would consume the transaction and mint a code in its Location header.
r1=$(loc -c "$tmp/jar1b" "$authz&country=BE")
[ "$(code_of -I -b "$tmp/jar1b" "$r1")" = 405 ] || fail "HEAD of the connector return was served"
[ "$(code_of -I "$authz&country=BE")" = 405 ] || fail "HEAD of the authorization endpoint was served"
r2=$(loc -b "$tmp/jar1b" "$r1")
case "$r2" in *"code="*) ;; *) fail "the login did not survive a HEAD of its return: $r2" ;; esac
[ "$(code_of -I "$base/login/select")" = 400 ] || fail "HEAD of the selector (no cookie) not answered like GET"
pass "HEAD refused where GET opens or finishes a login"

# 3. Without country: the selector, bound to the browser's cookie.
r=$(loc -c "$tmp/jar2" "$authz&acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Fsubstantial&ui_locales=nl")
[ "$r" = "$base/login/select" ] || fail "no selector redirect: $r"
curl -s -b "$tmp/jar2" "$base/login/select" > "$tmp/sel.html"
grep -q '<html lang="nl">' "$tmp/sel.html" || fail "ui_locales=nl not honoured"
grep -q 'id="c-BE" value="BE">' "$tmp/sel.html" || fail "BE not selectable"
grep -q 'id="c-NL" value="NL">' "$tmp/sel.html" || fail "NL (substantial) not selectable"
grep -q 'id="c-FI" value="FI" disabled' "$tmp/sel.html" || fail "FI (low) not greyed for a substantial request"
grep -q 'name="csrf"' "$tmp/sel.html" || fail "no CSRF token"
[ "$(code_of "$base/login/select")" = 400 ] || fail "selector without cookie"
pass "selector: language, greyed country below the LoA, cookie required"

csrf=$(grep -o 'name="csrf" value="[^"]*"' "$tmp/sel.html" | sed 's/.*value="//; s/"$//')
[ "$(code_of -b "$tmp/jar2" -d "country=NL" "$base/login/select")" = 403 ] || fail "POST without CSRF token"
[ "$(code_of -b "$tmp/jar2" -d "csrf=wrong&country=NL" "$base/login/select")" = 403 ] || fail "POST with a wrong token"
curl -s -b "$tmp/jar2" -d "csrf=$csrf&lang=fr" "$base/login/select" > "$tmp/sel2.html"
grep -q 'role="alert"' "$tmp/sel2.html" || fail "no error for a missing choice"
grep -q '<html lang="fr">' "$tmp/sel2.html" || fail "language lost on re-display"
# The selector's form-action is 'self' and browsers hold the form's redirects to it:
# the start is a page that navigates itself, not a 303 (Chromium blocked the chain).
r=$(refresh_of -b "$tmp/jar2" -d "csrf=$csrf&country=NL" "$base/login/select")
case "$r" in "$base/login/return?state="*) ;; *) fail "selector POST did not start the login: $r" ;; esac
r2=$(loc -b "$tmp/jar2" "$r")
case "$r2" in *"code="*) ;; *) fail "NL login did not complete: $r2" ;; esac
pass "selector POST: CSRF enforced, choice required, login completes"

# 3b. Once the service got an error for this login, the selector cannot start it again
#     (one authorization response per request).
r=$(loc -c "$tmp/jar4" "$authz")
[ "$r" = "$base/login/select" ] || fail "no selector redirect: $r"
curl -s -b "$tmp/jar4" "$base/login/select" > "$tmp/sel4.html"
csrf4=$(grep -o 'name="csrf" value="[^"]*"' "$tmp/sel4.html" | sed 's/.*value="//; s/"$//')
r=$(refresh_of -b "$tmp/jar4" -d "csrf=$csrf4&country=XX" "$base/login/select")
case "$r" in "http://127.0.0.1:8090/callback?error=invalid_request"*"state=st-1"*"iss="*) ;; *) fail "unknown country: $r" ;; esac
out=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$tmp/jar4" -d "csrf=$csrf4&country=NL" "$base/login/select")
[ "$out" = "400 " ] || fail "a login answered with an error was started again: $out"
pass "selector: a login ended with an error cannot be restarted"

# 3c. The same in a real browser (when Chromium and playwright-core are there): choosing a
#     country on the selector reaches the service with a code.
pw=$src/tests/e2e/node_modules/playwright-core/index.mjs
browser_logins=0
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && command -v node >/dev/null && [ -f "$pw" ]; then
  cat > "$tmp/sel.mjs" <<JS
import { chromium } from '$pw';
const b = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium' });
const p = await b.newPage();
const seen = [];
p.on('request', r => seen.push(r.url()));
await p.goto(process.argv[2]);
await p.check('#c-NL');
await p.click('button[type=submit]');
for (let i = 0; i < 50 && !seen.some(u => u.includes('/callback?code=')); i++) await p.waitForTimeout(100);
await b.close();
console.log(seen.some(u => u.startsWith('http://127.0.0.1:8090/callback?code=')) ? 'reached' : 'blocked: ' + seen.join(' '));
JS
  out=$(timeout 60 node "$tmp/sel.mjs" "$authz" 2>&1 || true)
  [ "$out" = reached ] || fail "Chromium: selector choice did not reach the service: $out"
  pass "Chromium: selector choice of a redirecting connector reaches the service"
  browser_logins=1
else
  echo "skip: Chromium check (no chromium, node or playwright-core)"
fi

# 4. LoA: a country whose scheme asserts less than asked is refused to the service.
r=$(loc -c "$tmp/jar3" "$authz&country=FI&acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Fhigh")
case "$r" in *"error=unmet_authentication_requirements"*"state=st-1"*"iss="*) ;; *) fail "LoA too high for FI: $r" ;; esac
pass "country below the requested LoA: unmet_authentication_requirements"

# 5. Errors that must not redirect: unknown client, unregistered redirect_uri.
out=$(curl -s -i "$base/oidc/authorize?client_id=nobody&redirect_uri=$cb&response_type=code&scope=openid&code_challenge=$C&code_challenge_method=S256&state=x")
printf %s "$out" | head -1 | grep -q ' 400' || fail "unknown client not 400"
printf %s "$out" | grep -qi '^location:' && fail "unknown client redirected"
out=$(curl -s -i "${authz/$cb/https%3A%2F%2Fevil.example%2Fcb}")
printf %s "$out" | grep -qi '^location:' && fail "unregistered redirect_uri redirected"
pass "unknown client and altered redirect_uri: error page, no redirect"

# 6. ACS with an unknown RelayState: refused, no redirect.
out=$(curl -s -i -d "SAMLResponse=PHg%2B&RelayState=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$base/saml/acs")
printf %s "$out" | head -1 | grep -q ' 400' || fail "ACS with unknown RelayState not 400"
printf %s "$out" | grep -qi '^location:' && fail "ACS redirected without a transaction"
pass "ACS without an open login: 400"

# 7. prompt=none cannot be honoured (every eIDAS login is interactive).
r=$(loc "$authz&prompt=none")
case "$r" in *"error=login_required"*) ;; *) fail "prompt=none: $r" ;; esac
pass "prompt=none: login_required"

# 8. Metrics saw the logins.
grep -q "eidgw_logins_total{outcome=\"success\"} $((3 + browser_logins))" <<<"$(curl -s "$base/metrics")" || fail "login metrics"
pass "metrics count the logins"

# 9. What a failed client claims to be cannot break the audit append: a client_id that is
#    too long or holds control characters is a plain 401, not a 503 and an audit alarm.
long=$(head -c 2000 /dev/zero | tr '\0' a)
for cid in "$long" "a%01b"; do
  for ep in token par; do
    st=$(code_of -d "grant_type=authorization_code&code=x&client_id=$cid&client_secret=y" "$base/oidc/$ep")
    [ "$st" = 401 ] || fail "bad client_id at $ep: $st"
  done
done
grep -q '"event":"audit.append_failed"' "$tmp/log" && fail "a bad client_id broke the audit append"
pass "client_id too long or with control characters: 401, audit intact"

# 10. private_key_jwt may leave out client_id (RFC 7523): tokens_issued still names the client.
assertion() {
  /usr/bin/python3 - "$tmp/certs/dev/demo-client.key" "$base" "$tmp/certs/dev/demo-client.jwks.json" <<'PY'
import base64, json, secrets, sys, time
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
kid = json.load(open(sys.argv[3]))["keys"][0].get("kid")
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
hdr = {"alg": "ES256", "typ": "JWT"}
if kid:
    hdr["kid"] = kid
now = int(time.time())
claims = {"iss": "demo-par-jwt", "sub": "demo-par-jwt", "aud": sys.argv[2], "iat": now,
          "exp": now + 60, "jti": secrets.token_urlsafe(16)}
si = b64(json.dumps(hdr).encode()) + "." + b64(json.dumps(claims).encode())
r, s = decode_dss_signature(key.sign(si.encode(), ec.ECDSA(hashes.SHA256())))
print(si + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
}
jcb=http://127.0.0.1:8090/callback-jwt
AT=urn:ietf:params:oauth:client-assertion-type:jwt-bearer
st=$(curl -s -o "$tmp/par.json" -w '%{http_code}' --data-urlencode "client_id=demo-par-jwt" \
  --data-urlencode "client_assertion_type=$AT" --data-urlencode "client_assertion=$(assertion)" \
  --data-urlencode "redirect_uri=$jcb" --data-urlencode "response_type=code" \
  --data-urlencode "scope=openid" --data-urlencode "state=s-jwt" --data-urlencode "nonce=n" \
  --data-urlencode "country=BE" --data-urlencode "code_challenge=$C" \
  --data-urlencode "code_challenge_method=S256" "$base/oidc/par")
[ "$st" = 201 ] || fail "PAR (private_key_jwt): $st $(cat "$tmp/par.json")"
ru=$(jq -r .request_uri "$tmp/par.json")
r1=$(loc -c "$tmp/jar5" -G --data-urlencode "client_id=demo-par-jwt" --data-urlencode "request_uri=$ru" "$base/oidc/authorize")
case "$r1" in "$base/login/return?state="*) ;; *) fail "PAR login did not go to the connector: $r1" ;; esac
r2=$(loc -b "$tmp/jar5" "$r1")
case "$r2" in "$jcb?code="*) ;; *) fail "PAR login: no code: $r2" ;; esac
code=$(printf %s "$r2" | sed 's/.*code=\([^&]*\).*/\1/')
tok=$(curl -s --data-urlencode "client_assertion_type=$AT" --data-urlencode "client_assertion=$(assertion)" \
  --data-urlencode "grant_type=authorization_code" --data-urlencode "code=$code" \
  --data-urlencode "redirect_uri=$jcb" --data-urlencode "code_verifier=$V" "$base/oidc/token")
printf %s "$tok" | jq -e '.id_token' >/dev/null || fail "token without client_id: $tok"
grep -h '"event":"tokens_issued"' "$tmp"/var/audit/audit-*.log > "$tmp/ti.jsonl" || fail "no tokens_issued records"
tail -n 1 "$tmp/ti.jsonl" | jq -e '.f.client == "demo-par-jwt"' >/dev/null ||
  fail "tokens_issued without the client: $(tail -n 1 "$tmp/ti.jsonl")"
# the record carries what was handed out: the hashes of these very tokens, the ID token's sub
at_sha=$(printf %s "$tok" | jq -j .access_token | sha256sum | cut -d' ' -f1)
it_sha=$(printf %s "$tok" | jq -j .id_token | sha256sum | cut -d' ' -f1)
sub=$(printf %s "$tok" | /usr/bin/python3 -c 'import base64, json, sys
p = json.load(sys.stdin)["id_token"].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sub"])')
tail -n 1 "$tmp/ti.jsonl" | jq -e --arg a "$at_sha" --arg i "$it_sha" --arg s "$sub" \
  '.f.access_token_sha256 == $a and .f.id_token_sha256 == $i and .f.sub == $s and
   .f.token_type == "Bearer" and .f.scope == "openid"' >/dev/null ||
  fail "tokens_issued does not match the tokens: $(tail -n 1 "$tmp/ti.jsonl")"
pass "private_key_jwt without client_id: tokens_issued names the client and the issued tokens"

kill -TERM "$gw"; wait "$gw" || fail "unclean stop"; gw=

# 11. A store that cannot answer is not an expired login: the ACS and the connector return
#     say "temporarily unavailable" (503), not "expired or unknown" (400). Same port, Redis store.
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  rport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --daemonize no > "$tmp/redis.log" 2>&1 &
  rd=$!
  for _ in $(seq 1 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  sed -i -e "s|^\(  backend: \)memory|\1redis\n  redis_url: \"redis://127.0.0.1:$rport\"\n  redis_timeout_ms: 300|" \
    "$tmp/conf/gateway.yaml"
  grep -q "redis_url" "$tmp/conf/gateway.yaml" || fail "could not switch the store to Redis"
  "$bin" --config "$tmp/conf/gateway.yaml" 2>> "$tmp/log" &
  gw=$!
  for _ in $(seq 1 100); do
    [ "$(grep -c '"event":"startup.listening"' "$tmp/log")" -ge 2 ] && break; kill -0 "$gw" || fail "eidgw (redis) died"; sleep 0.1
  done
  h43=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
  [ "$(code_of -d "SAMLResponse=PHg%2B&RelayState=$h43" "$base/saml/acs")" = 400 ] || fail "ACS, store up"
  [ "$(code_of "$base/login/return?state=$h43")" = 400 ] || fail "return, store up"
  kill -9 "$rd"; wait "$rd" 2>/dev/null || true; rd=
  st=$(code_of -d "SAMLResponse=PHg%2B&RelayState=$h43" "$base/saml/acs")
  [ "$st" = 503 ] || fail "ACS with the store down: $st"
  st=$(code_of "$base/login/return?state=$h43")
  [ "$st" = 503 ] || fail "connector return with the store down: $st"
  pass "store down at the ACS and the connector return: 503, not an expired login"
  kill -TERM "$gw"; wait "$gw" || fail "unclean stop (redis)"; gw=
else
  echo "skip: store-down check (no redis-server)"
fi
echo "$n_ok passed, 0 failed"
