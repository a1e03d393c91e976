#!/usr/bin/env bash
# Black-box conformance probe of eidgw's OpenID Provider: a throwaway gateway
# with the test-auto connector (logins complete without a browser or IdP) and
# four clients, spoken to over HTTP only (curl, jq, python3 with Debian's
# python3-cryptography).  Each check names the rule it holds eidgw to:
# OpenID Connect Core 1.0, Discovery 1.0, RFC 6749/6750/7636/8414/9126/9207,
# FAPI 2.0 Security Profile.  docs/oidc.md lists what is deliberately different.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
tmp=$(mktemp -d /tmp/eidgw-conf-XXXXXX)
gw=
cleanup() {
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
n_ok=0
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/log" 2>/dev/null | tail -n 10 >&2; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }
PY=/usr/bin/python3

# ---- a gateway of our own -------------------------------------------------
. "$src/tests/lib/testauto.sh"
testauto_conf "$tmp" BE/BE/CONF-0001
cs=$tmp/conf/clients
# other-sector: another redirect host, so another pairwise sector
sed -e 's/^client_id:.*/client_id: other-sector/' -e 's|127.0.0.1:8090/callback|localhost:8091/cb|' \
  "$cs/demo-service.yaml" > "$cs/other-sector.yaml"
# same-sector: same host as demo-service; client_secret_post and ES256 ID tokens
sed -e 's/^client_id:.*/client_id: same-sector/' -e 's|8090/callback|8090/cb2|' \
  -e 's/^token_endpoint_auth_method:.*/token_endpoint_auth_method: client_secret_post/' \
  -e 's/^id_token_signed_response_alg:.*/id_token_signed_response_alg: ES256/' \
  "$cs/demo-service.yaml" > "$cs/same-sector.yaml"
# a next RS256 key (published before it signs) and a retired ES256 key (published
# until its tokens expire) beside the two active ones of the demo configuration
$PY - "$tmp/conf/gateway.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
anchor = "      key: ../certs/dev/oidc-es256.key\n      status: active\n"
assert anchor in s
s = s.replace(anchor, anchor + """    - kid: conf-next-rs256
      alg: RS256
      key: ../certs/dev/oidc-ps256.key
      status: next
    - kid: conf-retired-es256
      alg: ES256
      key: ../certs/dev/oidc-es256.key
      status: retired
""")
open(p, "w").write(s)
PY
port=$TA_PORT
testauto_start "$tmp" "$tmp/log" || { gw=${TA_PID:-}; fail "eidgw did not start"; }
gw=$TA_PID

base=http://127.0.0.1:$port
SECRET=demo-service-secret-change-me-0123456789
cb=http://127.0.0.1:8090/callback
ecb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=conformance-verifier-0123456789-abcdefghijklmnopqrstuvwxyz
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
PKCE="code_challenge=$C&code_challenge_method=S256"
Q="client_id=demo-service&redirect_uri=$ecb&response_type=code&scope=openid%20profile&$PKCE"

# curl helpers: -D headers to a file, body to a file, status printed
req() { curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "$@"; }
hdr() { tr -d '\r' < "$tmp/h" | sed -n "s/^$1: //Ip" | head -n 1; }
has_hdr() { tr -d '\r' < "$tmp/h" | grep -qi "^$1:"; }
loc() { curl -s -o /dev/null -w '%{redirect_url}' "$@"; }
# one query parameter of a URL, decoded
qp() { $PY - "$1" "$2" <<'PY'
import sys, urllib.parse
q = urllib.parse.urlsplit(sys.argv[1]).query
v = urllib.parse.parse_qs(q, keep_blank_values=True).get(sys.argv[2])
print(v[0] if v else "", end="")
PY
}
jwt_part() { $PY -c 'import base64, sys
p = sys.argv[1].split(".")[int(sys.argv[2])]
sys.stdout.write(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$1" "$2"; }
# An error redirect to the RP: error, state and iss (RFC 9207 §2) as expected.
assert_err_redirect() { # url error state what
  case "$1" in "$cb?"*) ;; *) fail "$4: not redirected to the client: $1" ;; esac
  [ "$(qp "$1" error)" = "$2" ] || fail "$4: error $(qp "$1" error), want $2 ($1)"
  [ "$(qp "$1" state)" = "$3" ] || fail "$4: state not echoed: $1"
  [ "$(qp "$1" iss)" = "$base" ] || fail "$4: no iss (RFC 9207): $1"
}
# A login through test-auto; prints the code of the final redirect.  The country
# is preselected (country=BE), in the query or, with PAR, in the pushed request.
login() { # query redirect_prefix
  local r1 r2 co="&country=BE"
  case "$1" in *request_uri=*) co= ;; esac
  r1=$(loc -c "$tmp/jar" "$base/oidc/authorize?$1$co")
  case "$r1" in "$base/login/return?"*) ;; *) echo "no login: $r1" >&2; return 1 ;; esac
  r2=$(loc -b "$tmp/jar" "$r1")
  printf %s "$r2" > "$tmp/final"
  case "$r2" in "$2?"*) ;; *) echo "no code: $r2" >&2; return 1 ;; esac
  qp "$r2" code
}
token_basic() { # client code redirect_uri(encoded)
  req -u "$1:$SECRET" -d "grant_type=authorization_code&code=$2&redirect_uri=$3&code_verifier=$V" \
    "$base/oidc/token"
}

# ---- Discovery (OIDC Discovery 1.0 §3/§4, RFC 8414) -------------------------
st=$(req "$base/.well-known/openid-configuration")
[ "$st" = 200 ] || fail "discovery: $st"
case "$(hdr Content-Type)" in application/json*) ;; *) fail "discovery Content-Type $(hdr Content-Type)" ;; esac
case "$(hdr Cache-Control)" in *max-age=*) ;; *) fail "discovery not cacheable: $(hdr Cache-Control)" ;; esac
[ "$(hdr Access-Control-Allow-Origin)" = "*" ] || fail "discovery without CORS"
cp "$tmp/b" "$tmp/disc.json"
jq -e --arg i "$base" '
  .issuer == $i and
  ([.authorization_endpoint, .token_endpoint, .userinfo_endpoint, .jwks_uri,
    .pushed_authorization_request_endpoint] | all(type == "string" and startswith($i + "/"))) and
  .response_types_supported == ["code"] and
  .response_modes_supported == ["query"] and
  .grant_types_supported == ["authorization_code"] and
  .subject_types_supported == ["pairwise"] and
  .code_challenge_methods_supported == ["S256"] and
  (.token_endpoint_auth_methods_supported | sort) ==
    ["client_secret_basic", "client_secret_post", "private_key_jwt"] and
  (.token_endpoint_auth_signing_alg_values_supported | index("none") == null and length > 0) and
  (.dpop_signing_alg_values_supported | length > 0) and
  .dpop_signing_alg_values_supported == ["ES256", "PS256", "EdDSA", "Ed25519"] and
  (.scopes_supported | index("openid") != null) and
  (.claims_supported | index("sub") != null and index("acr") != null and index("amr") == null) and
  .claims_parameter_supported == true and
  .request_parameter_supported == false and
  .request_uri_parameter_supported == false and
  .authorization_response_iss_parameter_supported == true and
  (.require_pushed_authorization_requests | type == "boolean") and
  has("userinfo_signing_alg_values_supported") == false and
  has("id_token_encryption_alg_values_supported") == false' "$tmp/disc.json" >/dev/null ||
  fail "discovery metadata: $(cat "$tmp/disc.json")"
pass "discovery: required metadata, consistent values, JSON, cacheable, CORS"

st=$(req "$base/.well-known/oauth-authorization-server")
[ "$st" = 200 ] || fail "RFC 8414 metadata: $st"
jq -e --arg i "$base" '.issuer == $i' "$tmp/b" >/dev/null || fail "RFC 8414 issuer"
cmp -s "$tmp/b" "$tmp/disc.json" || fail "RFC 8414 document differs from openid-configuration"
pass "RFC 8414 /.well-known/oauth-authorization-server serves the same metadata"

# ---- JWKS ----------------------------------------------------------------------
st=$(req "$(jq -r .jwks_uri "$tmp/disc.json")")
[ "$st" = 200 ] || fail "jwks: $st"
case "$(hdr Content-Type)" in application/jwk-set+json*|application/json*) ;; *) fail "jwks Content-Type" ;; esac
[ "$(hdr Access-Control-Allow-Origin)" = "*" ] || fail "jwks without CORS"
cp "$tmp/b" "$tmp/jwks.json"
jq -e '(.keys | length > 0) and
  (.keys | all(has("kty") and has("kid") and .use == "sig" and has("alg"))) and
  (.keys | all(has("d") or has("p") or has("q") or has("dp") or has("dq") or has("qi") or has("k")
    | not)) and
  ([.keys[].kid] | length == (unique | length))' "$tmp/jwks.json" >/dev/null ||
  fail "jwks keys: $(cat "$tmp/jwks.json")"
# every advertised ID-token alg has a published key of that alg, and nothing else is advertised
jq -e --slurpfile k "$tmp/jwks.json" '.id_token_signing_alg_values_supported | length > 0 and
  all(. as $a | $k[0].keys | any(.alg == $a))' "$tmp/disc.json" >/dev/null ||
  fail "id_token_signing_alg_values_supported names an alg without a key"
jq -e '[.keys[].kid] | index("conf-next-rs256") != null and index("conf-retired-es256") != null' \
  "$tmp/jwks.json" >/dev/null || fail "next or retired key not published"
# RS256 has only a next key: it signs nothing, so it is not advertised (OIDC Discovery §3)
jq -e '.id_token_signing_alg_values_supported == ["PS256", "ES256"]' "$tmp/disc.json" >/dev/null ||
  fail "id_token_signing_alg_values_supported: $(jq -c .id_token_signing_alg_values_supported "$tmp/disc.json")"
pass "JWKS: kty/kid/use/alg on every key, no private members, unique kids, next and retired keys; ID-token algs = active keys"

# ---- HTTP methods and CORS ---------------------------------------------------
st=$(req -X PUT "$base/oidc/token"); [ "$st" = 405 ] || fail "PUT token: $st"
[ "$(hdr Allow)" = POST ] || fail "405 without Allow: POST"
st=$(req -X OPTIONS "$base/oidc/userinfo"); [ "$st" = 405 ] || fail "OPTIONS userinfo: $st"
has_hdr Allow || fail "OPTIONS 405 without Allow"
st=$(req -I "$base/.well-known/openid-configuration"); [ "$st" = 200 ] || fail "HEAD discovery: $st"
st=$(req -I "$base/oidc/authorize?$Q"); [ "$st" = 405 ] || fail "HEAD authorize: $st"
req "$base/oidc/authorize?$Q&state=x" >/dev/null
has_hdr Access-Control-Allow-Origin && fail "CORS on the authorization endpoint"
req -d "grant_type=x" "$base/oidc/token" >/dev/null
has_hdr Access-Control-Allow-Origin && fail "CORS on the token endpoint"
pass "methods: 405 with Allow, HEAD on documents, no CORS on authorize/token"

# ---- Authorization endpoint: errors that must never redirect (RFC 6749 §4.1.2.1) --
for q in "${Q/client_id=demo-service&/}" "${Q/demo-service/nobody}" \
  "${Q/redirect_uri=$ecb&/}" "${Q/$ecb/https%3A%2F%2Fevil.example%2Fcb}" \
  "${Q/$ecb/$ecb%2F}" "$Q&state=a&state=b" \
  "client_id=demo-service&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Anope"; do
  st=$(req "$base/oidc/authorize?$q")
  [ "$st" = 400 ] || fail "untrusted request not 400 ($st): $q"
  has_hdr Location && fail "untrusted request redirected: $q"
done
pass "missing/unknown client_id, bad redirect_uri, duplicates, unknown request_uri: error page"

# ---- Authorization endpoint: errors sent back with state and iss ------------------
# state is 1*VSCHAR (RFC 6749 A.5): these characters must come back exactly
S="state=s%26t%3D1%20%7E"
chk() { # query error what
  local r
  r=$(loc "$base/oidc/authorize?$1")
  assert_err_redirect "$r" "$2" "s&t=1 ~" "$3"
  [ -n "$(qp "$r" error_description)" ] || fail "$3: no error_description: $r"
}
chk "${Q/response_type=code/response_type=token}&$S" unsupported_response_type "response_type=token"
chk "${Q/response_type=code/response_type=code%20id_token}&$S" unsupported_response_type "hybrid"
chk "${Q/response_type=code&/}&$S" invalid_request "response_type missing"
chk "$Q&$S&request=eyJhbGciOiJub25lIn0.e30." request_not_supported "request object"
# a request object by reference: not supported (request_uri_parameter_supported false,
# OIDC Core §3.1.2.6); only our own PAR request_uris are used
chk "$Q&$S&request_uri=https%3A%2F%2Frp.example%2Freq" request_uri_not_supported "foreign request_uri"
chk "$Q&$S&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aguessed" invalid_request_uri \
  "unknown PAR request_uri"
chk "$Q&$S&response_mode=form_post" invalid_request "response_mode=form_post (unsupported)"
chk "$Q&$S&prompt=none" login_required "prompt=none"
chk "$Q&$S&prompt=none%20login" invalid_request "prompt none with another value"
chk "${Q/scope=openid%20profile/scope=profile}&$S" invalid_scope "scope without openid"
chk "${Q/scope=openid%20profile/scope=openid%20address}&$S" invalid_scope "scope not allowed"
chk "${Q/&$PKCE/}&$S" invalid_request "no PKCE"
chk "${Q/S256/plain}&$S" invalid_request "PKCE plain"
chk "${Q/&code_challenge_method=S256/}&$S" invalid_request "PKCE method absent (plain)"
chk "$Q&$S&claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%2C%22value%22%3A%22urn%3Ax%22%7D%7D%7D" \
  unmet_authentication_requirements "essential acr that cannot be met"
# the OIDF probe's form: response_type, client_id, scope and redirect_uri in the
# query, state only inside the referenced object
r=$(loc "$base/oidc/authorize?client_id=demo-service&response_type=code&scope=openid&redirect_uri=$ecb&request_uri=https%3A%2F%2Frp.example%2Freq")
case "$r" in "$cb?"*) ;; *) fail "request_uri by reference: not redirected: $r" ;; esac
[ "$(qp "$r" error)" = request_uri_not_supported ] || fail "request_uri by reference: $r"
[ "$(qp "$r" iss)" = "$base" ] || fail "request_uri by reference: no iss: $r"
pass "authorization errors: redirected with error, error_description, exact state and iss"

# ---- Authorization endpoint: accepted requests ---------------------------------
for extra in "&acr_values=1%202" "&prompt=login" "&max_age=0" "&id_token_hint=eyJ.x.y" \
  "&login_hint=anna&display=popup&ui_locales=fr&claims_locales=de&unknown_param=1" \
  "&response_mode=query" "&prompt=consent"; do
  r=$(loc -c "$tmp/jar0" "$base/oidc/authorize?$Q&state=x$extra&country=BE")
  case "$r" in "$base/login/return?"*) ;; *) fail "not accepted ($extra): $r" ;; esac
done
r=$(loc -c "$tmp/jar0" "$base/oidc/authorize?${Q/scope=openid%20profile/scope=openid%20offline_access%20profile}&country=BE")
case "$r" in "$base/login/return?"*) ;; *) fail "unknown scope value refused: $r" ;; esac
pass "voluntary acr_values, prompt=login, max_age, hints, display, unknown parameters and scopes accepted"

# ---- a full login: state round trip, POST authorize, token response, ID token ----------
STATE='a b&c=d+e%f?g#h/i~j'
ESTATE=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$STATE")
NONCE='n-0S6_WzA2Mj.~'
rm -f "$tmp/jar"
code=$(curl -s -o /dev/null -w '%{redirect_url}' -c "$tmp/jar" \
  -d "$Q&state=$ESTATE&nonce=$NONCE&max_age=0&prompt=login&country=BE" "$base/oidc/authorize")
case "$code" in "$base/login/return?"*) ;; *) fail "POST authorize not accepted: $code" ;; esac
r2=$(loc -b "$tmp/jar" "$code")
case "$r2" in "$cb?"*) ;; *) fail "no code redirect: $r2" ;; esac
[ "$(qp "$r2" state)" = "$STATE" ] || fail "state not echoed exactly: $(qp "$r2" state)"
[ "$(qp "$r2" iss)" = "$base" ] || fail "success response without iss (RFC 9207)"
[ -n "$(qp "$r2" code)" ] || fail "no code"
pass "GET/POST authorize; state with special characters echoed exactly; iss on success"

t0=$(date +%s)
st=$(token_basic demo-service "$(qp "$r2" code)" "$ecb")
[ "$st" = 200 ] || fail "token: $st $(cat "$tmp/b")"
case "$(hdr Content-Type)" in application/json*) ;; *) fail "token Content-Type" ;; esac
[ "$(hdr Cache-Control)" = no-store ] || fail "token Cache-Control: $(hdr Cache-Control)"
[ "$(hdr Pragma)" = no-cache ] || fail "token Pragma"
cp "$tmp/b" "$tmp/tok1.json"
jq -e '(.access_token | type == "string") and .token_type == "Bearer" and
  (.expires_in | type == "number" and . > 0) and (.id_token | type == "string") and
  .scope == "openid profile" and has("refresh_token") == false' "$tmp/tok1.json" >/dev/null ||
  fail "token response: $(cat "$tmp/tok1.json")"
pass "token response: JSON, no-store, Pragma, Bearer, expires_in, scope"

# Verifies the ID token's signature with the JWKS key its kid names; prints the payload.
verify_idt() { # id_token expected_alg
  $PY - "$1" "$2" "$tmp/jwks.json" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def num(s): return int.from_bytes(b64d(s), "big")
tok, alg, jwks = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
h, p, s = tok.split(".")
hdr = json.loads(b64d(h))
if hdr.get("alg") != alg: sys.exit("alg %s, want %s" % (hdr.get("alg"), alg))
keys = [k for k in jwks["keys"] if k["kid"] == hdr.get("kid")]
if len(keys) != 1 or keys[0]["alg"] != alg: sys.exit("kid %s not in the JWKS with alg %s" % (hdr.get("kid"), alg))
k, si, sig = keys[0], (h + "." + p).encode(), b64d(s)
if alg == "ES256":
    pub = ec.EllipticCurvePublicNumbers(num(k["x"]), num(k["y"]), ec.SECP256R1()).public_key()
    pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
               si, ec.ECDSA(hashes.SHA256()))
else:
    pub = rsa.RSAPublicNumbers(num(k["e"]), num(k["n"])).public_key()
    pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if alg == "PS256" else padding.PKCS1v15()
    pub.verify(sig, si, pad, hashes.SHA256())
print(b64d(p).decode())
PY
}
idt=$(jq -r .id_token "$tmp/tok1.json")
verify_idt "$idt" PS256 > "$tmp/idt1.json" || fail "ID token signature/alg/kid"
at=$(jq -r .access_token "$tmp/tok1.json")
ath=$(printf %s "$at" | openssl dgst -sha256 -binary | head -c 16 | base64 | tr '+/' '-_' | tr -d '=')
jq -e --arg i "$base" --arg n "$NONCE" --arg ath "$ath" --argjson t0 "$t0" '
  .iss == $i and .aud == "demo-service" and (.sub | type == "string" and length > 0) and
  (.exp > .iat) and (.iat >= $t0 - 5) and (.auth_time | type == "number") and
  (.auth_time <= .iat + 5) and (.auth_time >= $t0 - 60) and .nonce == $n and
  .acr == "http://eidas.europa.eu/LoA/high" and .at_hash == $ath and has("amr") == false and
  has("azp") == false and .given_name == "Anna"' "$tmp/idt1.json" >/dev/null ||
  fail "ID token claims: $(cat "$tmp/idt1.json")"
[ "$(jwt_part "$idt" 0 | jq -r .typ)" = JWT ] || fail "ID token typ"
pass "ID token: PS256 per client, kid in JWKS, signature, iss/sub/aud/exp/iat/auth_time/nonce/acr/at_hash, no amr"
sub1=$(jq -r .sub "$tmp/idt1.json")

# ---- Userinfo (OIDC Core §5.3, RFC 6750) -------------------------------------------
st=$(req -H "Authorization: Bearer $at" "$base/oidc/userinfo")
[ "$st" = 200 ] || fail "userinfo GET: $st"
case "$(hdr Content-Type)" in application/json*) ;; *) fail "userinfo Content-Type" ;; esac
[ "$(hdr Cache-Control)" = no-store ] || fail "userinfo Cache-Control"
jq -e --arg s "$sub1" '.sub == $s and .given_name == "Anna" and
  (keys | map(select(test("eidas"))) | length == 0)' "$tmp/b" >/dev/null ||
  fail "userinfo claims: $(cat "$tmp/b")"
st=$(req -X POST -H "Authorization: Bearer $at" "$base/oidc/userinfo"); [ "$st" = 200 ] || fail "userinfo POST header: $st"
st=$(req -d "access_token=$at" "$base/oidc/userinfo"); [ "$st" = 200 ] || fail "userinfo POST form: $st"
st=$(req "$base/oidc/userinfo?access_token=$at"); [ "$st" = 400 ] || fail "userinfo query token accepted: $st"
st=$(req -H "Authorization: Bearer not-a-token" "$base/oidc/userinfo"); [ "$st" = 401 ] || fail "bad token: $st"
case "$(hdr WWW-Authenticate)" in Bearer*'error="invalid_token"'*) ;; *) fail "bad token challenge: $(hdr WWW-Authenticate)" ;; esac
st=$(req "$base/oidc/userinfo"); [ "$st" = 401 ] || fail "no token: $st"
case "$(hdr WWW-Authenticate)" in Bearer*) ;; *) fail "no token: no Bearer challenge" ;; esac
pass "userinfo: GET and POST (header, form body), sub as in the ID token, query refused, 401 challenges"

# ---- Token endpoint errors (RFC 6749 §5.2) -----------------------------------------
code=$(qp "$r2" code)
st=$(token_basic demo-service "$code" "$ecb"); [ "$st" = 400 ] || fail "code reuse: $st"
jq -e '.error == "invalid_grant"' "$tmp/b" >/dev/null || fail "code reuse error"
st=$(req -H "Authorization: Bearer $at" "$base/oidc/userinfo"); [ "$st" = 401 ] || fail "token of a replayed code still works"
pass "code replay: invalid_grant, and the first access token is revoked"
terr() { # status error what curl-args...
  local want=$1 err=$2 what=$3; shift 3
  st=$(req "$@" "$base/oidc/token")
  [ "$st" = "$want" ] || fail "$what: status $st $(cat "$tmp/b")"
  jq -e --arg e "$err" '.error == $e' "$tmp/b" >/dev/null || fail "$what: $(cat "$tmp/b")"
  [ "$(hdr Cache-Control)" = no-store ] || fail "$what: error without no-store"
}
terr 400 invalid_request "grant_type missing" -u "demo-service:$SECRET" -d "code=x"
terr 400 unsupported_grant_type "password grant" -u "demo-service:$SECRET" -d "grant_type=password&username=a&password=b"
terr 400 unsupported_grant_type "refresh_token grant" -u "demo-service:$SECRET" -d "grant_type=refresh_token&refresh_token=x"
terr 400 invalid_grant "unknown code" -u "demo-service:$SECRET" -d "grant_type=authorization_code&code=nope&redirect_uri=$ecb&code_verifier=$V"
terr 401 invalid_client "wrong Basic secret" -u "demo-service:wrong" -d "grant_type=authorization_code&code=x&redirect_uri=$ecb&code_verifier=$V"
case "$(hdr WWW-Authenticate)" in Basic*) ;; *) fail "Basic failure without WWW-Authenticate" ;; esac
terr 401 invalid_client "no client authentication" -d "grant_type=authorization_code&code=x&redirect_uri=$ecb&code_verifier=$V"
has_hdr WWW-Authenticate || fail "401 without WWW-Authenticate (RFC 9110 §15.5.2)"
terr 401 invalid_client "wrong post secret" -d "client_id=same-sector&client_secret=wrong&grant_type=authorization_code&code=x"
has_hdr WWW-Authenticate || fail "401 (post) without WWW-Authenticate"
code=$(login "$Q&state=v" "$cb") || fail "login for the verifier check"
st=$(req -u "demo-service:$SECRET" -d "grant_type=authorization_code&code=$code&redirect_uri=$ecb&code_verifier=${V/c/C}" "$base/oidc/token")
[ "$st" = 400 ] && jq -e '.error == "invalid_grant"' "$tmp/b" >/dev/null || fail "wrong verifier: $st"
pass "token errors: invalid_request, unsupported_grant_type, invalid_grant, 401 invalid_client with challenge"

# ---- DPoP (RFC 9449, FAPI 2.0 §5.4 algorithms) -------------------------------------------
# dpop_proof KEY ALG HTM HTU [ACCESS_TOKEN]: a proof signed with the PEM key
dpop_proof() {
  $PY - "$@" <<'PY'
import base64, hashlib, json, sys, time, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def ub(n): return n.to_bytes((n.bit_length() + 7) // 8, "big")
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
alg, htm, htu = sys.argv[2:5]
pn = key.public_key().public_numbers()
if isinstance(key, ec.EllipticCurvePrivateKey):
    jwk = {"kty": "EC", "crv": "P-256", "x": b64u(pn.x.to_bytes(32, "big")), "y": b64u(pn.y.to_bytes(32, "big"))}
else:
    jwk = {"kty": "RSA", "e": b64u(ub(pn.e)), "n": b64u(ub(pn.n))}
pl = {"jti": str(uuid.uuid4()), "htm": htm, "htu": htu, "iat": int(time.time())}
if len(sys.argv) > 5:
    pl["ath"] = b64u(hashlib.sha256(sys.argv[5].encode()).digest())
si = (b64u(json.dumps({"typ": "dpop+jwt", "alg": alg, "jwk": jwk}).encode()) + "." +
      b64u(json.dumps(pl).encode())).encode()
if alg == "ES256":
    r, s = decode_dss_signature(key.sign(si, ec.ECDSA(hashes.SHA256())))
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
elif alg == "PS256":
    sig = key.sign(si, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
else:
    sig = key.sign(si, padding.PKCS1v15(), hashes.SHA256())
print(si.decode() + "." + b64u(sig))
PY
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/dpop-rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/dpop-ec.pem" 2>/dev/null
code=$(login "$Q&state=d" "$cb") || fail "login for DPoP"
# RS256 is not a FAPI 2.0 algorithm: a correctly signed RS256 proof is refused before
# the code is looked at, so the code survives for a proof in an allowed alg
pr=$(dpop_proof "$tmp/dpop-rsa.pem" RS256 POST "$base/oidc/token")
st=$(req -H "DPoP: $pr" -u "demo-service:$SECRET" \
  -d "grant_type=authorization_code&code=$code&redirect_uri=$ecb&code_verifier=$V" "$base/oidc/token")
[ "$st" = 400 ] && jq -e '.error == "invalid_dpop_proof"' "$tmp/b" >/dev/null ||
  fail "RS256 DPoP proof at the token endpoint: $st $(cat "$tmp/b")"
pr=$(dpop_proof "$tmp/dpop-rsa.pem" PS256 POST "$base/oidc/token")
st=$(req -H "DPoP: $pr" -u "demo-service:$SECRET" \
  -d "grant_type=authorization_code&code=$code&redirect_uri=$ecb&code_verifier=$V" "$base/oidc/token")
[ "$st" = 200 ] && jq -e '.token_type == "DPoP"' "$tmp/b" >/dev/null ||
  fail "PS256 DPoP proof at the token endpoint: $st $(cat "$tmp/b")"
dat=$(jq -r .access_token "$tmp/b")
pr=$(dpop_proof "$tmp/dpop-rsa.pem" RS256 GET "$base/oidc/userinfo" "$dat")
st=$(req -H "Authorization: DPoP $dat" -H "DPoP: $pr" "$base/oidc/userinfo")
[ "$st" = 401 ] || fail "RS256 DPoP proof at userinfo: $st"
case "$(hdr WWW-Authenticate)" in DPoP*'error="invalid_dpop_proof"'*'algs="ES256 PS256 EdDSA Ed25519"'*) ;;
  *) fail "RS256 proof challenge: $(hdr WWW-Authenticate)" ;; esac
pr=$(dpop_proof "$tmp/dpop-rsa.pem" PS256 GET "$base/oidc/userinfo" "$dat")
st=$(req -H "Authorization: dpop $dat" -H "DPoP: $pr" "$base/oidc/userinfo")
[ "$st" = 200 ] || fail "PS256 DPoP proof at userinfo: $st"
code=$(login "$Q&state=d2" "$cb") || fail "login for DPoP ES256"
pr=$(dpop_proof "$tmp/dpop-ec.pem" ES256 POST "$base/oidc/token")
st=$(req -H "DPoP: $pr" -u "demo-service:$SECRET" \
  -d "grant_type=authorization_code&code=$code&redirect_uri=$ecb&code_verifier=$V" "$base/oidc/token")
[ "$st" = 200 ] && jq -e '.token_type == "DPoP"' "$tmp/b" >/dev/null ||
  fail "ES256 DPoP proof at the token endpoint: $st $(cat "$tmp/b")"
st=$(req "$base/oidc/userinfo")
case "$(hdr WWW-Authenticate)" in *'DPoP algs="ES256 PS256 EdDSA Ed25519"') ;; *) fail "no-token challenge: $(hdr WWW-Authenticate)" ;; esac
pass "DPoP: ES256 and PS256 proofs bind tokens; RS256 proofs refused (400/401 invalid_dpop_proof), algs without RS256"

# ---- scopes: claims only for what was granted; an unknown scope is not granted -----------
code=$(login "${Q/scope=openid%20profile/scope=openid%20offline_access}&state=v" "$cb") || fail "login openid"
st=$(token_basic demo-service "$code" "$ecb"); [ "$st" = 200 ] || fail "token (openid): $st"
jq -e '.scope == "openid"' "$tmp/b" >/dev/null || fail "granted scope: $(jq -c .scope "$tmp/b")"
at2=$(jq -r .access_token "$tmp/b")
req -H "Authorization: Bearer $at2" "$base/oidc/userinfo" >/dev/null
jq -e --arg s "$sub1" '. == {"sub": $s}' "$tmp/b" >/dev/null || fail "userinfo for openid only: $(cat "$tmp/b")"
pass "scope openid: token names the granted scope, userinfo releases sub only"

# ---- pairwise subjects (OIDC Core §8.1) -------------------------------------------------
ocb=http%3A%2F%2Flocalhost%3A8091%2Fcb
code=$(login "$(printf %s "$Q" | sed "s/demo-service/other-sector/; s|$ecb|$ocb|")&state=o" "http://localhost:8091/cb") ||
  fail "login other-sector"
st=$(token_basic other-sector "$code" "$ocb"); [ "$st" = 200 ] || fail "token other-sector: $st"
sub2=$(jwt_part "$(jq -r .id_token "$tmp/b")" 1 | jq -r .sub)
scb=http%3A%2F%2F127.0.0.1%3A8090%2Fcb2
code=$(login "$(printf %s "$Q" | sed "s/demo-service/same-sector/; s|$ecb|$scb|")&state=s" "http://127.0.0.1:8090/cb2") ||
  fail "login same-sector"
st=$(req -d "client_id=same-sector&client_secret=$SECRET&grant_type=authorization_code&code=$code&redirect_uri=$scb&code_verifier=$V" \
  "$base/oidc/token")
[ "$st" = 200 ] || fail "token same-sector (client_secret_post): $st"
idt3=$(jq -r .id_token "$tmp/b")
verify_idt "$idt3" ES256 > "$tmp/idt3.json" || fail "ES256 ID token of same-sector"
sub3=$(jq -r .sub "$tmp/idt3.json")
[ "$sub2" != "$sub1" ] || fail "two sectors, one sub"
[ "$sub3" = "$sub1" ] || fail "one sector, two subs"
pass "pairwise sub: differs across sectors, equal within one; ES256 for an ES256 client"

# ---- PAR (RFC 9126) -----------------------------------------------------------------
st=$(req -u "demo-service:$SECRET" -d "$Q&state=p1&nonce=pn&country=BE" "$base/oidc/par")
[ "$st" = 201 ] || fail "PAR: $st $(cat "$tmp/b")"
[ "$(hdr Cache-Control)" = no-store ] || fail "PAR Cache-Control"
jq -e '(.request_uri | startswith("urn:ietf:params:oauth:request_uri:")) and
  (.expires_in | type == "number" and . > 0 and . < 600)' "$tmp/b" >/dev/null || fail "PAR body: $(cat "$tmp/b")"
ru=$(jq -r .request_uri "$tmp/b")
eru=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ru")
# OIDC Core §6.2 has the RP repeat response_type and scope in the query: allowed
code=$(login "client_id=demo-service&request_uri=$eru&response_type=code&scope=openid" "$cb") ||
  fail "PAR request_uri with response_type and scope"
[ "$(qp "$(cat "$tmp/final")" state)" = p1 ] || fail "pushed state not returned"
st=$(req "$base/oidc/authorize?client_id=demo-service&request_uri=$eru")
[ "$st" = 400 ] && ! has_hdr Location || fail "request_uri used twice: $st"
st=$(req -u "demo-service:$SECRET" -d "${Q/response_type=code/response_type=token}" "$base/oidc/par")
[ "$st" = 400 ] && jq -e '.error == "unsupported_response_type"' "$tmp/b" >/dev/null || fail "PAR token: $st"
st=$(req -u "demo-service:$SECRET" -d "${Q/redirect_uri=$ecb&/}" "$base/oidc/par")
[ "$st" = 400 ] || fail "PAR without redirect_uri: $st"
st=$(req -d "$Q" "$base/oidc/par"); [ "$st" = 401 ] || fail "PAR without client auth: $st"
# single use is enforced when a login completes, not when /authorize is loaded (FAPI 2.0
# §5.3.2.2 note 3): a reload starts the login again, the first login to finish gets the
# code, the other an invalid_request_uri error with the pushed state
st=$(req -u "demo-service:$SECRET" -d "$Q&state=p2&country=BE" "$base/oidc/par")
[ "$st" = 201 ] || fail "PAR (reload): $st"
eru=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
  "$(jq -r .request_uri "$tmp/b")")
ra=$(loc -c "$tmp/jarA" "$base/oidc/authorize?client_id=demo-service&request_uri=$eru")
rb=$(loc -c "$tmp/jarB" "$base/oidc/authorize?client_id=demo-service&request_uri=$eru")
case "$ra $rb" in "$base/login/return?"*" $base/login/return?"*) ;;
  *) fail "request_uri refused on a reload before the login completed: $ra / $rb" ;; esac
r2=$(loc -b "$tmp/jarB" "$rb")
[ -n "$(qp "$r2" code)" ] && [ "$(qp "$r2" state)" = p2 ] || fail "second tab: no code: $r2"
r1=$(loc -b "$tmp/jarA" "$ra")
assert_err_redirect "$r1" invalid_request_uri p2 "first tab after the second completed"
[ -z "$(qp "$r1" code)" ] || fail "two codes for one request_uri"
st=$(req "$base/oidc/authorize?client_id=demo-service&request_uri=$eru")
[ "$st" = 400 ] && ! has_hdr Location || fail "request_uri used after completion: $st"
pass "PAR: 201 request_uri/expires_in, single use at completion (reload allowed), front-channel response_type/scope, errors"

# ---- private_key_jwt of a FAPI 2.0 client (FAPI 2.0 §5.3.2.1) -------------------------
# demo-par-jwt pins ES256 (token_endpoint_auth_signing_alg): its assertion aud must be
# the issuer as a string; the PAR or token endpoint URL and arrays are refused
client_assertion() { # aud-as-JSON
  $PY - "$tmp/certs/dev/demo-client.key" "$tmp/certs/dev/demo-client.jwks.json" "$1" <<'PY'
import base64, json, sys, time, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
kid = json.load(open(sys.argv[2]))["keys"][0]["kid"]
now = int(time.time())
pl = {"iss": "demo-par-jwt", "sub": "demo-par-jwt", "aud": json.loads(sys.argv[3]),
      "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
si = (b64u(json.dumps({"alg": "ES256", "kid": kid, "typ": "JWT"}).encode()) + "." +
      b64u(json.dumps(pl).encode())).encode()
r, s = decode_dss_signature(key.sign(si, ec.ECDSA(hashes.SHA256())))
print(si.decode() + "." + b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big")))
PY
}
jcb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback-jwt
JQ="client_id=demo-par-jwt&redirect_uri=$jcb&response_type=code&scope=openid&$PKCE&state=j"
CAT=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer
for aud in "\"$base/oidc/par\"" "\"$base/oidc/token\"" "[\"$base\", \"$base/oidc/par\"]" "[\"$base\"]"; do
  st=$(req -d "$JQ&client_assertion_type=$CAT&client_assertion=$(client_assertion "$aud")" "$base/oidc/par")
  [ "$st" = 401 ] && jq -e '.error == "invalid_client"' "$tmp/b" >/dev/null ||
    fail "FAPI 2.0 client assertion with aud $aud accepted at PAR: $st $(cat "$tmp/b")"
done
st=$(req -d "$JQ&client_assertion_type=$CAT&client_assertion=$(client_assertion "\"$base\"")" "$base/oidc/par")
[ "$st" = 201 ] || fail "FAPI 2.0 client assertion with aud = issuer: $st $(cat "$tmp/b")"
pass "private_key_jwt, FAPI 2.0 client: aud only the issuer as a string (PAR/token URL, arrays refused)"

kill -TERM "$gw"; wait "$gw" || fail "unclean stop"; gw=
echo "$n_ok passed, 0 failed"
