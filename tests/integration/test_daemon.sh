#!/usr/bin/env bash
# The eidgw daemon as an operator runs it: the shipped demo configuration
# validates; the daemon starts, answers /healthz /readyz /metrics; SIGHUP with
# a broken file leaves it serving; SIGHUP with a good file swaps it; a second
# instance on a taken port exits non-zero with a clear message; SIGTERM
# stops it cleanly (exit 0).
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${EIDGW_BINARY_DIR:-$src/build}/gateway/eidgw
tmp=$(mktemp -d /tmp/eidgw-daemon-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log" >&2; exit 1; }
pass() { echo "ok: $*"; }

# 1. The shipped demo configuration is valid once its development PKI exists.
cp -r "$src/conf" "$tmp/conf"
mkdir -p "$tmp/certs"
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
"$bin" --check-config "$tmp/conf/gateway.yaml" > "$tmp/check.out" 2>&1 \
  || { cat "$tmp/check.out" >&2; fail "demo config does not validate"; }
pass "demo config validates: $(cat "$tmp/check.out")"

# 2. A broken config names file:line and exits 2.
cp -r "$tmp/conf" "$tmp/bad"
printf 'server:\n  listen: 127.0.0.1:8080\n  no_such_key: 1\n' > "$tmp/bad/gateway.yaml"
set +e
"$bin" --check-config "$tmp/bad/gateway.yaml" > "$tmp/bad.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "--check-config on a broken file exited $rc, want 2"
grep -q "gateway.yaml:3:" "$tmp/bad.out" || { cat "$tmp/bad.out" >&2; fail "no file:line for the unknown key"; }
pass "broken config: exit 2 with $(grep -m1 'gateway.yaml:3:' "$tmp/bad.out")"

# 3. Start on a free port (listen port 0) with a memory store.
mkdir -p "$tmp/run"
cp -r "$tmp/conf/." "$tmp/run/"
sed -i -e 's/^\(  listen: \).*/\1127.0.0.1:0/' "$tmp/run/gateway.yaml"
"$bin" --config "$tmp/run/gateway.yaml" 2> "$tmp/log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -o '"event":"startup.listening"[^}]*"port":"[0-9]*"' "$tmp/log" 2>/dev/null | grep -o '"port":"[0-9]*"' | grep -o '[0-9]*' || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "eidgw exited during start-up"
  sleep 0.1
done
[ -n "$port" ] || fail "no startup.listening line"
base=http://127.0.0.1:$port
grep -q '"status":"ok"' <<<"$(curl -fsS "$base/healthz")" || fail "/healthz"
grep -q '"status":"ready"' <<<"$(curl -fsS "$base/readyz")" || fail "/readyz"
grep -q 'eidgw_http_requests_total{route="healthz",code="200"} 1' <<<"$(curl -fsS "$base/metrics")" || fail "/metrics"
pass "serving on $base: healthz, readyz, metrics"

# every log line is one JSON object
while IFS= read -r line; do
  printf '%s' "$line" | jq -e . >/dev/null 2>&1 || fail "log line is not JSON: $line"
done < "$tmp/log"
pass "log lines are JSON"

# 4. SIGHUP with a broken file: refused, still serving.
cp "$tmp/run/gateway.yaml" "$tmp/gateway.yaml.good"
printf 'server: [\n' > "$tmp/run/gateway.yaml"
kill -HUP "$pid"
for _ in $(seq 1 50); do grep -q config.reload_refused "$tmp/log" && break; sleep 0.1; done
grep -q config.reload_refused "$tmp/log" || fail "broken reload not reported"
curl -fsS "$base/healthz" >/dev/null || fail "not serving after a refused reload"
pass "SIGHUP with a broken file: refused and still serving"

# 5. SIGHUP with a good file: swapped.
cp "$tmp/gateway.yaml.good" "$tmp/run/gateway.yaml"
kill -HUP "$pid"
for _ in $(seq 1 50); do grep -q '"event":"config.reloaded"' "$tmp/log" && break; sleep 0.1; done
grep -q '"event":"config.reloaded"' "$tmp/log" || fail "good reload not applied"
grep -q 'eidgw_config_reloads_total{result="ok"} 1' <<<"$(curl -fsS "$base/metrics")" || fail "reload metric"
grep -q 'eidgw_config_reloads_total{result="refused"} 1' <<<"$(curl -fsS "$base/metrics")" || fail "refused metric"
pass "SIGHUP with a good file: swapped"

# 6. A second instance on the taken port exits non-zero and says why.
# (its own audit log: the first instance holds the lock on the shared one)
sed -e "s/^\(  listen: \).*/\1127.0.0.1:$port/" -e "s|^\(  path: \.\./var/audit\)|\1-second|" \
  "$tmp/run/gateway.yaml" > "$tmp/run/second.yaml"
set +e
"$bin" --config "$tmp/run/second.yaml" > "$tmp/second.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "second instance on a taken port exited 0"
grep -q "Address already in use" "$tmp/second.out" || { cat "$tmp/second.out" >&2; fail "no clear message for a taken port"; }
pass "taken port: exit $rc, 'Address already in use'"

# 7. SIGTERM: clean stop, exit 0.
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
[ "$rc" = 0 ] || fail "SIGTERM exit status $rc"
grep -q '"event":"shutdown.done"' "$tmp/log" || fail "no shutdown.done line"
pass "SIGTERM: clean stop"
echo "7 passed, 0 failed"
