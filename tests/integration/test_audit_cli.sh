#!/usr/bin/env bash
# eidgw-audit against real logs written by the audit library (through the
# helper mode of the unit-test binary gateway_test_audit --write-log):
# intact logs verify; a flipped byte, a deleted, reordered or inserted
# record, a mid-record truncation, a rewritten hash chain and a forged
# checkpoint are each reported at the right file:line with exit 1; a clean
# truncation after the last checkpoint is reported as unconfirmed (exit 0,
# exit 1 with --strict), and as TRUNCATED given an anchor checkpoint;
# rotated sets verify as one tree; inclusion and consistency proofs from
# prove pass check-proof and forged ones fail; one checkpoint signature is
# checked with the openssl CLI alone; show filters; hash-pii matches the
# record; a writer killed with SIGKILL mid-stream loses no acknowledged
# record and its log verifies and continues after restart; a key change
# verifies with both keys.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bdir=${EIDGW_BINARY_DIR:-$src/build}
cli=$bdir/gateway/eidgw-audit
writer=$bdir/tests/gateway_test_audit
tmp=$(mktemp -d /tmp/eidgw-audit-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

n_ok=0
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }

# run EXPECTED_RC OUTFILE cmd...: runs cmd, checks its exit status
run() {
  local want=$1 out=$2 rc
  shift 2
  set +e
  "$@" > "$out" 2>&1
  rc=$?
  set -e
  [ "$rc" = "$want" ] || { cat "$out" >&2; fail "$* exited $rc, want $want"; }
}

openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
openssl pkey -in ed.key -pubout -out ed.pub
openssl genpkey -algorithm ed25519 -out other.key 2>/dev/null
openssl pkey -in other.key -pubout -out other.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl pkey -in ec.key -pubout -out ec.pub

# The base log: 150 records (+ file_start), a checkpoint every 16, closed.
"$writer" --write-log base "$tmp/ed.key" 150 16 >/dev/null 2>&1 || fail "writer failed"
log=base/audit-000001.log
run 0 v.out "$cli" verify --key ed.pub "$log"
grep -q "^OK: intact" v.out || fail "intact log not OK"
grep -q "records 0..150 (151), checkpoints: 10" v.out || { cat v.out; fail "counts"; }
pass "intact log: $(grep files: v.out)"

line_of() { grep -n "\"i\":$1,\"ts\"" "$2" | cut -d: -f1; }
fresh() { rm -rf t; cp -r base t; }
tl=t/audit-000001.log

# 1. Flip one byte in record 50 (still valid JSON): caught at the next line, naming line L.
fresh
L=$(line_of 50 $tl)
sed -i "${L}s/\"txn\":\"txn-49\"/\"txn\":\"txn-4X\"/" $tl
run 1 o1 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$((L + 1)): record 51: hash chain broken: \"prev\" is not the hash of line $L (line $L was altered" o1 \
  || { cat o1; fail "flip not located"; }
pass "flipped byte: $(head -1 o1)"

# 1b. Flip a byte that breaks the JSON: caught on that line.
fresh
sed -i "${L}s/\"f\":{/\"f\":[/" $tl
run 1 o1b "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$L: record 50: not a JSON object" o1b || { cat o1b; fail "broken JSON"; }
pass "broken JSON: $(head -1 o1b)"

# 2. Delete record 50.
fresh
sed -i "${L}d" $tl
run 1 o2 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$L: record 50: line holds record 51 (records missing or reordered" o2 || { cat o2; fail "delete"; }
pass "deleted record: $(head -1 o2)"

# 3. Swap records 50 and 51.
fresh
sed -i "${L}{h;d};$((L + 1)){G}" $tl
[ "$(line_of 51 $tl)" = "$L" ] || fail "swap did not happen"
run 1 o3 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$L: record 50: line holds record 51" o3 || { cat o3; fail "reorder"; }
pass "reordered records: $(head -1 o3)"

# 4a. Insert a copy of record 50 after it.
fresh
sed -i "${L}p" $tl
run 1 o4 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$((L + 1)): record 51: line holds record 50 (record repeated, inserted" o4 || { cat o4; fail "dup insert"; }
pass "inserted duplicate: $(head -1 o4)"

# 4b. Insert a made-up record with the right index.
fresh
sed -i "${L}a {\"type\":\"record\",\"i\":51,\"ts\":\"2026-11-29T10:00:00.000Z\",\"event\":\"tokens_issued\",\"prev\":\"$(printf '%064d' 0)\",\"f\":{\"client\":\"evil\"}}" $tl
run 1 o4b "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$((L + 1)): record 51: hash chain broken" o4b || { cat o4b; fail "forged insert"; }
pass "inserted forged record: $(head -1 o4b)"

# 5. Truncate in the middle of record 100.
fresh
L100=$(line_of 100 $tl)
cut_at=$(( $(head -n $((L100 - 1)) $tl | wc -c) + 40 ))
truncate -s $cut_at $tl
run 1 o5 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$L100: record 100: TRUNCATED in the middle of a line" o5 || { cat o5; fail "mid-record cut"; }
pass "mid-record truncation: $(head -1 o5)"

# 6. Clean truncation after the last checkpoint (size 144): records 144..147 kept.
fresh
L147=$(line_of 147 $tl)
head -n "$L147" base/audit-000001.log > $tl
run 0 o6 "$cli" verify --key ed.pub $tl
grep -q "UNCONFIRMED: records 144..147 (4) come after the last checkpoint" o6 || { cat o6; fail "unconfirmed tail"; }
run 1 o6s "$cli" verify --strict --key ed.pub $tl
pass "clean truncation after the last checkpoint: $(grep UNCONFIRMED o6 | cut -c1-80)... (exit 0; --strict exit 1)"

# 7. A record changed and the whole hash chain recomputed: the signed root catches it.
fresh
python3 - "$tl" <<'PY'
import hashlib, sys, re
p = sys.argv[1]
lines = open(p, 'rb').read().split(b'\n')[:-1]
out, prev = [], None
for ln in lines:
    if b'"i":50,' in ln:
        ln = ln.replace(b'"txn-49"', b'"txn-XX"')
    if prev is not None:
        ln = re.sub(rb'"prev":"[0-9a-f]{64}"', b'"prev":"' + hashlib.sha256(prev).hexdigest().encode() + b'"', ln)
    out.append(ln)
    prev = ln
open(p, 'wb').write(b'\n'.join(out) + b'\n')
PY
Lcp=$(grep -n '"type":"checkpoint","size":64,' $tl | cut -d: -f1)
run 1 o7 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$Lcp: checkpoint (size 64): signed root differs" o7 || { cat o7; fail "rewritten chain"; }
pass "rewritten chain: $(head -1 o7)"

# 8. Forged checkpoint signature, and the wrong key.
fresh
Lcp=$(grep -n '"type":"checkpoint","size":32,' $tl | cut -d: -f1)
python3 - "$tl" "$Lcp" <<'PY'
import sys, base64, re
p, n = sys.argv[1], int(sys.argv[2])
lines = open(p).read().split('\n')
m = re.search(r'"sig":"([^"]+)"', lines[n - 1])
sig = bytearray(base64.b64decode(m.group(1)))
sig[10] ^= 1
lines[n - 1] = lines[n - 1].replace(m.group(1), base64.b64encode(bytes(sig)).decode())
open(p, 'w').write('\n'.join(lines))
PY
run 1 o8 "$cli" verify --key ed.pub $tl
grep -q "audit-000001.log:$Lcp: checkpoint (size 32): signature does not verify" o8 || { cat o8; fail "bad sig"; }
run 1 o8b "$cli" verify --key other.pub base/audit-000001.log
grep -q "audit-000001.log:[0-9]*: checkpoint (size 16): signed by key" o8b || { cat o8b; fail "wrong key"; }
pass "forged signature: $(head -1 o8); wrong key: $(head -1 o8b | cut -c1-90)..."

# 9. Rotation: one tree across two files.
"$writer" --write-log rot "$tmp/ed.key" 100 16 60 >/dev/null 2>&1 || fail "writer (rotation) failed"
run 0 o9 "$cli" verify --key ed.pub rot/audit-000001.log rot/audit-000002.log
grep -q "files: 2, records 0..101 (102)" o9 || { cat o9; fail "rotated set"; }
run 0 o9b "$cli" verify --key ed.pub rot/audit-000002.log
grep -q "continues an earlier file" o9b || { cat o9b; fail "second file alone"; }
run 1 o9c "$cli" verify --key ed.pub rot/audit-000002.log rot/audit-000001.log
run 1 o9d "$cli" verify --key ed.pub rot/audit-000001.log rot/audit-000001.log
pass "rotation: $(grep files: o9); wrong order: $(head -1 o9c | cut -c1-100)..."

# 10. Proofs: inclusion for many (record, checkpoint) pairs, consistency for all checkpoint pairs.
sizes=$(grep -o '"type":"checkpoint","size":[0-9]*' $log | grep -o '[0-9]*$')
ni=0
for r in 0 1 15 16 17 31 50 63 64 99 127 128 143 150; do
  for m in $sizes; do
    [ "$r" -lt "$m" ] || continue
    run 0 p.json "$cli" prove --key ed.pub --record "$r" --checkpoint "$m" $log
    run 0 c.out "$cli" check-proof --key ed.pub p.json
    ni=$((ni + 1))
  done
done
nc=0
for a in 0 $sizes; do
  for b in $sizes; do
    [ "$a" -le "$b" ] || continue
    [ "$a" = 0 ] && continue
    run 0 q.json "$cli" prove --key ed.pub --consistency "$a" "$b" $log
    run 0 c.out "$cli" check-proof --key ed.pub q.json
    nc=$((nc + 1))
  done
done
pass "$ni inclusion and $nc consistency proofs generated and checked"

# 11. Forged proofs.
run 0 p.json "$cli" prove --record 50 --checkpoint 96 $log
run 0 q.json "$cli" prove --consistency 32 last $log
forge() { # forge IN OUT python-expression-on-o
  python3 - "$1" "$2" "$3" <<'PY'
import sys, json
o = json.load(open(sys.argv[1]))
def flip(h): return ('0' if h[0] != '0' else '1') + h[1:]
exec(sys.argv[3])
json.dump(o, open(sys.argv[2], 'w'))
PY
}
forge p.json f1.json "o['path'][1] = flip(o['path'][1])"
forge p.json f2.json "o['leaf_index'] = 51"
forge p.json f3.json "o['tree_size'] = 112"
forge p.json f4.json "o['record'] = o['record'].replace('txn-49', 'txn-48'); del o['leaf_hash']"
forge p.json f5.json "o['checkpoint']['root'] = flip(o['checkpoint']['root'])"
forge p.json f6.json "o['checkpoint']['sig'] = ('B' if o['checkpoint']['sig'][0] != 'B' else 'C') + o['checkpoint']['sig'][1:]"
forge p.json f7.json "o['checkpoint']['size'] = 112; o['tree_size'] = 112"
forge p.json f8.json "o['path'] = o['path'][:-1]"
forge q.json f9.json "o['path'][0] = flip(o['path'][0])"
forge q.json f10.json "o['first']['size'] = 48"
forge q.json f11.json "o['second']['root'] = flip(o['second']['root'])"
for f in f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11; do
  run 1 "$f.out" "$cli" check-proof --key ed.pub "$f.json"
  grep -q '^INVALID' "$f.out" || { cat "$f.out"; fail "$f"; }
done
run 1 w.out "$cli" check-proof --key other.pub p.json
pass "11 forged proofs and a wrong key rejected ($(cat f1.out); $(cat f6.out | cut -c1-60)...)"

# 12. One checkpoint checked with the openssl CLI alone (Ed25519, -rawin).
cp_line=$(grep '"type":"checkpoint","size":48,' $log)
field() { python3 -c 'import sys,json; print(json.loads(sys.argv[1])[sys.argv[2]])' "$cp_line" "$1"; }
printf 'eidgw-audit checkpoint v1\n%s\n%s\n%s\n%s\n' "$(field size)" "$(field root)" "$(field ts)" "$(field key_id)" > cp.txt
field sig | base64 -d > cp.sig
openssl pkeyutl -verify -pubin -inkey ed.pub -rawin -in cp.txt -sigfile cp.sig > ossl.out 2>&1 || { cat ossl.out; fail "openssl rejects the checkpoint"; }
kid=$(openssl pkey -pubin -in ed.pub -outform DER | sha256sum | cut -c1-16)
[ "$kid" = "$(field key_id)" ] || fail "key id $kid != $(field key_id)"
pass "openssl pkeyutl -verify -rawin: $(cat ossl.out); key id = first 8 bytes of SHA-256(SPKI DER) = $kid"

# 13. EC P-256 log; checkpoint checked with openssl dgst.
"$writer" --write-log eclog "$tmp/ec.key" 40 8 >/dev/null 2>&1 || fail "writer (EC) failed"
run 0 o13 "$cli" verify --key ec.pub eclog/audit-000001.log
cp_line=$(grep -m1 '"type":"checkpoint"' eclog/audit-000001.log)
printf 'eidgw-audit checkpoint v1\n%s\n%s\n%s\n%s\n' "$(field size)" "$(field root)" "$(field ts)" "$(field key_id)" > ec.txt
field sig | base64 -d > ec.sig
[ "$(field alg)" = ES256 ] || fail "alg $(field alg)"
openssl dgst -sha256 -verify ec.pub -signature ec.sig ec.txt > ossl2.out 2>&1 || { cat ossl2.out; fail "openssl rejects the ES256 checkpoint"; }
pass "P-256 log verifies; openssl dgst -sha256 -verify: $(cat ossl2.out)"

# 14. show filters.
run 0 s.out "$cli" show --client demo-rp --country DE --event tokens_issued $log
want=$(grep '"event":"tokens_issued"' $log | grep '"client":"demo-rp"' | grep -c '"country":"DE"')
[ "$(wc -l < s.out)" = "$want" ] && [ "$want" -gt 0 ] || fail "show returned $(wc -l < s.out), want $want"
run 0 s2.out "$cli" show --event checkpoint $log
[ "$(wc -l < s2.out)" = 10 ] || fail "show checkpoints"
run 0 s3.out "$cli" show --from 2000-01-01T00:00:00Z --to 2000-01-02T00:00:00Z $log
[ ! -s s3.out ] || fail "time filter"
pass "show: $want tokens_issued for demo-rp/DE, 10 checkpoints, empty old time range"

# 15. hash-pii reproduces the keyed hash in the records (test key bytes 00..1f).
python3 -c 'import base64; print(base64.b64encode(bytes(range(32))).decode())' > hmac.key
h=$("$cli" hash-pii --hmac-key hmac.key "DE/AT/123456789")
grep -q "\"subject\":\"$h\"" $log || fail "hash-pii $h not in log"
! grep -q "DE/AT/123456789" $log || fail "PII in clear"
pass "hash-pii matches the subject field; no clear PersonIdentifier in the log"

# 16. Usage and I/O errors exit 2.
run 2 u1 "$cli"
run 2 u2 "$cli" verify --key ed.pub no-such-file.log
run 2 u3 "$cli" check-proof p.json
run 2 u4 "$cli" prove --record 1 $log
pass "usage and I/O errors exit 2"

# 17. SIGKILL in the middle of a stream: every acknowledged record survives, the log
#     verifies (with an unconfirmed tail), and a restart continues the same tree.
"$writer" --write-log killed "$tmp/ed.key" 1000000 50 0 ack > acks.out 2>/dev/null &
wpid=$!
for _ in $(seq 1 100); do
  [ "$(wc -l < acks.out)" -ge 300 ] && break
  sleep 0.1
done
kill -9 $wpid
wait $wpid 2>/dev/null || true
nack=$(wc -l < acks.out)
[ "$nack" -ge 300 ] || fail "writer too slow ($nack acks)"
last=$(tail -n 1 acks.out | grep -o '[0-9]*$')
klog=killed/audit-000001.log
# acked record k is leaf k + 1 (leaf 0 is the file_start); every one must be there
grep -q "\"i\":$((last + 1)),.*\"txn\":\"txn-$last\"" $klog || fail "acked record $last missing after SIGKILL"
run 0 o17 "$cli" verify --key ed.pub $klog
grep -q "^OK: intact" o17 || { cat o17; fail "killed log"; }
"$writer" --write-log killed "$tmp/ed.key" 5 50 >/dev/null 2>&1 || fail "restart after SIGKILL failed"
run 0 o17b "$cli" verify --strict --key ed.pub $klog
grep -q "UNCONFIRMED" o17b && fail "restart did not seal the log"
pass "SIGKILL after $nack acknowledged records (last acked $last present); restart continues: $(grep files: o17b)"

# 18. A key change continues the same log; verify takes one --key per key.
"$writer" --write-log keychange "$tmp/ed.key" 5 4 >/dev/null 2>&1 || fail "writer (key 1)"
"$writer" --write-log keychange "$tmp/ec.key" 5 4 >/dev/null 2>&1 || fail "writer (key 2)"
run 1 o18 "$cli" verify --key ec.pub keychange/audit-000001.log
run 0 o18b "$cli" verify --key ed.pub --key ec.pub keychange/audit-000001.log
pass "key change: one key: $(head -1 o18 | cut -c1-90)...; both keys: $(grep signatures: o18b)"

# 19. An anchor (a checkpoint kept elsewhere) makes a clean cut after it detectable.
grep '"type":"checkpoint","size":151,' $log > anchor.json
run 0 o19 "$cli" verify --key ed.pub --anchor anchor.json $log
grep -q "anchor: the log contains the anchored tree of size 151" o19 || { cat o19; fail "anchor on intact log"; }
fresh
head -n "$(line_of 147 $tl)" base/audit-000001.log > $tl
run 1 o19b "$cli" verify --key ed.pub --anchor anchor.json $tl
grep -q "TRUNCATED: the log ends at tree size 148, but the anchor (a checkpoint of size 151" o19b || { cat o19b; fail "anchor truncation"; }
run 0 p.json "$cli" prove --consistency 96 151 $log
run 0 o19c "$cli" verify --key ed.pub --anchor p.json $log
run 1 o19d "$cli" verify --key ed.pub --anchor f6.json $log
pass "anchor: $(head -1 o19b | cut -c1-100)...; a proof file works as anchor; a forged one is refused"

echo "all $n_ok audit CLI checks passed"
