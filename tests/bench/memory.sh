#!/bin/sh
# make bench: resident memory per event-stream subscriber, plain and gzip,
# at 1,000 and 10,000 subscribers of one battle (bench_memory.c), each
# measured on a fresh daemon.  Prints bench_memory's JSON lines and
# records the bytes per subscriber (benchlib.sh).
set -eu
. "$(dirname "$0")/benchlib.sh"
BUILD=$BS_BUILDDIR
SRC=$BS_SRCDIR
ulimit -n 20000 2>/dev/null || true
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-mem.XXXXXX")
PID=
trap '[ -z "$PID" ] || kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for n in 1000 10000; do
	for enc in plain gzip; do
		rm -f "$TMP"/m.db*
		"$BUILD/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/m.db" \
		    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 \
		    --burst 100000 --max-connections 19000 --drain-delay 0 \
		    --per-ip-connections 0 \
		    ${BS_FLAGS:-} 2>"$TMP/log" &
		PID=$!
		i=0
		until grep -q 'listening on' "$TMP/log"; do
			i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1
		done
		URL=$(sed -n 's,^.*listening on \(http://[^ ]*\).*$,\1,p' "$TMP/log")
		R=$(curl -s -d '{"name":"mem"}' "$URL/v1/battles")
		ID=$(echo "$R" | sed 's/.*"id":"\([^"]*\)".*/\1/')
		GM=$(echo "$R" | sed 's/.*"gm_token":"\([^"]*\)".*/\1/')
		"$BUILD/tests/bench/bench_memory" 127.0.0.1 "${URL##*:}" "$PID" \
		    "/v1/battles/$ID/events?access_token=$GM" "$n" \
		    "$([ $enc = gzip ] && echo gzip || echo plain)" \
		    >"$TMP/out"
		cat "$TMP/out"
		bench_json_figure "$TMP/out" .bytes_per_subscriber \
		    "memory.bytes_per_subscriber.$enc.$n" bytes lower counted
		kill $PID
		wait $PID 2>/dev/null || true
		PID=
	done
done
