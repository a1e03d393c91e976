#!/usr/bin/env bash
# bench.sh - the benchmarks of issue 6 (docs/performance.md): builds Release
# (-O2) into build-bench/, makes keys for each key profile, runs the crypto
# floor and the in-process stages, the whole login over HTTP on loopback at
# 1 and 2 eidgw worker threads, resident memory with pending logins (LMDB),
# and two eidgw nodes on one Redis; prints a table and writes a JSON file.
#
#   scripts/bench.sh [--profiles "eidas ec rsa2048"] [--seconds 10] [--concurrency 4]
#                    [--pending "10000 100000"] [--no-memory] [--no-redis]
#                    [--out FILE (default build-bench/bench-results.json)] [--quick] [--perf]
#
# --perf samples eidgw with perf(1) during each profile's 2-thread run and
# writes build-bench/perf-<profile>.txt (flat profile by shared object and
# by symbol).  --callgrind runs one more eidgw (1 thread, first profile)
# under valgrind's callgrind for a short load and writes the functions with
# the highest inclusive cost to build-bench/callgrind-<profile>.txt.
#
# Figures, never pass/fail.  Everything listens on 127.0.0.1 only, every
# run is bounded in time or count, and every process started here is
# stopped here (by its pid) on exit.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-bench
profiles="eidas ec rsa2048"
seconds=10
stage_seconds=1
conc=4
pending="10000 100000"
memory=1
redis=1
perf=0
callgrind=0
out=$src/build-bench/bench-results.json
while [ $# -gt 0 ]; do
  case $1 in
  --profiles) profiles=$2; shift 2 ;;
  --seconds) seconds=$2; shift 2 ;;
  --concurrency) conc=$2; shift 2 ;;
  --pending) pending=$2; shift 2 ;;
  --no-memory) memory=0; shift ;;
  --no-redis) redis=0; shift ;;
  --out) out=$2; shift 2 ;;
  --perf) perf=1; shift ;;
  --callgrind) callgrind=1; shift ;;
  --quick) seconds=3; stage_seconds=0.3; pending="2000 10000"; shift ;;
  *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

for t in cmake jq openssl curl python3; do
  command -v $t >/dev/null || { echo "bench.sh: $t is required (scripts/install-deps.sh)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/eidgw-bench-XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
log() { printf 'bench: %s\n' "$*" >&2; }

# 1. Build: Release with -O2, tests off (the benchmarks are ordinary targets).
log "building Release (-O2) in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DEIDGW_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target eidgw bench-stages bench-login >/dev/null
bin=$build/gateway/eidgw
stages=$build/bench/bench-stages
loadgen=$build/bench/bench-login

# The shared pieces: keys, configuration, start/stop (also used by the smoke test).
. "$src/scripts/bench-lib.sh"

machine=$(jq -n --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  --argjson nproc "$(nproc)" --arg kernel "$(uname -r)" --arg date "$(date -u +%FT%TZ)" \
  --arg commit "$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{cpu:$cpu, nproc:$nproc, kernel:$kernel, date:$date, commit:$commit, loadavg_at_start:$load}')
echo "machine: $(echo "$machine" | jq -r '"\(.nproc) x \(.cpu), load \(.loadavg_at_start), commit \(.commit)"')"

results=()
for p in $profiles; do
  k=$tmp/$p/keys
  log "profile $p: keys"
  make_keys "$k" "$p"
  "$loadgen" metadata --keys "$k" --profile "$p" --out "$k/idp-metadata.xml"
  echo
  echo "=== profile $p: crypto floor and stages (CPU time, one thread) ==="
  if ! "$stages" --keys "$k" --profile "$p" --seconds "$stage_seconds" \
      --json "$tmp/$p/stages.json"; then
    log "profile $p: the stage benchmark failed; profile skipped"
    continue
  fi
  crypto=$(jq .floor.crypto_us_per_login "$tmp/$p/stages.json")
  echo
  echo "=== profile $p: whole login over HTTP (LMDB store, concurrency $conc, ${seconds}s) ==="
  for th in 1 2; do
    port=$(free_port)
    make_conf "$tmp/$p/t$th" "$k" "$p" "$port" "$th" lmdb
    start_gw "$tmp/$p/t$th/gateway.yaml" "$tmp/$p/t$th/eidgw.log"
    perf_pid=
    if [ "$perf" = 1 ] && [ "$th" = 2 ] && command -v perf >/dev/null; then
      # after the load generator's warm-up (2 s), for the measured window
      (sleep 2; exec perf record -F 499 -p "$gw_pid" -o "$tmp/$p/perf.data" -- sleep "$seconds") \
        > /dev/null 2>&1 &
      perf_pid=$!
      pids+=("$perf_pid")
    fi
    ac0=$(audit_counts "$port")
    "$loadgen" run --keys "$k" --profile "$p" --url "http://127.0.0.1:$port" --pid "$gw_pid" \
      --seconds "$seconds" --concurrency "$conc" --crypto-us "$crypto" \
      --label "$p, $th eidgw thread(s)" --json "$tmp/$p/http-t$th.json" || \
      log "profile $p, $th thread(s): the run had errors (see above)"
    note_syncs "$tmp/$p/http-t$th.json" "$ac0" "$(audit_counts "$port")"
    if [ -n "$perf_pid" ]; then
      wait "$perf_pid" 2>/dev/null || true
      { echo "# eidgw, profile $p, 2 threads: share of CPU samples by shared object"
        perf report -i "$tmp/$p/perf.data" --stdio --sort dso 2>/dev/null | grep -v '^#' | grep . |
          sed -n 1,15p || true
        echo "# by symbol (top 40)"
        perf report -i "$tmp/$p/perf.data" --stdio --sort dso,symbol 2>/dev/null | grep -v '^#' |
          grep . | sed -n 1,40p | sed 's/ *- *- *$//' || true
      } > "$build/perf-$p.txt"
      log "perf profile: $build/perf-$p.txt"
    fi
    if [ "$th" = 2 ]; then
      # Latency at half of the peak just measured (paced logins, same daemon).
      half=$(jq '.logins_per_s / 2' "$tmp/$p/http-t2.json")
      ac0=$(audit_counts "$port")
      "$loadgen" run --keys "$k" --profile "$p" --url "http://127.0.0.1:$port" --pid "$gw_pid" \
        --seconds "$seconds" --concurrency "$conc" --crypto-us "$crypto" --rate "$half" \
        --label "$p, 2 eidgw threads, half of peak" --json "$tmp/$p/http-half.json" || \
        log "profile $p, half of peak: the run had errors (see above)"
      [ -s "$tmp/$p/http-half.json" ] && note_syncs "$tmp/$p/http-half.json" "$ac0" "$(audit_counts "$port")"
    fi
    stop_gw "$gw_pid"
  done
  # The same 2-thread run without the audit log (its group-committed fdatasync
  # is a durability choice; this shows what it costs), first profile only.
  echo '{}' > "$tmp/$p/http-noaudit.json"
  if [ "$p" = "${profiles%% *}" ]; then
    port=$(free_port)
    AUDIT=false make_conf "$tmp/$p/na" "$k" "$p" "$port" 2 lmdb
    start_gw "$tmp/$p/na/gateway.yaml" "$tmp/$p/na/eidgw.log"
    "$loadgen" run --keys "$k" --profile "$p" --url "http://127.0.0.1:$port" --pid "$gw_pid" \
      --seconds "$seconds" --concurrency "$conc" --crypto-us "$crypto" \
      --label "$p, 2 eidgw threads, audit log off" --json "$tmp/$p/http-noaudit.json" || \
      log "profile $p, audit off: the run had errors (see above)"
    stop_gw "$gw_pid"
  fi
  [ -s "$tmp/$p/http-half.json" ] || echo '{}' > "$tmp/$p/http-half.json"
  jq -n --slurpfile s "$tmp/$p/stages.json" --slurpfile a "$tmp/$p/http-t1.json" \
    --slurpfile b "$tmp/$p/http-t2.json" --slurpfile c "$tmp/$p/http-noaudit.json" \
    --slurpfile h "$tmp/$p/http-half.json" \
    '{stages:$s[0], http_threads_1:$a[0], http_threads_2:$b[0], http_threads_2_half_peak:$h[0],
      http_threads_2_audit_off:$c[0]}' > "$tmp/$p/all.json"
  results+=("$p")
done

# 4. Memory: RSS idle and with pending logins in LMDB (first profile's keys).
memjson=null
if [ "$memory" = 1 ]; then
  p=${profiles%% *}
  echo
  echo "=== memory: eidgw RSS with pending logins (LMDB, profile $p) ==="
  port=$(free_port)
  make_conf "$tmp/mem" "$tmp/$p/keys" "$p" "$port" 2 lmdb
  start_gw "$tmp/mem/gateway.yaml" "$tmp/mem/eidgw.log"
  sleep 1
  idle=$(rss_kib "$gw_pid")
  printf '  idle                 RSS %8d KiB\n' "$idle"
  memjson=$(jq -n --argjson idle "$idle" '{idle_rss_kib:$idle, pending:[]}')
  done_n=0
  for n in $pending; do
    "$loadgen" pending --url "http://127.0.0.1:$port" --count $((n - done_n)) --concurrency 4
    done_n=$n
    rss=$(rss_kib "$gw_pid")
    anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$gw_pid/status")
    file=$(awk '/^RssFile:/ {print $2}' "/proc/$gw_pid/status")
    db=$(du -k "$tmp/mem/store" | tail -n 1 | cut -f1)
    per=$(( (rss - idle) * 1024 / n ))
    printf '  %7d pending  RSS %8d KiB (anon %d, file %d), LMDB %d KiB on disk, %d bytes/pending login\n' \
      "$n" "$rss" "$anon" "$file" "$db" "$per"
    memjson=$(echo "$memjson" | jq --argjson n "$n" --argjson rss "$rss" --argjson anon "$anon" \
      --argjson file "$file" --argjson db "$db" --argjson per "$per" \
      '.pending += [{count:$n, rss_kib:$rss, rss_anon_kib:$anon, rss_file_kib:$file, lmdb_disk_kib:$db, bytes_per_pending:$per}]')
  done
  stop_gw "$gw_pid"
fi

# 5. Scale: two eidgw nodes (1 thread each) on one Redis, logins alternating
# between them (authorize and token on one node, ACS and userinfo on the other).
redisjson=null
if [ "$redis" = 1 ]; then
  if ! command -v redis-server >/dev/null; then
    log "redis-server not installed: Redis run skipped"
  else
    p=${profiles%% *}
    echo
    echo "=== scale: two eidgw nodes (1 thread each) on one Redis, profile $p ==="
    rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
      --daemonize no > "$tmp/redis.log" 2>&1 &
    rd=$!
    pids+=("$rd")
    for _ in $(seq 1 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    pa=$(free_port); pb=$(free_port)
    PUBLIC_PORT=$pa make_conf "$tmp/ra" "$tmp/$p/keys" "$p" "$pa" 1 redis "redis://127.0.0.1:$rport"
    PUBLIC_PORT=$pa make_conf "$tmp/rb" "$tmp/$p/keys" "$p" "$pb" 1 redis "redis://127.0.0.1:$rport"
    start_gw "$tmp/ra/gateway.yaml" "$tmp/ra/eidgw.log"; ga=$gw_pid
    start_gw "$tmp/rb/gateway.yaml" "$tmp/rb/eidgw.log"; gb=$gw_pid
    c0=$(redis-cli -p "$rport" info stats | awk -F: '/^total_commands_processed/ {print $2+0}')
    crypto=$(jq .floor.crypto_us_per_login "$tmp/$p/stages.json")
    "$loadgen" run --keys "$tmp/$p/keys" --profile "$p" --url "http://127.0.0.1:$pa" \
      --url "http://127.0.0.1:$pb" --pid "$ga" --pid "$gb" --redis-pid "$rd" \
      --seconds "$seconds" --concurrency "$conc" --crypto-us "$crypto" \
      --label "$p, 2 nodes x 1 thread, Redis" --json "$tmp/redis.json" || \
      log "Redis run had errors (see above)"
    c1=$(redis-cli -p "$rport" info stats | awk -F: '/^total_commands_processed/ {print $2+0}')
    stop_gw "$ga"; stop_gw "$gb"
    redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || kill "$rd" 2>/dev/null || true
    wait "$rd" 2>/dev/null || true
    total=$(jq '.logins' "$tmp/redis.json")
    echo "  Redis commands during the whole run (warm-up included): $((c1 - c0))"
    redisjson=$(jq --argjson cmds "$((c1 - c0))" '. + {redis_commands_whole_run:$cmds}' "$tmp/redis.json")
  fi
fi

# 5b. Call-graph costs: eidgw under callgrind for a short load (first profile).
if [ "$callgrind" = 1 ] && command -v valgrind >/dev/null && [ ${#results[@]} -gt 0 ]; then
  p=${results[0]}
  echo
  echo "=== callgrind: eidgw (1 thread, profile $p) under a short load ==="
  port=$(free_port)
  make_conf "$tmp/cg" "$tmp/$p/keys" "$p" "$port" 1 lmdb
  GW_WRAP="valgrind --tool=callgrind --callgrind-out-file=$tmp/cg/callgrind.out" GW_WAIT=1200 \
    start_gw "$tmp/cg/gateway.yaml" "$tmp/cg/eidgw.log"
  "$loadgen" run --keys "$tmp/$p/keys" --profile "$p" --url "http://127.0.0.1:$port" \
    --pid "$gw_pid" --seconds 30 --warmup 5 --concurrency 2 --label "$p under callgrind" \
    --json "$tmp/cg/run.json" || log "callgrind run had errors"
  stop_gw "$gw_pid"
  n=$(jq '.logins' "$tmp/cg/run.json" 2>/dev/null || echo 0)
  { echo "# eidgw under callgrind, profile $p, 1 thread; the whole process life (start-up,"
    echo "# warm-up and about $n measured logins); inclusive instruction counts, top functions"
    callgrind_annotate --inclusive=yes "$tmp/cg/callgrind.out" > "$tmp/cg/annotate.txt" 2>/dev/null || true
    sed -n 1,90p "$tmp/cg/annotate.txt"
    echo "# selected: HTTP glue, store, audit, logs, JSON, base64 (inclusive)"
    grep -E ':(h_[a-z_]+|http_[a-z_]+|txn_[a-z_]+|gw_audit_[a-z_]+|gw_log[a-z_]*|gw_store[a-z_]*|lmdb_[a-z_]+|mdb_[a-z_]+|oidc_[a-z_]+|json_[a-z_]+|eidgw_b64_[a-z]+|eidgw_buf_append|buf_reserve|saml_[a-z_]+|MHD_[A-Za-z_]+|malloc|free) ' \
      "$tmp/cg/annotate.txt" | sed -n 1,80p || true
  } > "$build/callgrind-$p.txt"
  log "callgrind summary: $build/callgrind-$p.txt"
fi

# 6. JSON and the summary table.
prof='{}'
for p in "${results[@]}"; do
  prof=$(jq --slurpfile x "$tmp/$p/all.json" --arg p "$p" '. + {($p): $x[0]}' <<< "$prof")
done
jq -n --argjson machine "$machine" --argjson memory "$memjson" --argjson redis "$redisjson" \
  --argjson profiles "$prof" \
  '{machine:$machine, profiles:$profiles, memory:$memory, redis_two_nodes:$redis}' > "$out"

echo
echo "=== summary (figures, not pass/fail; a shared 2-core machine is noisy) ==="
printf '%-8s %-13s %9s %8s %7s %9s %9s %7s %9s %6s %8s %8s %6s\n' profile threads crypto_us valid/s \
  val_x logins/s eidgw_us ratio overhead syncs acs_p99 tok_p99 errors
for p in "${results[@]}"; do
  for th in 1 2 2_half_peak 2_audit_off; do
    jq -e --arg p "$p" --arg th "$th" '.profiles[$p]["http_threads_" + $th].logins' "$out" \
      >/dev/null 2>&1 || continue
    jq -r --arg p "$p" --arg th "$th" '.profiles[$p] as $x | ($x["http_threads_" + $th]) as $h |
      [$p, $th, ($x.stages.floor.crypto_us_per_login|floor),
       (1e6/$x.stages.stages.response_validate_us|floor),
       (($x.stages.stages.validate_vs_floor_plus_parse*100|floor)/100),
       (($h.logins_per_s*10|floor)/10), ($h.eidgw_cpu_us_per_login|floor),
       (((($h.ratio // 0)*1000)|floor)/10|tostring + "%"),
       (($h.eidgw_cpu_us_per_login - $x.stages.floor.crypto_us_per_login)|floor),
       ($h.audit_syncs_per_login // "-"),
       $h.acs.p99_ms, $h.token.p99_ms, $h.errors] | @tsv' "$out" |
      awk -F'\t' '{printf "%-8s %-13s %9s %8s %7s %9s %9s %7s %9s %6s %8.1f %8.1f %6s\n",
        $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13}'
  done
done
echo "(crypto_us: bare OpenSSL per login; valid/s: Response validations per CPU second;"
echo " val_x: validation / (its crypto + two parses), target <= 2; eidgw_us: eidgw CPU per"
echo " login over HTTP; ratio = crypto_us / eidgw_us; overhead = eidgw_us - crypto_us;"
echo " syncs: audit fdatasync calls per login (whole run); p99 in ms; threads 2_half_peak: paced"
echo " at half the 2-thread peak; 2_audit_off: the audit log disabled; all figures in $out)"
