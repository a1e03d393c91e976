#!/usr/bin/env bash
# private_key_jwt with the client's keys at a URL (client.jwks_uri): eidgw
# fetches the JWKS from a real web server when it builds a configuration
# snapshot; a client assertion signed with the matching key (made here with
# python3-cryptography, not with eidgw code) is accepted at PAR.  When the
# URL cannot be fetched on a reload, the last good copy stays in use; when
# it cannot be fetched at start (no copy yet), that client's assertions are
# refused (fail closed) while the gateway serves everyone else; once the
# JWKS is back, a reload restores the client.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
tmp=$(mktemp -d /tmp/eidgw-jwks-XXXXXX)
gw= web=
cleanup() {
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  [ -n "$web" ] && kill -9 "$web" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
n_ok=0
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/log" 2>/dev/null | tail -n 10 >&2; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$tmp/certs" "$tmp/www"
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
cp "$tmp/certs/dev/demo-client.jwks.json" "$tmp/www/jwks.json"
wport=$(free_port)
start_web() {
  (cd "$tmp/www" && exec /usr/bin/python3 -m http.server "$wport" --bind 127.0.0.1 >/dev/null 2>&1) &
  web=$!
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$wport/jwks.json" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "web server did not start"
}
start_web

cp -r "$src/conf" "$tmp/conf"
port=$(free_port)
sed -i -e "s/^\(  listen: \).*/\1127.0.0.1:$port/" -e "s|^\(  public_url: \).*|\1http://127.0.0.1:$port|" \
  -e 's/^\(  backend: \)lmdb/\1memory/' "$tmp/conf/gateway.yaml"
sed -i -e "s|^jwks_file: .*|jwks_uri: \"http://127.0.0.1:$wport/jwks.json\"|" "$tmp/conf/clients/demo-par-jwt.yaml"
grep -q jwks_uri "$tmp/conf/clients/demo-par-jwt.yaml" || fail "could not set jwks_uri"
"$bin" --config "$tmp/conf/gateway.yaml" 2> "$tmp/log" & gw=$!
for _ in $(seq 1 100); do grep -q startup.listening "$tmp/log" && break; kill -0 "$gw" || fail "eidgw died"; sleep 0.1; done
base=http://127.0.0.1:$port

# A client assertion (RFC 7523) signed with the client's EC key, by python3-cryptography.
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
V=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
par() {
  curl -s -o "$tmp/par.json" -w '%{http_code}' \
    --data-urlencode "client_id=demo-par-jwt" \
    --data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
    --data-urlencode "client_assertion=$(assertion)" \
    --data-urlencode "redirect_uri=http://127.0.0.1:8090/callback-jwt" \
    --data-urlencode "response_type=code" --data-urlencode "scope=openid" \
    --data-urlencode "state=s" --data-urlencode "nonce=n" \
    --data-urlencode "code_challenge=$C" --data-urlencode "code_challenge_method=S256" "$base/oidc/par"
}
st=$(par); [ "$st" = 201 ] || { cat "$tmp/par.json" >&2; fail "PAR with a key from jwks_uri: $st"; }
jq -e '.request_uri | startswith("urn:ietf:params:oauth:request_uri:")' "$tmp/par.json" >/dev/null || fail "no request_uri"
pass "keys fetched from jwks_uri; a client assertion signed with them is accepted"

kill "$web"; wait "$web" 2>/dev/null || true; web=
kill -HUP "$gw"
for _ in $(seq 1 100); do grep -q '"event":"client.jwks_unavailable"' "$tmp/log" && break; sleep 0.1; done
grep -q '"event":"client.jwks_unavailable".*"using":"last good copy"' "$tmp/log" || fail "unreachable JWKS not logged with the last good copy"
for _ in $(seq 1 50); do [ "$(grep -c config.reloaded "$tmp/log")" -ge 1 ] && break; sleep 0.1; done
st=$(par); [ "$st" = 201 ] || fail "last good JWKS not used: $st"
pass "JWKS unreachable on reload: the last good copy stays in use"

kill -TERM "$gw"; wait "$gw" || fail "unclean stop"; gw=
"$bin" --config "$tmp/conf/gateway.yaml" 2>> "$tmp/log" & gw=$!
for _ in $(seq 1 100); do [ "$(grep -c startup.listening "$tmp/log")" -ge 2 ] && break; kill -0 "$gw" || fail "eidgw died"; sleep 0.1; done
grep -q '"using":"no key (assertions refused)"' "$tmp/log" || fail "start without the JWKS not logged"
st=$(par); [ "$st" = 401 ] || fail "assertion accepted without the client's keys: $st"
curl -fsS "$base/healthz" >/dev/null || fail "gateway not serving"
pass "JWKS unreachable at start: the client's assertions are refused, the gateway serves"

start_web
n_rel=$(grep -c config.reloaded "$tmp/log")
kill -HUP "$gw"
for _ in $(seq 1 50); do [ "$(grep -c config.reloaded "$tmp/log")" -gt "$n_rel" ] && break; sleep 0.1; done
st=$(par); [ "$st" = 201 ] || fail "client not restored after the JWKS came back: $st"
pass "JWKS back: the next reload restores the client"
kill -TERM "$gw"; wait "$gw" || fail "unclean stop"; gw=
echo "$n_ok passed, 0 failed"
