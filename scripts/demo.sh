#!/usr/bin/env bash
# Runs the gateway with its demo configuration on http://127.0.0.1:8080,
# from a fresh Debian 12 machine: installs the packages it needs, builds,
# makes the development PKI (certs/dev/, git-ignored) and starts eidgw in
# the foreground.  Ctrl-C (SIGINT) stops it cleanly; `kill -HUP` reloads.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh demo
scripts/build.sh build
certs/mkdev.sh >/dev/null
mkdir -p var

echo "eidgw demo: http://127.0.0.1:8080"
echo "  health:    http://127.0.0.1:8080/healthz   readiness: /readyz   metrics: /metrics"
echo "  config:    conf/gateway.yaml (check it with: build/gateway/eidgw --check-config conf/gateway.yaml)"
exec build/gateway/eidgw --config conf/gateway.yaml
