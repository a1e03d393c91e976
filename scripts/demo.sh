#!/usr/bin/env bash
# The whole demo with one command, from a fresh Debian 12 machine: installs
# the packages it needs, builds, makes the development PKI (certs/dev/,
# git-ignored) and the demo IdP's signed metadata, then starts
#
#   eidgw             http://127.0.0.1:8080   (conf/gateway.yaml)
#   demo national IdP http://127.0.0.1:8070   (demo/idp, pysaml2; country LU)
#   demo service      http://127.0.0.1:8090   (demo/service, openid-client)
#
# and prints the one URL to open.  Ctrl-C stops all three; if one of them
# exits, the others are stopped too.  `kill -HUP <eidgw pid>` reloads conf/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh demo
scripts/build.sh build
certs/mkdev.sh >/dev/null
mkdir -p var

gw_url=http://127.0.0.1:8080
idp_listen=127.0.0.1:8070
idp_url=http://$idp_listen
svc_port=8090
# The IdP's entityID is what conf/countries/LU.yaml expects as the Issuer.
idp_entity=$(sed -n 's/^[[:space:]]*idp_entity_id:[[:space:]]*"\{0,1\}\([^"#[:space:]]*\)"\{0,1\}.*$/\1/p' conf/countries/LU.yaml | head -n1)
idp_entity=${idp_entity:-$idp_url/metadata}

# The demo IdP's metadata, signed with the demo metadata-signing key, where
# conf/countries/LU.yaml reads it (saml.metadata_file).
/usr/bin/python3 demo/idp/make-metadata.py --certs certs/dev --out certs/dev/demo-idp-metadata.xml \
  --entity-id "$idp_entity" --base-url "$idp_url"
build/gateway/eidgw --check-config conf/gateway.yaml

# Refuse to start beside something that already holds one of the ports.
for hp in 127.0.0.1:8080 "$idp_listen" "127.0.0.1:$svc_port"; do
  if ! /usr/bin/python3 -c 'import socket,sys; h,p=sys.argv[1].rsplit(":",1); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((h,int(p))); s.close()' "$hp" 2>/dev/null; then
    echo "demo: $hp is already in use; stop what runs there (an earlier demo?) and try again" >&2
    exit 1
  fi
done

pids=()
stop() {
  trap - INT TERM EXIT
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  echo "demo stopped"
}
# Ctrl-C reaches the whole foreground process group: eidgw drains and
# exits on its own, the others are stopped by stop().
interrupted=0
trap 'interrupted=1' INT TERM
trap stop EXIT

wait_up() { # URL SECONDS PID NAME
  local i
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$3" 2>/dev/null || { echo "demo: $4 exited during start-up" >&2; return 1; }
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: $4 did not answer $1 within $2 s" >&2
  return 1
}

build/gateway/eidgw --config conf/gateway.yaml &
pids+=($!)
wait_up "$gw_url/readyz" 30 "$!" eidgw

/usr/bin/python3 demo/idp/idp.py --listen "$idp_listen" --entity-id "$idp_entity" \
  --certs certs/dev --metadata-file certs/dev/demo-idp-metadata.xml \
  --sp-metadata-url "$gw_url/saml/metadata" --sp-metadata-ca certs/dev/ca.crt &
pids+=($!)
wait_up "$idp_url/healthz" 20 "$!" "demo IdP"

node demo/service/server.mjs --port "$svc_port" --issuer "$gw_url" \
  --client-config conf/clients/demo-service.yaml &
pids+=($!)
wait_up "http://127.0.0.1:$svc_port/healthz" 20 "$!" "demo service"

cat <<EOF

  eidgw demo is running.  Open:

      http://127.0.0.1:$svc_port/

  and click "Log in with your eID" (choose "Demo (LU)", then a test citizen).

  eidgw         $gw_url   (health: /healthz, /readyz, /metrics; SP metadata: /saml/metadata)
  demo IdP      $idp_url   (metadata: /metadata; entityID $idp_entity)
  demo service  http://127.0.0.1:$svc_port
  Ctrl-C stops all three.

EOF
set +e
wait -n "${pids[@]}"
rc=$?
set -e
if [ "$interrupted" = 1 ]; then
  exit 0
fi
echo "demo: a process exited (status $rc); stopping the others" >&2
exit 1
