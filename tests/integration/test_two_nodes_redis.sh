#!/usr/bin/env bash
# Two eidgw nodes sharing one real Redis (as behind a load balancer): a login
# started on node A finishes on node B; its code is redeemed on A; a replayed
# connector answer is refused by the other node; with Redis stopped a new
# login is refused cleanly (temporarily_unavailable, no crash, no skipped
# check), and logins work again once Redis is back, without restarting eidgw.
# The connector is the test-auto plugin (its single-use ticket lives in the
# shared store too).
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
tmp=$(mktemp -d /tmp/eidgw-2n-XXXXXX)
pa= pb= rd=
cleanup() {
  for p in $pa $pb $rd; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
n_ok=0
fail() { echo "FAIL: $*" >&2; for f in a b; do grep -v http.request "$tmp/log.$f" 2>/dev/null | tail -n 8 >&2; done; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/install-deps.sh installs it)"

rport=$(free_port)
start_redis() {
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --daemonize no >"$tmp/redis.log" 2>&1 &
  rd=$!
  for _ in $(seq 1 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
  fail "redis did not start"
}
start_redis

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
  person_identifier: BE/BE/TEST-0002
  family_name: Janssens
  given_name: Marie
  birth_date: 1985-12-24
  loa: substantial
YAML
pa_port=$(free_port); pb_port=$(free_port)
sed -i -e "s|^\(  public_url: \).*|\1http://127.0.0.1:$pa_port|" \
  -e "s|^\(  backend: \)lmdb|\1redis\n  redis_url: \"redis://127.0.0.1:$rport\"\n  redis_timeout_ms: 300|" \
  -e "/^  path: ..\/var\/store/d" -e "/^  lmdb_map_size/d" \
  -e "s|^clients_dir:|plugins_dir: $build/connectors\nclients_dir:|" "$tmp/conf/gateway.yaml"
sed -e "s/^\(  listen: \).*/\1127.0.0.1:$pa_port/" "$tmp/conf/gateway.yaml" > "$tmp/conf/a.yaml"
# each node keeps its own audit log (one writer per log)
sed -e "s/^\(  listen: \).*/\1127.0.0.1:$pb_port/" -e "s|^\(  path: \.\./var/audit\)|\1-b|" \
  "$tmp/conf/gateway.yaml" > "$tmp/conf/b.yaml"
"$bin" --check-config "$tmp/conf/a.yaml" >/dev/null || { "$bin" --check-config "$tmp/conf/a.yaml"; fail "config"; }
"$bin" --config "$tmp/conf/a.yaml" 2> "$tmp/log.a" & pa=$!
"$bin" --config "$tmp/conf/b.yaml" 2> "$tmp/log.b" & pb=$!
for f in a b; do
  for _ in $(seq 1 100); do grep -q startup.listening "$tmp/log.$f" && break; sleep 0.1; done
  grep -q startup.listening "$tmp/log.$f" || fail "node $f did not start"
done
A=http://127.0.0.1:$pa_port B=http://127.0.0.1:$pb_port
cb=http%3A%2F%2F127.0.0.1%3A8090%2Fcallback
V=0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ
C=$(printf %s "$V" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
q="client_id=demo-service&redirect_uri=$cb&response_type=code&scope=openid%20profile&state=s&nonce=n&code_challenge=$C&code_challenge_method=S256&country=BE"
loc() { curl -s -o /dev/null -w '%{redirect_url}' "$@"; }

# 1. Start on A, come back on B, redeem the code on A.
r1=$(loc "$A/oidc/authorize?$q")
case "$r1" in "$A/login/return?"*) ;; *) fail "start on A: $r1" ;; esac
r1b=${r1/$A/$B}
r2=$(loc "$r1b")
case "$r2" in *"code="*) ;; *) fail "finish on B: $r2" ;; esac
code=$(printf %s "$r2" | sed 's/.*code=\([^&]*\).*/\1/')
tok=$(curl -s -u demo-service:demo-service-secret-change-me-0123456789 \
  -d "grant_type=authorization_code&code=$code&redirect_uri=$cb&code_verifier=$V" "$A/oidc/token")
printf %s "$tok" | jq -e .id_token >/dev/null || fail "code from B not redeemable on A: $tok"
grep -q '"event":"login.success"' "$tmp/log.b" || fail "B did not finish the login"
pass "login started on A finished on B, code redeemed on A"

# 2. The same answer replayed to the other node is refused.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$r1")" = 400 ] || fail "replay on A accepted"
pass "replayed answer refused by the other node"

# 3. Redis down: a new login is refused cleanly.
kill "$rd"; wait "$rd" 2>/dev/null || true; rd=
r=$(loc "$A/oidc/authorize?$q")
case "$r" in *"error=temporarily_unavailable"*) ;; *) fail "login with Redis down: $r" ;; esac
curl -fsS "$A/healthz" >/dev/null || fail "node A not alive with Redis down"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$B/readyz")" = 503 ] || fail "readyz with Redis down"
pass "Redis down: temporarily_unavailable, node alive, not ready"

# 4. Redis back: logins work again without restarting eidgw.
start_redis
ok=
for _ in $(seq 1 40); do
  r=$(loc "$B/oidc/authorize?$q")
  case "$r" in "$A/login/return?"*) ok=1; break ;; esac
  sleep 0.25
done
[ -n "$ok" ] || fail "no login after Redis came back: $r"
r2=$(loc "${r/$A/$B}")
case "$r2" in *"code="*) ;; *) fail "finish after recovery: $r2" ;; esac
[ "$(curl -s -o /dev/null -w '%{http_code}' "$A/readyz")" = 200 ] || fail "readyz after recovery"
pass "Redis back: logins work again, ready"

kill -TERM "$pa" "$pb"; wait "$pa" || fail "A unclean stop"; wait "$pb" || fail "B unclean stop"; pa= pb=
kill "$rd"; wait "$rd" 2>/dev/null || true; rd=
echo "$n_ok passed, 0 failed"
