# bench-lib.sh - the pieces of scripts/bench.sh that other scripts reuse
# (tests/integration/test_bench_smoke.sh): keys per key profile, a gateway
# configuration whose country's IdP is the load generator, starting and
# stopping eidgw, the audit counters.  Sourced, never run.  The caller sets
# bin (the eidgw binary) and tmp, and has a pids array and a log function.

free_port() { # the kernel picks one that is free now (tiny race until eidgw binds it)
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# 2. Keys: the profile's algorithms and sizes (file names fixed, bench/bench.h).
genkey() { # file type
  case $2 in
  ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null ;;
  ed25519) openssl genpkey -algorithm ED25519 -out "$1" 2>/dev/null ;;
  rsa*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"${2#rsa}" -out "$1" 2>/dev/null ;;
  esac
  chmod 0600 "$1"
}
selfcert() { openssl req -new -x509 -key "$1.key" -subj "/CN=eidgw bench $2" -days 30 -sha256 \
  -out "$1.crt" 2>/dev/null; }
make_keys() { # dir profile
  local d=$1 idp sps spe oi
  case $2 in
  eidas)   idp=rsa3072 sps=ec      spe=rsa3072 oi=ec ;;
  ec)      idp=ec      sps=ec      spe=ec      oi=ec ;;
  # The IdP stays RSA-3072: saml/ checks Response signatures against a fixed
  # 3072-bit floor (keys.min_rsa_bits does not reach saml_response_validate).
  rsa2048) idp=rsa3072 sps=rsa2048 spe=rsa2048 oi=rsa2048 ;;
  *) echo "bench.sh: unknown profile $2" >&2; exit 2 ;;
  esac
  mkdir -p "$d"
  genkey "$d/idp.key" $idp; selfcert "$d/idp" idp
  genkey "$d/md.key" ec; selfcert "$d/md" "idp metadata"
  genkey "$d/sp-sign.key" $sps; selfcert "$d/sp-sign" "saml signing"
  genkey "$d/sp-enc.key" $spe; selfcert "$d/sp-enc" "saml encryption"
  genkey "$d/oidc.key" $oi
  genkey "$d/audit-signing.key" ed25519
  openssl rand -base64 32 > "$d/pairwise.key"; chmod 0600 "$d/pairwise.key"
  openssl rand -base64 32 > "$d/audit-hmac.key"; chmod 0600 "$d/audit-hmac.key"
}

# 3. A gateway configuration for a profile: one country (LU) whose IdP is the
# load generator, with its signed metadata; one client (bench).
make_conf() { # dir keys profile port threads backend [redis_url]; AUDIT=false turns audit off
  local d=$1 k=$2 p=$3 port=$4 th=$5 be=$6 ru=${7:-} alg sig minrsa=3072 pkcs=false store
  case $p in
  eidas|ec) alg=ES256 sig=ecdsa-sha256 ;;
  rsa2048) alg=PS256 sig=rsa-pss-sha256 minrsa=2048 ;;
  esac
  mkdir -p "$d/clients" "$d/countries" "$d/store" "$d/audit"
  case $be in
  lmdb) store="  backend: lmdb
  path: $d/store
  lmdb_map_size: 4294967296" ;;
  memory) store="  backend: memory" ;;
  redis) store="  backend: redis
  redis_url: \"$ru\"
  redis_timeout_ms: 1000" ;;
  esac
  cat > "$d/gateway.yaml" <<YAML
server:
  listen: "127.0.0.1:$port"
  public_url: "http://127.0.0.1:${PUBLIC_PORT:-$port}"
  threads: $th
  max_connections: 1024
  request_timeout_s: 30
keys:
  saml_signing:
    key: $k/sp-sign.key
    cert: $k/sp-sign.crt
  saml_signature_alg: $sig
  saml_encryption:
    - key: $k/sp-enc.key
      cert: $k/sp-enc.crt
  oidc:
    - kid: bench-1
      alg: $alg
      key: $k/oidc.key
      status: active
  pairwise_key: $k/pairwise.key
  min_rsa_bits: $minrsa
store:
$store
  key_prefix: "eidgw:"
audit:
  enabled: ${AUDIT:-true}
  path: $d/audit
  signing_key: $k/audit-signing.key
  hmac_key: $k/audit-hmac.key
  checkpoint_every: 1000
  checkpoint_interval_s: 60
log:
  level: info
  sink: stderr
limits:
  login_ttl_s: 600
clients_dir: clients
countries_dir: countries
default_locale: en
YAML
  cat > "$d/clients/bench.yaml" <<YAML
client_id: bench
client_name: "Benchmark service"
redirect_uris:
  - "http://127.0.0.1:9/cb"
token_endpoint_auth_method: client_secret_basic
client_secret: "bench-client-secret-0123456789abcdef"
scopes: [openid, profile]
id_token_signed_response_alg: $alg
require_par: false
min_acr: low
default_acr: substantial
sp_type: public
YAML
  cat > "$d/countries/LU.yaml" <<YAML
country: LU
name: "Benchmark IdP"
enabled: true
connector: eidas-saml
max_loa: high
saml:
  metadata_file: $k/idp-metadata.xml
  metadata_signing_cert: $k/md.crt
  binding: post
  require_encryption: true
  require_assertion_signature: true
  allow_rsa_pkcs1: $pkcs
  nameid_format: persistent
YAML
}

# Starts eidgw on a config; sets gw_pid.  Waits until it listens and LU is ready.
# GW_WRAP (e.g. "valgrind --tool=callgrind ...") runs it under a tool.
start_gw() { # conf log
  ${GW_WRAP:-} "$bin" --config "$1" 2> "$2" &
  gw_pid=$!
  pids+=("$gw_pid")
  for _ in $(seq 1 ${GW_WAIT:-100}); do
    grep -q '"event":"startup.listening"' "$2" && break
    kill -0 "$gw_pid" 2>/dev/null || { tail -n 20 "$2" >&2; echo "bench.sh: eidgw died" >&2; exit 1; }
    sleep 0.1
  done
  grep -q '"event":"startup.listening"' "$2" || { echo "bench.sh: eidgw not listening" >&2; exit 1; }
  grep -q '"event":"country.ready"' "$2" || { grep country "$2" >&2; echo "bench.sh: country LU not ready" >&2; exit 1; }
}
stop_gw() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# Audit fdatasync calls and successful logins so far, from eidgw's /metrics ("syncs logins").
audit_counts() { # port
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^eidgw_audit_syncs_total /{s=$2}
    /^eidgw_logins_total\{outcome="success"\} /{l=$2} END{print (s==""?0:s), (l==""?0:l)}'
}
# Adds audit_syncs_per_login (over the whole run, warm-up included) to a run's JSON and prints it.
note_syncs() { # json before after
  local s0 l0 s1 l1 r
  read -r s0 l0 <<<"$2"; read -r s1 l1 <<<"$3"
  r=$(awk -v s="$((s1 - s0))" -v l="$((l1 - l0))" 'BEGIN{ if (l > 0) printf "%.2f", s / l; else print "null" }')
  echo "  audit fdatasync calls per login: $r ($((s1 - s0)) syncs, $((l1 - l0)) logins, warm-up included)"
  jq --argjson r "$r" '. + {audit_syncs_per_login: $r}' "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
