#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what the
# tests need, builds with -Werror, runs every test (unit, fuzz-corpus replay,
# integration against real peers), then builds again with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the whole suite once more.
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=1
for a in "$@"; do
  case "$a" in
    --no-sanitize) sanitize=0 ;;
    *) echo "usage: $0 [--no-sanitize]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh test

echo "== build (gcc, -Werror)"
scripts/build.sh build
echo "== tests"
ctest --test-dir build --output-on-failure -j2 --timeout 600

echo "== build (clang, -Werror): a second compiler's warnings"
CC=clang scripts/build.sh build-clang

if [ "$sanitize" = 1 ]; then
  echo "== build (ASan + UBSan)"
  scripts/build.sh build-asan -DEIDGW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  echo "== tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 --timeout 900
fi
echo "== all tests passed"
