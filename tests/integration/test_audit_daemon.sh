#!/usr/bin/env bash
# The audit log as the daemon writes it: start, config_loaded, a refused and
# an accepted SIGHUP reload, stop with a final checkpoint; the log verifies
# with only certs/dev/audit-signing.pub.  A second instance on the same audit
# directory is refused; an audit directory that cannot be used stops start-up
# with a clear message; after SIGKILL a restart recovers and the log is
# intact and sealed after a clean stop.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bdir=${EIDGW_BINARY_DIR:-$src/build}
bin=$bdir/gateway/eidgw
cli=$bdir/gateway/eidgw-audit
tmp=$(mktemp -d /tmp/eidgw-audit-daemon-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log" >&2; exit 1; }
pass() { echo "ok: $*"; }

mkdir -p "$tmp/certs" "$tmp/run"
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
cp -r "$src/conf/." "$tmp/run/"
sed -i -e 's/^\(  listen: \).*/\1127.0.0.1:0/' "$tmp/run/gateway.yaml"
grep -q 'path: ../var/audit' "$tmp/run/gateway.yaml" || fail "demo config has no audit path"
pub=$tmp/certs/dev/audit-signing.pub
alog=$tmp/var/audit/audit-000001.log

start() {
  "$bin" --config "$tmp/run/gateway.yaml" 2>> "$tmp/log" &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q '"event":"startup.listening"' "$tmp/log" 2>/dev/null && [ "$(grep -c '"event":"startup.listening"' "$tmp/log")" -ge "$1" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "eidgw exited during start-up"
    sleep 0.1
  done
  fail "no startup.listening line"
}

stop() {
  kill -TERM "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  pid=
  [ "$rc" = 0 ] || fail "SIGTERM exit status $rc"
}

# the lifecycle events in order (keys_loaded, metadata_changed etc. are left out)
events() {
  "$cli" show "$alog" | grep -o '"event":"[a-z_]*"' | cut -d'"' -f4 |
    grep -E '^(file_start|start|config_loaded|reload_refused|stop|recovered)$' | tr '\n' ' '
}

# 1. start, refused reload, good reload, stop.
start 1
cp "$tmp/run/gateway.yaml" "$tmp/good.yaml"
printf 'server: [\n' > "$tmp/run/gateway.yaml"
kill -HUP "$pid"
for _ in $(seq 1 50); do grep -q config.reload_refused "$tmp/log" && break; sleep 0.1; done
cp "$tmp/good.yaml" "$tmp/run/gateway.yaml"
kill -HUP "$pid"
for _ in $(seq 1 50); do grep -q '"event":"config.reloaded"' "$tmp/log" && break; sleep 0.1; done
sleep 0.2

# 2. A second instance on the same audit directory (another port) is refused.
set +e
"$bin" --config "$tmp/run/gateway.yaml" > "$tmp/second.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "second instance on the same audit log exited 0"
grep -q "in use by another process" "$tmp/second.out" || { cat "$tmp/second.out" >&2; fail "no clear message"; }
pass "second instance on the same audit directory: exit $rc, $(grep -o 'in use by another process' "$tmp/second.out")..."

stop
"$cli" verify --strict --key "$pub" "$alog" > "$tmp/v1" 2>&1 || { cat "$tmp/v1"; fail "daemon log does not verify"; }
ev=$(events)
[ "$ev" = "file_start start config_loaded reload_refused config_loaded stop " ] || fail "events: $ev"
h=$("$cli" show --event config_loaded "$alog" | head -1 | grep -o '"config_hash":"[0-9a-f]\{64\}"') || fail "no config hash"
pass "start/reload refused/reload/stop recorded and sealed: $ev($h); $(grep files: "$tmp/v1")"

# 3. SIGKILL, restart, stop: intact and sealed.
start 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
"$cli" verify --key "$pub" "$alog" > "$tmp/v2" 2>&1 || { cat "$tmp/v2"; fail "log after SIGKILL"; }
start 3
stop
"$cli" verify --strict --key "$pub" "$alog" > "$tmp/v3" 2>&1 || { cat "$tmp/v3"; fail "log after restart"; }
ev=$(events)
[ "$ev" = "file_start start config_loaded reload_refused config_loaded stop start config_loaded start config_loaded stop " ] || fail "events after SIGKILL: $ev"
pass "SIGKILL then restart: $(grep -c UNCONFIRMED "$tmp/v2") unconfirmed tail before, sealed after; $(grep files: "$tmp/v3")"

# 4. An audit path that cannot be used: exit non-zero, clear message.
printf 'x' > "$tmp/notadir"
sed -i -e "s|path: ../var/audit|path: $tmp/notadir/audit|" "$tmp/run/gateway.yaml"
set +e
"$bin" --config "$tmp/run/gateway.yaml" > "$tmp/bad.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "unusable audit path: exit 0"
grep -q "eidgw: audit log .*notadir" "$tmp/bad.out" || { cat "$tmp/bad.out" >&2; fail "no clear message"; }
pass "unusable audit path: exit $rc, $(grep -o 'eidgw: audit log.*' "$tmp/bad.out" | cut -c1-120)"
echo "4 passed, 0 failed"
