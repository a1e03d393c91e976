#!/usr/bin/env bash
# Remote IdP metadata (country.saml.metadata_url): eidgw fetches it over HTTP
# from a real web server (python3 -m http.server), verifies its signature
# (made by an independent signer, demo/idp/make-metadata.py on lxml +
# python3-cryptography), keeps the last good copy in metadata_cache_file, and
# keeps serving the country from that copy when the source serves something
# tampered or goes away.  SIGHUP re-fetches.
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${EIDGW_BINARY_DIR:-$src/build}/gateway/eidgw
tmp=$(mktemp -d /tmp/eidgw-md-XXXXXX)
gw= web=
cleanup() {
  [ -n "$gw" ] && kill -9 "$gw" 2>/dev/null || true
  [ -n "$web" ] && kill -9 "$web" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/log" ] && grep -v http.request "$tmp/log" | tail -n 15 >&2; exit 1; }
pass() { echo "ok: $*"; n_ok=$((n_ok + 1)); }
n_ok=0

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$tmp/certs" "$tmp/www" "$tmp/var"
"$src/certs/mkdev.sh" "$tmp/certs/dev" >/dev/null
wport=$(free_port)
/usr/bin/python3 "$src/demo/idp/make-metadata.py" --certs "$tmp/certs/dev" --out "$tmp/www/md.xml" \
  --entity-id "http://127.0.0.1:$wport/md.xml" --base-url "http://127.0.0.1:$wport" >/dev/null
(cd "$tmp/www" && exec /usr/bin/python3 -m http.server "$wport" --bind 127.0.0.1 >/dev/null 2>&1) &
web=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$wport/md.xml" >/dev/null 2>&1 && break; sleep 0.1; done

cp -r "$src/conf" "$tmp/conf"
rm -f "$tmp/conf/countries/"*.yaml
cat > "$tmp/conf/countries/LU.yaml" <<YAML
country: LU
name: "Remote (LU)"
enabled: true
connector: eidas-saml
max_loa: high
saml:
  metadata_url: "http://127.0.0.1:$wport/md.xml"
  metadata_signing_cert: ../certs/dev/demo-idp-metadata-signing.crt
  metadata_cache_file: ../var/LU-metadata.xml
  metadata_refresh_s: 3600
  idp_entity_id: "http://127.0.0.1:$wport/md.xml"
  requested_attributes:
    - http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier
  binding: post
YAML
sed -i -e 's/^\(  listen: \).*/\1127.0.0.1:0/' -e 's/^\(  backend: \)lmdb/\1memory/' "$tmp/conf/gateway.yaml"

"$bin" --config "$tmp/conf/gateway.yaml" 2> "$tmp/log" &
gw=$!
for _ in $(seq 1 100); do grep -q startup.listening "$tmp/log" && break; kill -0 "$gw" || fail "eidgw died"; sleep 0.1; done
grep -q '"event":"metadata.changed"' "$tmp/log" || fail "first fetch not recorded"
[ -s "$tmp/var/LU-metadata.xml" ] || fail "no cache file written"
cmp -s "$tmp/var/LU-metadata.xml" "$tmp/www/md.xml" || fail "cache differs from the source"
grep -q '"event":"country.ready".*"country":"LU"' "$tmp/log" || fail "country not ready after the fetch"
pass "fetched, verified, cached, country ready"

# The source now serves a tampered document: refused, the last good copy stays.
cp "$tmp/www/md.xml" "$tmp/good.xml"
sed -i 's/LoA\/high/LoA\/low/' "$tmp/www/md.xml"
cmp -s "$tmp/www/md.xml" "$tmp/good.xml" && fail "tampering did not change the document"
before=$(grep -c '"event":"country.ready"' "$tmp/log")
kill -HUP "$gw"
for _ in $(seq 1 50); do [ "$(grep -c '"event":"country.ready"' "$tmp/log")" -gt "$before" ] && break; sleep 0.1; done
grep -q '"event":"metadata.refused"' "$tmp/log" || fail "tampered metadata not refused"
cmp -s "$tmp/var/LU-metadata.xml" "$tmp/good.xml" || fail "cache overwritten by tampered metadata"
[ "$(grep -c '"event":"country.ready"' "$tmp/log")" -gt "$before" ] || fail "country not ready after reload"
pass "tampered metadata refused, last good copy in service"

# The source is gone: still served from the cache.
kill "$web"; wait "$web" 2>/dev/null || true; web=
before=$(grep -c '"event":"country.ready"' "$tmp/log")
kill -HUP "$gw"
for _ in $(seq 1 100); do [ "$(grep -c '"event":"country.ready"' "$tmp/log")" -gt "$before" ] && break; sleep 0.1; done
grep -q '"event":"metadata.fetch_failed"' "$tmp/log" || fail "failed fetch not logged"
[ "$(grep -c '"event":"country.ready"' "$tmp/log")" -gt "$before" ] || fail "country lost when the source went down"
pass "source down: last good copy in service"

# A country added on reload is recorded in the audit log (metadata_changed).
cat > "$tmp/conf/countries/NL.yaml" <<YAML
country: NL
name: "Local file (NL)"
enabled: true
connector: eidas-saml
max_loa: high
saml:
  metadata_file: ../good.xml
  metadata_signing_cert: ../certs/dev/demo-idp-metadata-signing.crt
  idp_entity_id: "http://127.0.0.1:$wport/md.xml"
  requested_attributes:
    - http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier
  binding: post
YAML
before=$(grep -c '"event":"config.reloaded"' "$tmp/log")
kill -HUP "$gw"
for _ in $(seq 1 100); do [ "$(grep -c '"event":"config.reloaded"' "$tmp/log")" -gt "$before" ] && break; sleep 0.1; done
grep -q '"event":"country.ready".*"country":"NL"' "$tmp/log" || fail "NL not ready after reload"
kill -TERM "$gw"; wait "$gw" || fail "unclean stop"; gw=
grep -q '"event":"metadata_changed".*"country":"LU"' "$tmp"/var/audit/audit-*.log || fail "first fetch not in the audit log"
grep -q '"event":"metadata_changed".*"country":"NL","change":"added"' "$tmp"/var/audit/audit-*.log || fail "added country not in the audit log"
"$(dirname "$bin")/eidgw-audit" verify --key "$tmp/certs/dev/audit-signing.pub" "$tmp"/var/audit/audit-*.log >/dev/null \
  || fail "audit log does not verify"
pass "metadata changes and an added country are in the (verified) audit log"
echo "$n_ok passed, 0 failed"
