#!/bin/sh
# make bench: resident memory per event-stream connection over HTTP/1.1
# and HTTP/2, one stream per connection as a browser opens them
# (bench_streammem.c), plain and gzip, then as a browser holds it (gzip,
# and the battle fetched on a kept-alive connection of its own over
# HTTP/1.1, on the stream's over HTTP/2), each on a fresh daemon with the
# scale scenario's limits: STREAMMEM_N streams (2,000) over 4 battles of
# 10 ships (as scale.sh's), idle, then after STREAMMEM_EVENTS narrations
# (5) to every battle.  Records the bytes per stream at both points
# (benchlib.sh).  STREAMMEM_QUIET (0) seconds of quiet after the events
# add a third measure to the JSON line, not recorded.
# STREAMMEM_PROTOS (h1 h2) and STREAMMEM_RUNS (stream.plain stream.gzip
# browser.gzip) pick the runs.
# BS_DAEMON runs another build's daemon with this build's client (to
# measure before and after a change).
set -eu
. "$(dirname "$0")/benchlib.sh"
BUILD=$BS_BUILDDIR
SRC=$BS_SRCDIR
DAEMON=${BS_DAEMON:-$BUILD/src/broadsided}
N=${STREAMMEM_N:-2000}
EVENTS=${STREAMMEM_EVENTS:-5}
QUIET=${STREAMMEM_QUIET:-0}
SHIP='{"class":"frigate","side":"hostile","name":"NPC %d","x":%d,"y":500,
"hull_max":300,"hull":300}'
ulimit -n 20000 2>/dev/null || true
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-streammem.XXXXXX")
PID=
trap '[ -z "$PID" ] || kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for proto in ${STREAMMEM_PROTOS:-h1 h2}; do
	for run in ${STREAMMEM_RUNS:-stream.plain stream.gzip browser.gzip}; do
		mode=${run%.*}
		enc=${run#*.}
		rm -f "$TMP"/m.db*
		"$DAEMON" --listen 127.0.0.1:0 --db "$TMP/m.db" \
		    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 \
		    --burst 100000 --max-connections 15000 --drain-delay 0 \
		    --per-ip-connections 0 --create-per-hour 0 \
		    ${BS_FLAGS:-} 2>"$TMP/log" &
		PID=$!
		i=0
		until grep -q 'listening on' "$TMP/log"; do
			i=$((i + 1))
			[ $i -lt 300 ] || { cat "$TMP/log" >&2; exit 1; }
			sleep 0.1
		done
		URL=$(sed -n 's,^.*listening on \(http://[^ ]*\).*$,\1,p' \
		    "$TMP/log")
		set --
		for b in 1 2 3 4; do
			R=$(curl -s -d '{"name":"streammem"}' "$URL/v1/battles")
			B=$(echo "$R" | jq -r '.id + ":" + .gm_token')
			for k in 0 1 2 3 4 5 6 7 8 9; do
				curl -s -o /dev/null -H "Authorization: Bearer \
${B#*:}" -d "$(printf "$SHIP" $k $((400 + 20 * k)))" \
				    "$URL/v1/battles/${B%%:*}/ships"
			done
			set -- "$@" "$B"
		done
		"$BUILD/tests/bench/bench_streammem" 127.0.0.1 "${URL##*:}" \
		    "$PID" "$proto" "$enc" "$mode" "$N" "$EVENTS" "$QUIET" \
		    "$@" >"$TMP/out" || true
		cat "$TMP/out"
		bench_json_figure "$TMP/out" .idle_bytes_per_stream \
		    "streammem.$proto.$run.idle_bytes" bytes lower counted
		bench_json_figure "$TMP/out" .after_events_bytes_per_stream \
		    "streammem.$proto.$run.after_events_bytes" bytes lower \
		    counted
		kill $PID
		wait $PID 2>/dev/null || true
		PID=
	done
done
