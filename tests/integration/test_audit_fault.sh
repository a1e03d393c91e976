#!/usr/bin/env bash
# The audit log fails closed over real HTTP: a shim preloaded into eidgw
# makes fdatasync(2) fail with EIO once a trigger file exists (the disk
# "breaks" in the middle of a login).  Then:
#   - the token request whose tokens_issued record cannot be made durable is
#     answered 500 server_error, with no token in the body;
#   - /readyz reports audit "failed" (503), so a load balancer stops sending
#     logins here; the failure is sticky until a restart;
#   - the next login step is refused too (no code is handed out);
#   - the daemon does not crash and the log verifies up to the failure.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
cli=$build/gateway/eidgw-audit
tmp=$(mktemp -d /tmp/eidgw-afault-XXXXXX)
gw=
cleanup() {
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/log" 2>/dev/null | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; }

# The fault shim: fdatasync fails with EIO while $EIDGW_FAULT_FILE exists.
cat > "$tmp/faultsync.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
int
fdatasync(int fd)
{
	static int (*real)(int);
	const char *f = getenv("EIDGW_FAULT_FILE");

	if (f != NULL && access(f, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}
C
${CC:-cc} -shared -fPIC -O2 -o "$tmp/faultsync.so" "$tmp/faultsync.c" -ldl || fail "cannot build the shim"

. "$src/tests/lib/testauto.sh"
testauto_conf "$tmp"
port=$TA_PORT
# ASan builds want their runtime first; the shim only needs to come before libc.
testauto_start "$tmp" "$tmp/log" EIDGW_FAULT_FILE="$tmp/disk-broken" LD_PRELOAD="$tmp/faultsync.so" \
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" || { gw=${TA_PID:-}; fail "eidgw did not start"; }
gw=$TA_PID
base=http://127.0.0.1:$port
cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
authz="$base/oidc/authorize?client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid&state=st-1&nonce=n-1&code_challenge=$C&code_challenge_method=S256&country=BE"
loc() { curl -s -o /dev/null -w '%{redirect_url}' "$@"; }
login_code() { # jar -> code (empty if none)
  local r1 r2
  r1=$(loc -c "$tmp/$1" "$authz")
  r2=$(loc -b "$tmp/$1" "$r1")
  case "$r2" in "http://127.0.0.1:8090/callback?code="*) printf %s "$r2" | sed 's/.*code=\([^&]*\).*/\1/' ;; *) echo "" ;; esac
}
token() { # code -> writes body to $tmp/tok.json, prints status
  curl -s -o "$tmp/tok.json" -w '%{http_code}' -u demo-service:demo-service-secret-change-me-0123456789 \
    -d "grant_type=authorization_code&code=$1&redirect_uri=$cb&code_verifier=$V" "$base/oidc/token"
}

# 1. The disk works: a whole login, tokens issued, ready.
code=$(login_code jar1)
[ -n "$code" ] || fail "no code while the disk works"
[ "$(token "$code")" = 200 ] || fail "token while the disk works: $(cat "$tmp/tok.json")"
jq -e '.access_token and .id_token' "$tmp/tok.json" >/dev/null || fail "no tokens: $(cat "$tmp/tok.json")"
curl -s "$base/readyz" | jq -e '.status == "ready" and .checks.audit == "ok"' >/dev/null || fail "not ready at first"
metric() { curl -s "$base/metrics" | sed -n "s/^$1 \\([0-9]*\\)$/\\1/p"; }
[ "$(metric eidgw_audit_failed)" = 0 ] || fail "eidgw_audit_failed not 0"
[ "$(metric eidgw_audit_syncs_total)" -ge 1 ] || fail "eidgw_audit_syncs_total: $(metric eidgw_audit_syncs_total)"
[ "$(metric eidgw_audit_records)" -ge 5 ] || fail "eidgw_audit_records: $(metric eidgw_audit_records)"
pass "disk works: login, tokens, ready (audit ok), audit metrics"

# 2. A code is handed out, then the disk breaks before the token exchange.
code=$(login_code jar2)
[ -n "$code" ] || fail "no second code"
touch "$tmp/disk-broken"
st=$(token "$code")
[ "$st" = 500 ] || fail "token with a broken disk: status $st, body $(cat "$tmp/tok.json")"
jq -e '.error == "server_error" and (has("access_token") | not) and (has("id_token") | not)' \
  "$tmp/tok.json" >/dev/null || fail "token answer with a broken disk: $(cat "$tmp/tok.json")"
grep -q '"event":"audit.not_durable"' "$tmp/log" || fail "no audit.not_durable log line"
pass "tokens whose record cannot reach the disk are not handed out (500 server_error)"

# 3. The failure is sticky and visible: /readyz 503 with audit failed, even once the disk is back.
rm -f "$tmp/disk-broken"
st=$(curl -s -o "$tmp/ready.json" -w '%{http_code}' "$base/readyz")
[ "$st" = 503 ] || fail "readyz after the audit failure: $st"
jq -e '.checks.audit == "failed"' "$tmp/ready.json" >/dev/null || fail "readyz body: $(cat "$tmp/ready.json")"
[ "$(metric eidgw_audit_failed)" = 1 ] || fail "eidgw_audit_failed not 1 after the failure"
pass "readyz: 503, audit failed (sticky until restart); eidgw_audit_failed 1"

# 4. Further logins are refused at their first audited step: no code leaves.
code=$(login_code jar3)
[ -z "$code" ] || fail "a code was handed out with a failed audit log"
kill -0 "$gw" || fail "eidgw died"
pass "no code is handed out while the audit log is failed; daemon alive"

# 5. Stop; what reached the disk verifies (no final checkpoint: the log had failed), and the
#    first login's tokens_issued is in it.
kill -TERM "$gw"; wait "$gw" || true; gw=
"$cli" verify --key "$tmp/certs/dev/audit-signing.pub" "$tmp/var/audit/audit-000001.log" \
  > "$tmp/verify.out" 2>&1 || { cat "$tmp/verify.out" >&2; fail "the log does not verify after the failure"; }
[ "$(grep -c '"event":"tokens_issued"' "$tmp/var/audit/audit-000001.log")" -ge 1 ] ||
  fail "the first login's tokens_issued is missing"
pass "the log verifies up to the failure"
echo "audit fault: all checks passed"
