#!/usr/bin/env bash
# The benchmark programs keep working, and eidgw stays correct under
# concurrent whole logins (figures are printed, never asserted: a smoke
# test, not a timed test).  With the build under test (ASan in CI's second
# pass): keys for the EC profile, bench-stages for a moment, then eidgw with
# 2 worker threads and the LMDB store under bench-login's load (4 concurrent
# browsers/RPs/IdP, 3 s): every login must complete (errors 0), and the
# audit log written under that load must verify with eidgw-audit.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${EIDGW_BINARY_DIR:-$src/build}
bin=$build/gateway/eidgw
stages=$build/bench/bench-stages
loadgen=$build/bench/bench-login
tmp=$(mktemp -d /tmp/eidgw-bsmoke-XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
log() { printf 'bench-smoke: %s\n' "$*" >&2; }
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/c/eidgw.log" ] && grep -v http.request "$tmp/c/eidgw.log" | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; }
for t in "$stages" "$loadgen" "$bin"; do [ -x "$t" ] || fail "$t not built"; done
command -v jq >/dev/null || fail "jq is required"

. "$src/scripts/bench-lib.sh"

k=$tmp/keys
make_keys "$k" ec
"$loadgen" metadata --keys "$k" --profile ec --out "$k/idp-metadata.xml" || fail "bench-login metadata"
"$stages" --keys "$k" --profile ec --seconds 0.05 --json "$tmp/stages.json" > "$tmp/stages.txt" ||
  fail "bench-stages: $(tail -n 5 "$tmp/stages.txt")"
crypto=$(jq '.floor.crypto_us_per_login' "$tmp/stages.json")
jq -e '.floor.crypto_us_per_login > 0 and .floor.response_verify_us > 0' "$tmp/stages.json" >/dev/null ||
  fail "bench-stages JSON: $(head -c 400 "$tmp/stages.json")"
pass "bench-stages runs and reports a crypto floor ($crypto us per login)"

port=$(free_port)
make_conf "$tmp/c" "$k" ec "$port" 2 lmdb
start_gw "$tmp/c/gateway.yaml" "$tmp/c/eidgw.log"
"$loadgen" run --keys "$k" --profile ec --url "http://127.0.0.1:$port" --pid "$gw_pid" \
  --seconds 3 --warmup 1 --concurrency 4 --crypto-us "$crypto" --label smoke \
  --json "$tmp/run.json" > "$tmp/run.txt" 2>&1 || fail "bench-login run: $(tail -n 8 "$tmp/run.txt")"
jq -e '.errors == 0 and .logins > 0' "$tmp/run.json" >/dev/null ||
  fail "logins under load: $(jq -c '{logins, errors}' "$tmp/run.json"); $(tail -n 5 "$tmp/run.txt")"
pass "$(jq -r '"\(.logins) whole logins under 4-way concurrency, 0 errors"' "$tmp/run.json")"
read -r syncs logins < <(audit_counts "$port")
[ "${logins:-0}" -gt 0 ] || fail "no successful logins in /metrics"
stop_gw "$gw_pid"
openssl pkey -in "$k/audit-signing.key" -pubout -out "$tmp/audit.pub" 2>/dev/null || fail "audit public key"
"$build/gateway/eidgw-audit" verify --strict --key "$tmp/audit.pub" "$tmp/c/audit"/audit-*.log \
  > "$tmp/verify.txt" 2>&1 ||
  fail "audit log written under load does not verify: $(tail -n 5 "$tmp/verify.txt")"
pass "the audit log written under that load verifies ($syncs syncs for $logins logins)"
