#!/usr/bin/env bash
# Installs the Debian 12 packages eidgw needs to build, run its demo and run
# its tests.  Idempotent; asks apt only when something is missing.
# Usage: scripts/install-deps.sh [build|demo|test]   (default: test = everything)
set -euo pipefail

what=${1:-test}

build_pkgs=(
  build-essential cmake pkg-config git ca-certificates openssl
  libssl-dev libxml2-dev libxmlsec1-dev libxmlsec1-openssl xmlsec1
  libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libcjose-dev
  libfyaml-dev liblmdb-dev libhiredis-dev
)
demo_pkgs=(python3 python3-pysaml2 python3-cryptography python3-lxml curl)
test_pkgs=(
  libcmocka-dev clang libclang-rt-14-dev redis-server redis-tools
  jq procps psmisc lmdb-utils
)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  demo) pkgs+=("${demo_pkgs[@]}") ;;
  test) pkgs+=("${demo_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|demo|test]" >&2; exit 2 ;;
esac

missing=()
# Node.js may come from another apt source (it ships its own npm); only
# install Debian's when there is none at all.
if [ "$what" != build ] && ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi
# The end-to-end test drives Debian's chromium with playwright-core (no
# `npx playwright install`: the browser comes from apt).
if [ "$what" = test ]; then
  pkgs+=(chromium)
fi
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
  else
    SUDO=
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, from the committed package-lock.json files (npm ci), only
# where node_modules is missing: the demo service (openid-client) for the
# demo and the tests; the interop test (openid-client, jose) and the
# end-to-end test (playwright-core) for the tests.
npm_dirs=()
case "$what" in
  demo) npm_dirs=(demo/service) ;;
  test) npm_dirs=(demo/service tests/integration/oidc-interop tests/e2e) ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
for d in "${npm_dirs[@]}"; do
  if [ ! -d "$root/$d/node_modules" ]; then
    echo "install-deps: npm ci in $d" >&2
    (cd "$root/$d" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
