#!/bin/sh
# make bench: the seed's acceptance scenario (tests/load/test_seed.sh,
# which checks its bounds in make check) measured: 10 battles of a GM, 5
# players and 5 spectators, 10 GM ships each, 110 event streams, over
# HTTP/1.1 (plain streams) and HTTP/2 (gzip streams).  Records the
# latency percentiles a player feels: an order until every stream shows
# it, a resolution until its log arrives, a request until its answer.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"
. "$BS_SRCDIR/tests/bench/benchlib.sh"

# Every simulated browser connects from 127.0.0.1: no per-address caps (connections, creations).
start_daemon --rate 10000 --burst 10000 --per-ip-connections 0 --create-per-hour 0
for proto in http1 http2; do
	set -- --battles 10 --players 5 --ships 10 --spectators 5 \
	    --rounds 6 --round-seconds 10 --think-ms 1500 --seed 7 \
	    --max-errors 0
	[ "$proto" = http1 ] || set -- "$@" --http2 --compressed
	run_load "seed-$proto" "$@"
	r=$TMP/seed-$proto.json
	for f in order_to_visible:order_visible resolution_to_log:resolution_log \
	    request:request_answer; do
		key=${f%%:*} name=${f#*:}
		bench_figure "seed.$proto.${name}_p50_ms" \
		    "$(jq -r ".$key.p50_ms" "$r")" ms lower timing
		bench_figure "seed.$proto.${name}_p99_ms" \
		    "$(jq -r ".$key.p99_ms" "$r")" ms lower timing
	done
done
stop_daemon
