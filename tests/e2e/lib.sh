# Shared by the interop and end-to-end test scripts (sourced, not run).
# Starts processes on free loopback ports, waits with bounds, and always
# stops what it started (call e2e_cleanup from an EXIT trap).

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bindir=${EIDGW_BINARY_DIR:-$src/build}
eidgw=$bindir/gateway/eidgw
E2E_PIDS=()
# Every server runs under `timeout`: should this script be killed without
# its EXIT trap (SIGKILL), nothing it started outlives this bound.
E2E_MAX_S=900

e2e_cleanup() {
  local p
  for p in "${E2E_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${E2E_PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}

# A free TCP port on 127.0.0.1 (the kernel picks it; a tiny race is possible).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS PID: until URL answers 200 or PID dies or time runs out.
wait_http() {
  local url=$1 secs=$2 pid=${3:-} i
  for i in $(seq 1 $((secs * 10))); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# wait_listening LOG PORT PID SECONDS: until the process PID logged that it
# listens on PORT ("event":"startup.listening" ... "port":"PORT") - so a
# free_port race with another process cannot pass for our server - and is
# still alive.
wait_listening() {
  local log=$1 port=$2 pid=$3 secs=$4 i
  for i in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || return 1
    if grep '"startup.listening"' "$log" 2>/dev/null | grep -q "\"port\": *\"$port\""; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# http_status URL: the status code of a GET (000 when nothing answers).
http_status() {
  curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" 2>/dev/null || true
}

# npm_ready DIR: node_modules from the committed package-lock (npm ci) when missing.
npm_ready() {
  local d=$1
  command -v node >/dev/null || { echo "node is not installed (scripts/install-deps.sh test)" >&2; return 1; }
  if [ ! -d "$d/node_modules" ]; then
    (cd "$d" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed in $d" >&2; return 1; }
  fi
}

# client_secret FILE: the client_secret of a client YAML (demo config).
client_secret() {
  sed -n 's/^client_secret:[[:space:]]*"\{0,1\}\([^"#]*\)"\{0,1\}.*$/\1/p' "$1" | head -n1 | sed 's/[[:space:]]*$//'
}

# yaml_first FILE KEY: a top-level scalar, or the first item of a top-level
# list (redirect_uris), of a flat client YAML.
yaml_first() {
  local f=$1 k=$2
  awk -v k="$k" '
    $0 ~ "^"k":[ \t]*[^ \t]" { sub("^"k":[ \t]*", ""); gsub(/^"|"[ \t]*(#.*)?$/, ""); print; exit }
    $0 ~ "^"k":[ \t]*$" { inlist = 1; next }
    inlist && /^[ \t]*-[ \t]*/ { sub(/^[ \t]*-[ \t]*/, ""); gsub(/^"|"[ \t]*(#.*)?$/, ""); print; exit }
    inlist && /^[^ \t-]/ { exit }' "$f"
}

# plugins_dir: where the built connector plugins are (test-auto.so).
plugins_dir() {
  local f
  f=$(find "$bindir" -name 'test-auto.so' -type f 2>/dev/null | head -n1)
  if [ -n "$f" ]; then dirname "$f"; else echo "$bindir/connectors"; fi
}

# gateway_conf SRC_CONF DST PORT: a copy of conf/ that serves on PORT with
# its store and audit log in DST (paths stay relative to the conf folder).
gateway_conf() {
  local from=$1 to=$2 port=$3
  cp -r "$from" "$to/conf"
  sed -i -e "s|^\(  listen: \).*|\1\"127.0.0.1:$port\"|" \
         -e "s|^\(  public_url: \).*|\1\"http://127.0.0.1:$port\"|" \
         -e "s|^\(  threads: \).*|\14|" "$to/conf/gateway.yaml"
  grep -q "127.0.0.1:$port" "$to/conf/gateway.yaml" || { echo "could not set the port in gateway.yaml" >&2; return 1; }
}
