#!/bin/sh
# make bench: the daemon's instructions for a fixed, scripted battle, from
# valgrind --tool=callgrind, which counts instructions rather than time:
# the figures are the same on a slow machine and a fast one, so a small
# margin catches a real regression.
#
# Only the daemon runs under valgrind; curl is the client.  One battle;
# SUBS subscribers on the GM's event stream (half plain, half
# --compressed); two players join and take the stations; three ships;
# start; ROUNDS rounds of six orders that roll no dice (moves and holds,
# so that every run plays the same battle), a resolve and NARRATIONS
# narrations; end.  After each request the script waits until every
# subscriber has the events it caused, so that no step overlaps the next.
# Then SIGTERM, and callgrind's total (every thread, shutdown included)
# divided by the requests made and by the events the subscribers
# received.  Start-up is not counted: instrumentation is switched on
# (callgrind_control -i on) once the daemon listens, so the figure is the
# scenario's, not the dynamic loader's (binding every symbol at start-up
# was 12 M instructions, a tenth of the total, and grows with each
# library linked).  Two runs differ by a few tenths of a percent
# (jansson seeds its hash tables at random; the dice of the initiative
# rolls change the log's text).
#
#   callgrind.sh [ROUNDS [NARRATIONS [SUBS]]]   (10 3 8)
#   (CALLGRIND_OUT=FILE keeps callgrind's output for callgrind_annotate)
set -eu
. "$(dirname "$0")/benchlib.sh"
ROUNDS=${1:-10} NARRATIONS=${2:-3} SUBS=${3:-8}
if ! command -v valgrind >/dev/null 2>&1; then
	echo "callgrind: valgrind not installed (apt-get install valgrind); skipped"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/broadside-callgrind.XXXXXX")
PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM

# fail MESSAGE: the end of the daemon's log, and exit 1.
fail() {
	echo "callgrind: $*" >&2
	tail -n 20 "$TMP/log" >&2 2>/dev/null || true
	exit 1
}

# until_true SECONDS COMMAND...: runs COMMAND every 50 ms until it
# succeeds; fails after SECONDS.
until_true() {
	tries=$(($1 * 20))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# Everything that could make a run depend on the clock is off: no
# debounce window, no heartbeat within the run, rounds that never time
# out (round_seconds below), no drain delay, no rate limit.
valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out" \
    --log-file="$TMP/valgrind.log" --instr-atstart=no \
    "$BS_BUILDDIR/src/broadsided" --listen 127.0.0.1:0 --db "$TMP/cg.db" \
    --sql-dir "$BS_SRCDIR/sql" --www "$BS_SRCDIR/www" --debounce 0 \
    --heartbeat 3600 --drain-delay 0 --rate 100000 --burst 100000 \
    2>"$TMP/log" &
DAEMON=$!
PIDS=$DAEMON
until_true 120 grep -qs 'listening on' "$TMP/log"
URL=$(sed -n 's,^.*listening on \(http://[^ ]*[0-9]\).*$,\1,p' "$TMP/log" |
    head -n 1)
callgrind_control -i on "$DAEMON" >/dev/null ||
    fail "callgrind_control could not switch instrumentation on"

REQUESTS=0
# api TOKEN METHOD PATH [JSON]: one request of the scenario, counted in
# REQUESTS; fails unless 2xx.  The answer is in TMP/body.
api() {
	REQUESTS=$((REQUESTS + 1))
	code=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$2" \
	    ${1:+-H "Authorization: Bearer $1"} \
	    ${4:+-H 'Content-Type: application/json' -d "$4"} "$URL$3") ||
	    fail "$2 $3: curl failed"
	case $code in
	2??) ;;
	*) fail "$2 $3: $code $(cat "$TMP/body")" ;;
	esac
}

# gone PID: whether the process has exited (a zombie counts).
gone() {
	! kill -0 "$1" 2>/dev/null ||
	    [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}

# field KEY: KEY of the last answer.
field() {
	jq -r ".$1" "$TMP/body"
}

# ids N: how many numbered events subscriber N has had.
ids() {
	grep -c '^id:' "$TMP/sub$1" || true
}

# all_past COUNTS: whether each subscriber has had more numbered events
# than its entry in COUNTS.
all_past() {
	s=1
	for c in $1; do
		[ "$(ids $s)" -gt "$c" ] || return 1
		s=$((s + 1))
	done
}

# step TOKEN METHOD PATH [JSON]: a request, then a wait until every
# subscriber has the events it caused.  With --debounce 0 each change is
# published on the loop's next turn; the wait keeps the next request from
# arriving first, which would fold two changes into one publication and
# make the count depend on timing.
step() {
	before=
	s=1
	while [ $s -le "$SUBS" ]; do
		before="$before $(ids $s)"
		s=$((s + 1))
	done
	api "$@"
	until_true 120 all_past "$before"
}

api "" POST /v1/battles '{"name":"callgrind","round_seconds":600}'
ID=$(field id) GM=$(field gm_token) CODE=$(field join_code)
B=/v1/battles/$ID

# The subscribers, one at a time, each with its snapshot before the next
# connects.  They read the GM's view, which changes with every step
# below, so that step can wait for each.
i=1
while [ $i -le "$SUBS" ]; do
	REQUESTS=$((REQUESTS + 1))
	enc=
	[ $((i % 2)) -eq 1 ] || enc=--compressed
	curl -sN $enc -o "$TMP/sub$i" -w '%{size_download}\n' \
	    "$URL$B/events?access_token=$GM" >"$TMP/sub$i.size" &
	PIDS="$PIDS $!"
	until_true 120 grep -qs '^event: snapshot' "$TMP/sub$i"
	i=$((i + 1))
done

step "" POST "$B/players" "{\"join_code\":\"$CODE\",\"name\":\"Ann\"}"
ANN=$(field token)
step "" POST "$B/players" "{\"join_code\":\"$CODE\",\"name\":\"Bob\"}"
BOB=$(field token)
for st in captain pilot sensors; do step "$ANN" PUT "$B/stations/$st"; done
for st in gunner engineer; do step "$BOB" PUT "$B/stations/$st"; done
step "$GM" POST "$B/ships" \
    '{"class":"frigate","side":"crew","crewed":true,"x":100,"y":500}'
step "$GM" POST "$B/ships" \
    '{"class":"corvette","side":"hostile","x":350,"y":450}'
R1=$(field ship)
step "$GM" POST "$B/ships" \
    '{"class":"corvette","side":"hostile","x":380,"y":560}'

step "$GM" POST "$B/start"
r=1
while [ $r -le "$ROUNDS" ]; do
	# Back and forth, so that the ships never leave each other's range.
	x=$((180 - 80 * (r % 2)))
	step "$ANN" POST "$B/orders" \
	    "{\"round\":$r,\"station\":\"captain\",\"type\":\"tactics\"}"
	step "$ANN" POST "$B/orders" \
	    "{\"round\":$r,\"station\":\"pilot\",\"type\":\"move\",
	    \"x\":$x,\"y\":500}"
	step "$ANN" POST "$B/orders" \
	    "{\"round\":$r,\"station\":\"sensors\",\"type\":\"hold\"}"
	for st in gunner engineer; do
		step "$BOB" POST "$B/orders" \
		    "{\"round\":$r,\"station\":\"$st\",\"type\":\"hold\"}"
	done
	step "$GM" POST "$B/orders" \
	    "{\"round\":$r,\"ship\":$R1,\"x\":$((x + 250)),\"y\":450}"
	# The second corvette has no order, so the round waits for the GM: were
	# every order in, the round would resolve by itself right after the
	# last one's commit, and that order's publication and the
	# resolution's would fold into one or not, by timing.
	step "$GM" POST "$B/resolve"
	n=1
	while [ $n -le "$NARRATIONS" ]; do
		step "$GM" POST "$B/narration" \
		    "{\"text\":\"round $r, narration $n\"}"
		n=$((n + 1))
	done
	r=$((r + 1))
done
step "$GM" POST "$B/end"

# The daemon closes every stream as it drains: the curls end with it.
kill -TERM $DAEMON
for p in $PIDS; do
	until_true 60 gone "$p"
done
wait $DAEMON || fail "daemon exited with status $? after SIGTERM"
wait
PIDS=
[ -z "${CALLGRIND_OUT:-}" ] || cp "$TMP/callgrind.out" "$CALLGRIND_OUT"

IR=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$TMP/callgrind.out")
[ -n "$IR" ] ||
    IR=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$TMP/callgrind.out")
[ -n "$IR" ] || fail "no summary or totals line in the callgrind output"
# Events and bytes per encoding: the odd subscribers are plain, the even
# ones gzip (size_download counts the body as it came, compressed or not).
plain_events=0 plain_bytes=0 gzip_events=0 gzip_bytes=0
i=1
while [ $i -le "$SUBS" ]; do
	ev=$(grep -c '^event:' "$TMP/sub$i" || true)
	by=$(cat "$TMP/sub$i.size")
	if [ $((i % 2)) -eq 1 ]; then
		plain_events=$((plain_events + ev))
		plain_bytes=$((plain_bytes + by))
	else
		gzip_events=$((gzip_events + ev))
		gzip_bytes=$((gzip_bytes + by))
	fi
	i=$((i + 1))
done
EVENTS=$((plain_events + gzip_events))
echo "callgrind: $REQUESTS requests, $EVENTS events delivered to $SUBS" \
    "subscribers, $IR instructions"
bench_figure callgrind.requests "$REQUESTS" requests lower exact
bench_figure callgrind.events "$EVENTS" events higher exact
bench_figure callgrind.instructions "$IR" Ir lower counted
bench_figure callgrind.ir_per_request "$((IR / REQUESTS))" Ir/request \
    lower counted
bench_figure callgrind.ir_per_event "$((IR / EVENTS))" Ir/event lower counted
[ $plain_events -eq 0 ] || bench_figure callgrind.bytes_per_event.plain \
    "$((plain_bytes / plain_events))" bytes/event lower counted
[ $gzip_events -eq 0 ] || bench_figure callgrind.bytes_per_event.gzip \
    "$((gzip_bytes / gzip_events))" bytes/event lower counted
