#!/bin/sh
# Scenario 1, the seed's acceptance test: 10 battles of a GM and 5
# players with 10 GM ships each, and 5 spectators per battle, so that 110
# event streams are open; several rounds.  Pass: p99 order-to-visible and
# resolution-to-log latency under 200 ms, no error, every client's view
# equal to GET of its battle, every acknowledged order in the log.  Over
# HTTP/1.1 (plain streams), then HTTP/2 (gzip streams).
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"

# The sanitizers make the daemon several times slower: the latency bound
# is the optimized build's to keep.
P99=200
! sanitized || P99=1000

# Every simulated browser connects from 127.0.0.1: no per-address caps (connections, creations).
start_daemon --per-ip-connections 0 --create-per-hour 0
for proto in http1 http2; do
	set -- --battles 10 --players 5 --ships 10 --spectators 5 \
	    --rounds 6 --round-seconds 10 --think-ms 1500 --seed 7 \
	    --max-p99-ms "$P99" --max-errors 0
	[ "$proto" = http1 ] || set -- "$@" --http2 --compressed
	run_load "seed-$proto" "$@"
	streams=$(report_value "seed-$proto" .streams_max)
	[ "$streams" -ge 110 ] ||
	    fail "$proto: only $streams event streams were open at once"
	orders=$(report_value "seed-$proto" .orders_checked)
	[ "$orders" -gt 500 ] ||
	    fail "$proto: only $orders acknowledged orders were checked"
done
stop_daemon
note "ok"
