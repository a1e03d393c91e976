#!/usr/bin/env bash
# Configures and builds eidgw into a build directory.
# Usage: scripts/build.sh [BUILD_DIR] [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DEIDGW_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
