#!/bin/sh
# The listener against many connections from one address (peers.c):
#  - 200 clients that send a partial HTTP/2 preface ("PRI * HTTP") and
#    stop cost the daemon next to no CPU time while they wait (it once
#    spun at 100 % until the sniff timeout), /healthz stays fast, and the
#    100 that hang up are closed at once, not at the sniff timeout;
#  - --per-ip-connections counts every protocol: past 5 connections from
#    127.0.0.1, 100 more HTTP/2 (prior knowledge) and 100 more TLS ones
#    are refused while 127.0.0.2 is served; closing one lets one in;
#  - the default cap is 128.
# Loopback only; every wait is bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tlslib.sh"

PEERS=$BS_BUILDDIR/tests/integration/peers
[ -x "$PEERS" ] || fail "no client at $PEERS (make check builds it)"
ulimit -n 1024 2>/dev/null || true

# cpu_ticks PID: user + system CPU time of PID in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# open_fds PID: descriptors PID has open.
open_fds() {
	ls "/proc/$1/fd" | wc -l
}

# line_in FILE PATTERN: whether FILE has a line matching PATTERN.
line_in() {
	grep -q "$2" "$1"
}

# peers_run NAME ARGS...: runs peers in the background (PEERS_PID), its
# output in $TMP/NAME.out, and waits for its tally line (TALLY).
peers_run() {
	name=$1
	shift
	"$PEERS" --port "$DAEMON_PORT" "$@" >"$TMP/$name.out" \
	    2>"$TMP/$name.err" &
	PEERS_PID=$!
	track_client "$PEERS_PID"
	wait_until 30 "peers $name to tally" line_in "$TMP/$name.out" \
	    '^served' || fail "peers $name ($*): no tally: $(cat "$TMP/$name.err")"
	TALLY=$(grep '^served' "$TMP/$name.out")
	note "$name ($*): $TALLY"
}

# expect_tally WANT: the last tally is WANT.
expect_tally() {
	[ "$TALLY" = "$1" ] || fail "$name: '$TALLY', expected '$1'"
}

# --- a partial preface does not spin the loop ----------------------------
TICK=$(getconf CLK_TCK)
start_daemon --per-ip-connections 0
fds0=$(open_fds "$DAEMON_PID")
peers_run partial --speak partial --count 200 --hold 7 --close-half 4
expect_tally "served 0 refused 0 silent 200"
held=$(open_fds "$DAEMON_PID")
[ "$((held - fds0))" -ge 200 ] ||
    fail "the daemon holds $((held - fds0)) more descriptors with 200 partial prefaces open, expected 200"
cpu0=$(cpu_ticks "$DAEMON_PID")
worst=0
for i in 1 2 3 4 5; do
	sleep 0.4
	t=$("$CURL" -sS -o /dev/null --max-time 5 -w '%{time_total}' \
	    "$BASE_URL/healthz") || fail "GET /healthz with 200 partial prefaces open"
	worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
done
cpu1=$(cpu_ticks "$DAEMON_PID")
used=$(awk -v t="$((cpu1 - cpu0))" -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz }')
note "200 partial prefaces for 2 s: daemon CPU ${used} s, slowest /healthz ${worst} s"
# Spinning, the loop burns all of the 2 s; waiting, next to nothing.
awk -v u="$used" 'BEGIN { exit !(u < 0.3) }' ||
    fail "the daemon used ${used} s of CPU in 2 s while 200 clients sat on a partial preface (spinning?)"
awk -v w="$worst" 'BEGIN { exit !(w < 0.5) }' ||
    fail "GET /healthz took ${worst} s while 200 clients sat on a partial preface"

# half_closed: whether the daemon has let go of the 100 that hung up.
half_closed() {
	[ "$(open_fds "$DAEMON_PID")" -le "$((fds0 + 100 + 5))" ]
}
wait_until 10 "peers to close half" line_in "$TMP/partial.out" '^closed 100' ||
    fail "peers did not close half of its connections"
# The sniff timeout (10 s) is far off: only the hang-up closes them.
wait_until 1 "the daemon to close 100 hung-up connections" half_closed ||
    fail "the daemon still holds $(( $(open_fds "$DAEMON_PID") - fds0 )) client descriptors 1 s after 100 of 200 partial-preface clients hung up (expected 100)"
wait_exit "$PEERS_PID" 10
stop_daemon

# --- --per-ip-connections counts every protocol -----------------------------
make_test_certs
start_daemon --per-ip-connections 5 --tls-cert "$CERT" --tls-key "$KEY"

peers_run held_h2 --speak h2 --count 4 --hold 60
expect_tally "served 4 refused 0 silent 0"
h2_pid=$PEERS_PID
peers_run held_tls --speak tls --count 1 --hold 60
expect_tally "served 1 refused 0 silent 0"
tls_pid=$PEERS_PID

peers_run more_h2 --speak h2 --count 100
expect_tally "served 0 refused 100 silent 0"
peers_run more_tls --speak tls --count 100
expect_tally "served 0 refused 100 silent 0"
http GET "$BASE_URL/healthz" --max-time 5
case $STATUS in
000) ;;
503) expect_problem 503 busy "an HTTP/1.1 request past --per-ip-connections 5" ;;
*) fail "an HTTP/1.1 request past --per-ip-connections 5 got $STATUS" ;;
esac

# Another address has its own 5.
peers_run other_h2 --speak h2 --from 127.0.0.2 --count 3 --hold 60
expect_tally "served 3 refused 0 silent 0"
other_pid=$PEERS_PID
peers_run other_tls --speak tls --from 127.0.0.2 --count 3
expect_tally "served 2 refused 1 silent 0"

# Closing one lets one in (once the daemon has seen the close).
kill "$tls_pid"
wait_exit "$tls_pid" 5
# one_more_tls: whether a TLS connection from 127.0.0.1 is served.
one_more_tls() {
	"$PEERS" --port "$DAEMON_PORT" --speak tls >"$TMP/one.out" 2>&1 || true
	grep -q '^served 1 ' "$TMP/one.out"
}
wait_until 5 "a TLS connection to be let in after one closed" one_more_tls ||
    fail "a new TLS connection is still refused after one of the 5 closed: $(cat "$TMP/one.out")"
note "after one closed, a new one was served"
kill "$h2_pid" "$other_pid"
wait_exit "$h2_pid" 5
wait_exit "$other_pid" 5
stop_daemon

# --- the default: 128 -------------------------------------------------------
start_daemon
peers_run default_h2 --speak h2 --count 130
expect_tally "served 128 refused 2 silent 0"
# The refusals are counted for the operator (once the daemon has seen the
# 128 close, a scrape gets in).  A scrape tried before that (a slow
# machine, the sanitizers) is itself refused and counted: 503s are.
: >"$TMP/scrapes_refused" ; : >"$TMP/scrapes_failed"
metrics_ok() {
	http GET "$BASE_URL/metrics" --max-time 5
	[ "$STATUS" = 200 ] && return 0
	[ "$STATUS" != 503 ] || echo >>"$TMP/scrapes_refused"
	echo >>"$TMP/scrapes_failed"
	return 1
}
wait_until 10 "a /metrics scrape to get in" metrics_ok ||
    fail "GET /metrics still refused 10 s after the 130 connections ended"
scrape "$TMP/after_cap.prom"
n=$(metric_sum "$TMP/after_cap.prom" broadside_connections_refused_total \
    'reason="address"')
lo=$((2 + $(wc -l <"$TMP/scrapes_refused"))) hi=$((2 + $(wc -l <"$TMP/scrapes_failed")))
[ "$n" -ge "$lo" ] && [ "$n" -le "$hi" ] ||
    fail "broadside_connections_refused_total{reason=\"address\"} is '$n', expected 2 and the refused scrapes ($lo to $hi)"
stop_daemon

note "ok"
