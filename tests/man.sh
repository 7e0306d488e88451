#!/bin/sh
# Lints every man page in man/ with mandoc -T lint at the style level: any
# message about a page fails, except "referenced manual not found", which
# depends on the manuals installed on the machine (and on pages that later
# issues add).  Notes about the machine's own mandoc.db are ignored too.
set -eu

BS_SRCDIR=${BS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
MANDOC=${MANDOC:-mandoc}
[ -n "$MANDOC" ] || MANDOC=mandoc

if ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "man: FAIL: mandoc not found ('$MANDOC'): install the Debian package mandoc and re-run configure" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/broadside-man.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

status=0
n=0
for page in "$BS_SRCDIR"/man/*.1 "$BS_SRCDIR"/man/*.7 "$BS_SRCDIR"/man/*.8; do
	[ -e "$page" ] || continue
	n=$((n + 1))
	# mandoc exits non-zero whenever it prints a message; the messages
	# are what counts here.
	"$MANDOC" -T lint -W style "$page" >"$tmp/out" 2>&1 || true
	grep -F "$page:" "$tmp/out" |
	    grep -v 'STYLE: referenced manual not found' >"$tmp/messages" ||
	    true
	if [ -s "$tmp/messages" ]; then
		cat "$tmp/messages" >&2
		echo "man: FAIL: $page has mandoc lint messages (above)" >&2
		status=1
	else
		echo "man: $page: clean"
	fi
	# And it renders.
	if ! "$MANDOC" -T ascii "$page" >"$tmp/render" 2>/dev/null ||
	    [ ! -s "$tmp/render" ]; then
		echo "man: FAIL: $page does not render" >&2
		status=1
	fi
done
if [ "$n" -eq 0 ]; then
	echo "man: FAIL: no man pages in $BS_SRCDIR/man" >&2
	exit 1
fi
exit $status
