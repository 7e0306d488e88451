#!/bin/sh
# Scenario 5 (make bench): scale.  SCALE_BATTLES battles (1000) of a GM,
# 5 players and 4 spectators: 10 event streams each, 10,000 in all, on
# this machine with the load generator beside the daemon, over HTTP/1.1
# and then HTTP/2.  Rounds of 60 s whose orders come within 30 s, so the
# load is an evening of games, not one burst.  Prints broadside-load's
# table and records: latency percentiles, the daemon's resident memory
# per stream, the daemon's and the load generator's CPU seconds, and the
# load generator's own lateness (when that is high, the machine, not the
# daemon, is the limit).  SCALE_PROTOS="http1" (or "http2") runs one.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$BS_SRCDIR/tests/load/loadlib.sh"
. "$BS_SRCDIR/tests/bench/benchlib.sh"

BATTLES=${SCALE_BATTLES:-1000}
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

# cpu_s PID: user + system CPU seconds of a live process.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' \
	    "/proc/$1/stat"
}

for proto in ${SCALE_PROTOS:-http1 http2}; do
	# Every simulated browser connects from 127.0.0.1: no per-address
	# cap.
	start_daemon --max-connections 15000 --max-battles $((BATTLES + 10)) \
	    --rate 100000 --burst 100000 --per-ip-connections 0 --create-per-hour 0
	flags=
	[ "$proto" = http1 ] || flags=--http2
	"$LOAD" --url "$BASE_URL" --report "$TMP/scale-$proto.json" $flags \
	    --battles "$BATTLES" --players 5 --ships 10 --spectators 4 \
	    --rounds 2 --round-seconds 60 --think-ms 30000 \
	    --connect-rate 1000 --timeout 600 --max-errors 1000000 \
	    >"$TMP/scale.out" 2>"$TMP/scale.err" &
	LOAD_PID=$!
	track_client "$LOAD_PID"
	load_cpu=0
	while proc_alive "$LOAD_PID"; do
		load_cpu=$(cpu_s "$LOAD_PID" 2>/dev/null || echo "$load_cpu")
		sleep 1	# a sample a second: the last one before it exits counts
	done
	wait_exit "$LOAD_PID" 5
	daemon_cpu=$(cpu_s "$DAEMON_PID")
	echo "== $proto: $BATTLES battles, $((BATTLES * 10)) event streams"
	cat "$TMP/scale.out"
	# broadside-load's first messages of each kind of error, if any.
	sed 's/^/  /' "$TMP/scale.err"
	echo "  CPU: daemon $daemon_cpu s, broadside-load $load_cpu s"
	r=$TMP/scale-$proto.json
	streams=$(jq -r .streams_max "$r")
	per=$(jq -r '((.server.rss_max_bytes - .server.rss_start_bytes) /
	    (if .streams_max > 0 then .streams_max else 1 end)) | floor' "$r")
	bench_figure "scale.$proto.streams" "$streams" streams higher exact
	bench_figure "scale.$proto.order_visible_p50_ms" \
	    "$(jq -r .order_to_visible.p50_ms "$r")" ms lower timing
	bench_figure "scale.$proto.order_visible_p99_ms" \
	    "$(jq -r .order_to_visible.p99_ms "$r")" ms lower timing
	bench_figure "scale.$proto.resolution_log_p99_ms" \
	    "$(jq -r .resolution_to_log.p99_ms "$r")" ms lower timing
	bench_figure "scale.$proto.request_answer_p99_ms" \
	    "$(jq -r .request.p99_ms "$r")" ms lower timing
	bench_figure "scale.$proto.load_lateness_p99_ms" \
	    "$(jq -r .load_lateness.p99_ms "$r")" ms lower timing
	bench_figure "scale.$proto.rss_per_stream_bytes" "$per" bytes lower \
	    counted
	bench_figure "scale.$proto.daemon_cpu_s" "$daemon_cpu" s lower timing
	bench_figure "scale.$proto.errors" "$(jq -r .errors_counted "$r")" \
	    errors lower timing
	stop_daemon
done
