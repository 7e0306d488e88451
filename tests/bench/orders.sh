#!/bin/sh
# make bench: starts the daemon on a temp database and runs bench_orders
# against it (HTTP/1.1, durable acknowledgements).  Figures only.
set -eu
BUILD=${BS_BUILDDIR:-$(pwd)}
SRC=${BS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-bench.XXXXXX")
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$BUILD/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/bench.db" \
    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 --burst 100000 \
    --drain-delay 0 2>"$TMP/log" &
PID=$!
i=0
while ! grep -q 'listening on' "$TMP/log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$TMP/log"; exit 1; }
	sleep 0.1
done
URL=$(sed -n 's,^.*listening on \(http://[^ ]*\).*$,\1,p' "$TMP/log")
"$BUILD/tests/bench/bench_orders" "$URL" "$@"
