#!/bin/sh
# The highest narration rate each server sustains at fan-out scale, and
# its CPU beside nginx + nchan's at one rate: SUBSCRIBERS (10,000) on
# CHANNELS (1000) battles, measured by the neutral SSE client ssebench
# (not part of this repository: $SSEBENCH_SRC, as in fanout.sh).
#
# For each rate of RATES, lowest first, ssebench publishes for SECONDS
# over PUBCONNS keep-alive connections (a GM console per battle would be
# a thousand; 16 keeps the publisher from being the limit: with its one
# request in flight per connection, 4 connections cap the rate at 4 /
# the round trip, and our round trip waits for a commit).  A rate is
# sustained when every event arrived in order, the achieved rate is at
# least 98 % of it and the 99th percentile from each event's scheduled
# send time to its delivery (sched_lat_p99_ms: it counts the publisher's
# lag behind a slow server) is under BOUND_MS (50).  The ladder stops at
# the first rate not sustained.  The daemon and its battles stay up
# across rates; nginx is restarted for each (nchan replays what it keeps
# to new subscribers).
#
# Records fanmax.rate (ours), fanmax.nchan_rate, fanmax.rate_vs_nchan,
# and the server CPU seconds of both at the highest rate both sustained,
# with their ratio (past saturation a server's CPU says only how much the
# machine had left).
#
#   fanmax.sh [SUBSCRIBERS [CHANNELS]]   (10000 1000)
#   RATES="2000 3000 4000 4500 5000 6000 7000 8000" SECONDS_EACH=5
#   PUBCONNS=16 BOUND_MS=50
set -eu
. "$(dirname "$0")/benchlib.sh"
N=${1:-10000} C=${2:-1000}
RATES=${RATES:-2000 3000 4000 4500 5000 6000 7000 8000}
S=${SECONDS_EACH:-5} K=${PUBCONNS:-16} BOUND=${BOUND_MS:-50}
BUILD=$BS_BUILDDIR
SRC=$(cd "$BS_SRCDIR" && pwd)
SSEBENCH_SRC=$(bench_ssebench_src fanmax) || exit 0
SSEBENCH_DIR=$(cd "$(dirname "$SSEBENCH_SRC")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-fanmax.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
cc -O2 -o "$TMP/ssebench" "$SSEBENCH_SRC" -lm
ulimit -n 20000 2>/dev/null || true

# sustained FILE RATE: whether ssebench's result in FILE sustained RATE.
sustained() {
	grep '^{' "$1" | tail -n 1 | jq -e --argjson r "$2" \
	    --argjson bound "$BOUND" \
	    '.ok and .missing == 0 and .out_of_order == 0 and
	     .pub_rate >= 0.98 * $r and .sched_lat_p99_ms < $bound' \
	    >/dev/null
}

# summary FILE: the figures of one step, for a reader.
summary() {
	grep '^{' "$1" | tail -n 1 | jq -r '"pub_rate \(.pub_rate)/s, " +
	    "sched_lat_p99 \(.sched_lat_p99_ms) ms, lat_p99 \(.lat_p99_ms) ms, " +
	    "missing \(.missing), server CPU \(.server_cpu_s) s"'
}

# ladder NAME COMMAND...: runs COMMAND RATE TMP/NAME.RATE.json for each
# rate until one is not sustained; sets best (0 if none).
ladder() {
	name=$1
	shift
	best=0
	for r in $RATES; do
		out="$TMP/$name.$r.json"
		"$@" "$r" "$out" || true
		printf '  %-10s %5d/s: %s\n' "$name" "$r" "$(summary "$out")"
		sustained "$out" "$r" || break
		best=$r
	done
}

# cpu NAME RATE: the server CPU seconds of NAME's step at RATE.
cpu() {
	[ -f "$TMP/$1.$2.json" ] || return 0
	grep '^{' "$TMP/$1.$2.json" | tail -n 1 | jq -r '.server_cpu_s'
}

"$BUILD/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/fan.db" \
    --sql-dir "$SRC/sql" --www "$SRC/www" --rate 100000 --burst 100000 \
    --max-connections 19000 --max-battles $((C + 10)) \
    --max-spectators 1000 --drain-delay 0 --per-ip-connections 0 \
    --create-per-hour 0 ${BS_FLAGS:-} 2>"$TMP/log" &
BS=$!
PIDS="$PIDS $BS"
URL=$(bench_listening "$TMP/log" "$BS")
PORT=${URL##*:}
bench_fan_battles "$URL" "$C" "$TMP/battles.tsv"

# ours RATE OUT / theirs RATE OUT: one step against each server.
ours() {
	"$TMP/ssebench" -p "$PORT" --channels-file "$TMP/battles.tsv" \
	    --body-template '{"text":"%s"}' --event-type log \
	    -n "$N" -m $(($1 * S)) -r "$1" -k "$K" -w 1 -d 3 -X 120 \
	    -S "$BS" -l broadside >"$2"
}
theirs() {
	rm -rf "$TMP/nginx"
	mkdir -p "$TMP/nginx"
	nginx -p "$TMP/nginx/" -c "$SSEBENCH_DIR/nchan.conf" \
	    -e "$TMP/nginx/error.log" -g 'daemon off; worker_processes 1;' &
	ng=$!
	sleep 0.7
	w=$(pgrep -P $ng | paste -sd, -)
	rc=0
	"$TMP/ssebench" -n "$N" -c "$C" -m $(($1 * S)) -r "$1" -k "$K" \
	    -w 1 -d 3 -X 120 -S "$w" -l nchan >"$2" || rc=$?
	kill -QUIT $ng
	wait $ng 2>/dev/null || true
	return $rc
}

echo "== broadsided: $N subscribers, $C battles, $S s a rate, $K publishers"
ladder broadside ours
ours_best=$best
kill $BS
wait $BS 2>/dev/null || true
grep -iE 'error|crit' "$TMP/log" | head -n 5 || true

theirs_best=
if command -v nginx >/dev/null &&
    [ -e /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
	echo "== nginx + nchan (one worker): the same ladder"
	ladder nchan theirs
	theirs_best=$best
else
	echo "fanmax: nginx with nchan not installed (apt-get install nginx-light libnginx-mod-nchan): no reference run"
fi

bench_figure fanmax.rate "$ours_best" events/s higher timing
if [ -n "$theirs_best" ]; then
	both=$ours_best
	[ "$theirs_best" -ge "$both" ] || both=$theirs_best
	ours_cpu=$(cpu broadside "$both") theirs_cpu=$(cpu nchan "$both")
	echo "  at $both/s: broadsided $ours_cpu s of CPU, nginx + nchan $theirs_cpu s"
	bench_figure fanmax.nchan_rate "$theirs_best" events/s higher timing
	bench_figure fanmax.rate_vs_nchan "$(awk -v a="$ours_best" \
	    -v b="$theirs_best" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" \
	    ratio higher timing
	bench_figure fanmax.cpu_vs_nchan "$(awk -v a="$ours_cpu" \
	    -v b="$theirs_cpu" 'BEGIN { if (b > 0) printf "%.2f", a / b }')" \
	    ratio lower timing
fi
