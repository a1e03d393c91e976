#!/bin/bash
# A connector builds "out of tree": example-national is compiled with plain cc
# in a scratch directory that holds nothing but its source file and the public
# header, then checked to export exactly the entry symbol and to need no
# library but libc and libcrypto (no eidgw symbol, no eidgw library).
set -euo pipefail

src=${EIDGW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/include/eidgw"
cp "$src/gateway/include/eidgw/connector.h" "$tmp/include/eidgw/"
cp "$src/gateway/connectors/example-national/example_national.c" "$tmp/"

# The public header alone must compile as C and include nothing from the tree.
grep -E '^#include' "$tmp/include/eidgw/connector.h" | grep -vE '<std(def|int)\.h>' &&
	fail "connector.h includes more than <stddef.h> and <stdint.h>"

(cd "$tmp" && "$cc" -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
	-I include -o example-national.so example_national.c -lcrypto -Wl,--no-undefined) ||
	fail "example-national does not build against the public header alone"

exports=$(nm -D --defined-only "$tmp/example-national.so" | awk 'NF == 3 && $2 != "A" { print $3 }' | sort)
[ "$exports" = "eidgw_connector_entry" ] ||
	fail "exports other than eidgw_connector_entry: $(echo $exports)"

needed=$(readelf -d "$tmp/example-national.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
for lib in $needed; do
	case "$lib" in
	libc.so.*|libcrypto.so.*) ;;
	*) fail "needs $lib (only libc and libcrypto expected)" ;;
	esac
done
undefined_eidgw=$(nm -D --undefined-only "$tmp/example-national.so" | grep -E ' (eidgw|gw|saml|oidc)_' || true)
[ -z "$undefined_eidgw" ] || fail "refers to gateway symbols: $undefined_eidgw"

# Every symbol resolves at load time (ctypes opens with RTLD_NOW), in a process
# that has nothing of eidgw in it.
if command -v python3 >/dev/null; then
	python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1]).eidgw_connector_entry' \
		"$tmp/example-national.so" || fail "does not load on its own"
fi

echo "ok: example-national built out of tree; exports: $exports; needs: $needed"
