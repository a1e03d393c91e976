#!/usr/bin/env bash
# The audit log survives a crash: eidgw is killed with SIGKILL in the middle
# of a stream of logins, started again on the same log, and `eidgw-audit
# verify` then passes; every login whose answer reached the client (the
# connector return that carried the code, and the token response) is in the
# log.  The records of those logins carry no PersonIdentifier, name or birth
# date.  Logins go through the test-auto plugin connector.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
audit=$build/gateway/eidgw-audit
tmp=$(mktemp -d /tmp/eidgw-crash-XXXXXX)
gw= loop=
cleanup() {
  [ -n "$loop" ] && kill "$loop" 2>/dev/null || true
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
n_ok=0
fail() { echo "FAIL: $*" >&2; grep -v http.request "$tmp/log" 2>/dev/null | tail -n 10 >&2; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }

mkdir -p "$tmp/certs"
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
cp -r "$src/conf" "$tmp/conf"
rm -f "$tmp/conf/countries/"*.yaml
cat > "$tmp/conf/countries/BE.yaml" <<YAML
country: BE
name: "Test (BE)"
enabled: true
connector: test-auto
max_loa: high
plugin_settings:
  i_understand_this_is_for_tests: true
  person_identifier: BE/BE/CRASH-7731
  family_name: Vandersteen
  given_name: Willy
  birth_date: 1913-02-15
  loa: high
YAML
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i -e "s/^\(  listen: \).*/\1127.0.0.1:$port/" -e "s|^\(  public_url: \).*|\1http://127.0.0.1:$port|" \
  -e "s|^clients_dir:|plugins_dir: $build/connectors\nclients_dir:|" "$tmp/conf/gateway.yaml"
grep -q '^  enabled: true' "$tmp/conf/gateway.yaml" || fail "demo config has the audit log off"

start() {
  "$bin" --config "$tmp/conf/gateway.yaml" 2>> "$tmp/log" &
  gw=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$gw" 2>/dev/null || fail "eidgw exited at start"
    sleep 0.1
  done
  fail "eidgw did not start"
}

base=http://127.0.0.1:$port
cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
q="client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid%20profile&state=s&nonce=n&code_challenge=$C&code_challenge_method=S256&country=BE"

# One login after another; for each answer the client received, note the request id.
logins() {
  local i r hdr code
  for i in $(seq 1 400); do
    r=$(curl -s -m 2 -o /dev/null -w '%{redirect_url}' "$base/oidc/authorize?$q") || return 0
    [ -n "$r" ] || return 0
    hdr=$(curl -s -m 2 -o /dev/null -D - "$r") || return 0
    code=$(printf %s "$hdr" | tr -d '\r' | sed -n 's/^Location: .*code=\([^&]*\).*/\1/p')
    [ -n "$code" ] || return 0
    printf '%s\n' "$hdr" | tr -d '\r' | sed -n 's/^X-Request-Id: //p' >> "$tmp/returned"
    hdr=$(curl -s -m 2 -D - -o "$tmp/tok" -u demo-service:demo-service-secret-change-me-0123456789 \
      -d "grant_type=authorization_code&code=$code&redirect_uri=$cb&code_verifier=$V" "$base/oidc/token") || return 0
    grep -q '"id_token"' "$tmp/tok" 2>/dev/null || return 0
    printf '%s\n' "$hdr" | tr -d '\r' | sed -n 's/^X-Request-Id: //p' >> "$tmp/tokens"
  done
}

: > "$tmp/returned"; : > "$tmp/tokens"
start
logins & loop=$!
sleep 2.5
kill -9 "$gw"; wait "$gw" 2>/dev/null || true; gw=
wait "$loop" 2>/dev/null || true; loop=
n_ret=$(wc -l < "$tmp/returned"); n_tok=$(wc -l < "$tmp/tokens")
[ "$n_ret" -ge 3 ] || fail "too few logins before the kill ($n_ret)"
pass "SIGKILL after $n_ret logins answered ($n_tok token responses)"

# Start again on the same log (a torn last record is recovered), then stop cleanly.
start
curl -fsS "$base/readyz" >/dev/null || fail "not ready after restart"
kill -TERM "$gw"; wait "$gw" || fail "unclean stop after restart"; gw=
pass "restarted on the same log and stopped cleanly"

files=$(ls "$tmp/var/audit/"audit-*.log | sort)
"$audit" verify --key "$tmp/certs/dev/audit-signing.pub" $files > "$tmp/verify.out" 2>&1 \
  || { cat "$tmp/verify.out" >&2; fail "eidgw-audit verify failed after the crash"; }
pass "eidgw-audit verify: $(tail -n 1 "$tmp/verify.out")"

missing=0
while read -r id; do
  grep -q "\"event\":\"response_accepted\".*\"req\":\"$id\"" $files || { echo "missing response_accepted for $id" >&2; missing=$((missing + 1)); }
done < "$tmp/returned"
while read -r id; do
  grep -q "\"event\":\"tokens_issued\".*\"req\":\"$id\"" $files || { echo "missing tokens_issued for $id" >&2; missing=$((missing + 1)); }
done < "$tmp/tokens"
[ "$missing" = 0 ] || fail "$missing answered steps are not in the audit log"
pass "every answered login step is in the log ($n_ret accepted, $n_tok token issues)"

for pii in "CRASH-7731" "Vandersteen" "Willy" "1913-02-15"; do
  grep -q "$pii" $files && fail "personal data '$pii' in the audit log"
done
grep -q '"subject":"[0-9a-f]\{64\}"' $files || fail "no keyed-hash subject in the log"
pass "no PersonIdentifier, name or birth date in the log; subjects as keyed hashes"
echo "$n_ok passed, 0 failed"
