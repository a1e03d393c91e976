#!/usr/bin/env bash
# A connector may not assert more than its country is configured for: the
# test-auto connector is set to assert LoA high for a country whose
# max_loa is substantial.  The login must fail (server_error back to the
# service, no code), the log must name EIDGW_E_LOA_ABOVE_COUNTRY, and the
# audit log must hold no response_accepted.  The same connector asserting
# substantial completes the login (so the refusal is about the level).
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
tmp=$(mktemp -d /tmp/eidgw-cxloa-XXXXXX)
gw=
cleanup() {
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/log" 2>/dev/null | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; }

. "$src/tests/lib/testauto.sh"
testauto_conf "$tmp"
sed -i 's/^max_loa: high/max_loa: substantial/' "$tmp/conf/countries/BE.yaml"
grep -q '^  loa: high' "$tmp/conf/countries/BE.yaml" || fail "fixture changed: no 'loa: high'"
audit_dir=$(awk '/^audit:/{a=1; next} /^[^ ]/{a=0} a && /^  path:/{print $2; exit}' "$tmp/conf/gateway.yaml")

cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
loc() { curl -s -o /dev/null -w '%{redirect_url}' "$@"; }
login() { # state -> the final redirect to the service
  local authz="http://127.0.0.1:$TA_PORT/oidc/authorize?client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid&state=$1&nonce=n-1&code_challenge=$C&code_challenge_method=S256&country=BE&acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Flow"
  local r1
  r1=$(loc -c "$tmp/jar-$1" "$authz")
  case "$r1" in http://127.0.0.1:$TA_PORT/*) ;; *) echo "$r1"; return ;; esac
  loc -b "$tmp/jar-$1" "$r1"
}

testauto_start "$tmp" "$tmp/log" || { gw=${TA_PID:-}; fail "eidgw did not start"; }
gw=$TA_PID

# 1. high asserted, substantial configured: refused.
r=$(login st-high)
case "$r" in
  "http://127.0.0.1:8090/callback?error=server_error"*"state=st-high"*) ;;
  *) fail "LoA above max_loa not refused: $r" ;;
esac
case "$r" in *code=*) fail "a code was handed out: $r" ;; esac
grep -q 'EIDGW_E_LOA_ABOVE_COUNTRY' "$tmp/log" || fail "the log does not name the reason"
pass "an LoA above the country's max_loa is refused with server_error and logged"

# 2. the same connector asserting substantial: the login completes.
kill -TERM "$gw"; wait "$gw" 2>/dev/null || true; gw=
sed -i 's/^  loa: high/  loa: substantial/' "$tmp/conf/countries/BE.yaml"
testauto_start "$tmp" "$tmp/log2" || { gw=${TA_PID:-}; fail "eidgw did not start again"; }
gw=$TA_PID
r=$(login st-ok)
case "$r" in
  "http://127.0.0.1:8090/callback?code="*"state=st-ok"*) ;;
  *) fail "LoA within max_loa refused: $r" ;;
esac
pass "an LoA within max_loa completes the login"

# 3. the audit log: the refusal is recorded, one acceptance (the second login) only.
if [ -d "$tmp/conf/$audit_dir" ]; then
  d=$tmp/conf/$audit_dir
  cat "$d"/audit-*.log > "$tmp/all.log"
  [ "$(grep -c '"response_rejected"' "$tmp/all.log" || true)" -ge 1 ] || fail "no response_rejected record"
  grep '"response_rejected"' "$tmp/all.log" | grep -q 'EIDGW_E_LOA_ABOVE_COUNTRY' || fail "rejection record lacks the reason"
  [ "$(grep -c '"response_accepted"' "$tmp/all.log" || true)" = 1 ] || fail "expected exactly one response_accepted"
  pass "audit: the refusal is recorded with its reason; only the second login was accepted"
else
  fail "audit directory $audit_dir not found"
fi
