#!/bin/sh
# Lints every man page in man/ with mandoc -T lint at the style level: any
# message about a page fails, except "referenced manual not found", which
# depends on the manuals installed on the machine (and on pages that later
# issues add).  Notes about the machine's own mandoc.db are ignored too.
#
# The lint passes pages that render wrong: two quoting macros on one line
# (".Pq Ql a , Ql b") nest the second inside the first and print
# (`a, `b'') instead of (`a', `b').  So each page is also checked in its
# source for such lines, and rendered to text and searched for the marks
# nesting leaves: a closing quote twice, an opening quote inside an open
# one, "" after a word, a brace list inside a brace list.
set -eu
LC_ALL=C.UTF-8
export LC_ALL

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

# A macro line where a quoting macro (Ql, Dq, Sq, Qq, Brq, Aq) is followed
# by words and then by another quoting macro or Pq: mdoc encloses the
# second in the first.  Pq and Bq around words then a quote are fine.
nested='
/^\./ {
	quote = 0; words = 0
	for (i = 1; i <= NF; i++) {
		t = (i == 1) ? substr($1, 2) : $i
		if (t ~ /^(Aq|Bq|Brq|Dq|Pq|Ql|Qq|Sq)$/) {
			if (quote && words) {
				print FILENAME ":" FNR ": " $0
				break
			}
			quote = t !~ /^(Pq|Bq)$/
			words = 0
		} else if (t !~ /^[.,;:)\]]$/ && t !~ /^[A-Z][a-z][a-z]?$/)
			words = 1
	}
}'

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
	# And it renders, without nested quotes.
	if ! "$MANDOC" -T utf8 -O width=400 "$page" >"$tmp/render" \
	    2>/dev/null || [ ! -s "$tmp/render" ]; then
		echo "man: FAIL: $page does not render" >&2
		status=1
		continue
	fi
	awk "$nested" "$page" >"$tmp/nested"
	sed 's/.\x08//g' "$tmp/render" | grep -n -e '’’' -e '””' \
	    -e '‘[^’]*‘' -e '“[^”]*“' -e '[^:]""' -e '{[a-z_, ]*{' |
	    sed 's/^/rendered, line /' >>"$tmp/nested" || true
	if [ -s "$tmp/nested" ]; then
		cat "$tmp/nested" >&2
		echo "man: FAIL: $page renders nested quotes (above): put" \
		    "each quoted word on a line of its own" >&2
		status=1
	fi
done
if [ "$n" -eq 0 ]; then
	echo "man: FAIL: no man pages in $BS_SRCDIR/man" >&2
	exit 1
fi
exit $status
