#!/usr/bin/env bash
#
# lint-style: the house rules a reviewer would check first.
#  1. Every C file is formatted with the repository's .clang-format.
#  2. A <module>_types.h header includes only other *_types.h headers,
#     system headers and DPDK headers, so type headers never pull in APIs
#     and headers cannot include each other in cycles (HAProxy's -t.h rule,
#     checked here because HAProxy itself slips on it).
#  3. Nothing in lib/ prints to the terminal or exits: only app/ may.
set -euo pipefail
root=${GH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
bad=0

while IFS= read -r f; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "---- $f: not clang-formatted (run: clang-format -i $f)" >&2
		bad=1
	fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find lib app drivers tests -name '*.[ch]')

while IFS= read -r f; do
	while IFS= read -r inc; do
		case "$inc" in
		*_types.h) ;;
		*)
			echo "---- $f: a _types.h header includes \"$inc\"" >&2
			bad=1
			;;
		esac
	done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$f")
done < <(find lib drivers app -name '*_types.h')

# lib/ may write to caller-given buffers, never to the terminal; the one
# exception is gh_verify_failed(), which reports a broken invariant and aborts.
if grep -rnE '\b(printf|puts|perror|exit|rte_exit)\s*\(|fprintf\s*\(\s*std(out|err)' lib \
	--include='*.c' --include='*.h' | grep -v 'lib/common/gh_common.h'; then
	echo "---- lib/ must not print to the terminal or exit (see above)" >&2
	bad=1
fi

((bad == 0)) || exit 1
echo "style: ok"
