#!/bin/sh
# The browser client library's unit tests (www/js/ against tests/jsunit/
# *.test.mjs): Node's own test runner, with fakes for EventSource, timers,
# fetch and localStorage, so no browser and no server.  Skipped (exit 77)
# when node is missing or older than 19 (CustomEvent as a global).
dir=${BS_SRCDIR:+$BS_SRCDIR/tests/jsunit}
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
dir=${dir:-$here}

if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node is not installed (Debian package nodejs)"
	exit 77
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
if [ "${major:-0}" -lt 19 ]; then
	echo "SKIP: node $(node --version 2>/dev/null) is too old; 19 or later is needed"
	exit 77
fi
exec node --test "$dir"/*.test.mjs
