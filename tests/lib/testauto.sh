# Sourced by integration tests that need a throwaway gateway whose logins
# complete without a browser or an IdP: the test-auto connector plugin for
# country BE, the demo clients, a fresh development PKI, the in-memory store,
# on a free loopback port.  Needs $src (source tree) and $build (build tree).
#
#   testauto_conf DIR [PERSON_ID]   writes DIR/certs/dev and DIR/conf; sets TA_PORT
#   testauto_start DIR LOG [ENV...] starts eidgw on DIR/conf (ENV as for env(1));
#                                   sets TA_PID; returns 1 if it does not listen

testauto_conf() {
  local dir=$1 pid=${2:-BE/BE/TEST-0001}
  mkdir -p "$dir/certs"
  "$src/certs/mkdev.sh" "$dir/certs/dev" >/dev/null
  cp -r "$src/conf" "$dir/conf"
  rm -f "$dir/conf/countries/"*.yaml
  cat > "$dir/conf/countries/BE.yaml" <<YAML
country: BE
name: "Test (BE)"
enabled: true
connector: test-auto
max_loa: high
plugin_settings:
  i_understand_this_is_for_tests: true
  person_identifier: $pid
  family_name: Peeters
  given_name: Anna
  birth_date: 1990-04-01
  loa: high
YAML
  TA_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sed -i -e "s/^\(  listen: \).*/\1127.0.0.1:$TA_PORT/" \
    -e "s|^\(  public_url: \).*|\1http://127.0.0.1:$TA_PORT|" \
    -e 's/^\(  backend: \)lmdb/\1memory/' \
    -e "s|^clients_dir:|plugins_dir: $build/connectors\nclients_dir:|" "$dir/conf/gateway.yaml"
}

testauto_start() {
  local dir=$1 log=$2
  shift 2
  env "$@" "$build/gateway/eidgw" --config "$dir/conf/gateway.yaml" 2> "$log" &
  TA_PID=$!
  for _ in $(seq 1 100); do
    grep -q '"event":"startup.listening"' "$log" && return 0
    kill -0 "$TA_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
