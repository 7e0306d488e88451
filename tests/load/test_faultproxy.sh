#!/bin/sh
# broadside-faultproxy: each fault it injects is seen by real peers on
# loopback (the fpcheck echo server and client, and broadsided with curl):
# plain relaying is byte-exact both ways; delay, loss and the bandwidth
# cap hold a round trip back by at least what they promise (lower bounds
# only) while the bytes still arrive intact; --reset-every gives the
# client an RST; a blackholed connection stays open but silent, and a
# sender with TCP_USER_TIMEOUT detects it; bad options exit 2; SIGTERM
# exits 0 (and, under the sanitizers, leak-free).
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

PROXY=$BS_BUILDDIR/tools/faultproxy/broadside-faultproxy
FPCHECK=$BS_BUILDDIR/tests/load/fpcheck
[ -x "$PROXY" ] || fail "no proxy at $PROXY (run make first)"
[ -x "$FPCHECK" ] || fail "no fpcheck at $FPCHECK (run make check)"

# wait_listening PID FILE WHAT: waits (10 s at most) for the "listening
# on ADDR:PORT" line in FILE and sets LISTENING to ADDR:PORT.
wait_listening() {
	wait_until 10 "$3 to listen" listening "$@" ||
	    fail "$3: no 'listening on' line within 10 s"
}

# listening PID FILE WHAT: whether FILE has the "listening on" line (sets
# LISTENING); fails the test if PID has exited.
listening() {
	LISTENING=$(sed -n 's/^listening on \(.*:[0-9][0-9]*\)$/\1/p' \
	    "$2" | head -n 1)
	[ -z "$LISTENING" ] || return 0
	proc_alive "$1" || fail "$3 exited at start-up: $(cat "$2")"
	return 1
}

# stop_proc PID WHAT LOG: SIGTERM, then exit status 0 within 10 s and no
# sanitizer report in LOG.
stop_proc() {
	kill -TERM "$1" 2>/dev/null || fail "$2 is gone before SIGTERM"
	wait_exit "$1" 10
	[ "$EXIT_STATUS" -eq 0 ] ||
	    fail "$2 exited with status $EXIT_STATUS after SIGTERM (124: hung, 23: leaks): $(tail -n 30 "$3")"
	if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$3"; then
		cat "$3" >&2
		fail "sanitizer report from $2"
	fi
}

PROXY_SEQ=0
# start_proxy TARGET ARGS...: starts the proxy in front of TARGET; sets
# PROXY_PID, PROXY_ADDR and PROXY_LOG.
start_proxy() {
	PROXY_SEQ=$((PROXY_SEQ + 1))
	PROXY_LOG=$TMP/proxy$PROXY_SEQ.log
	target=$1
	shift
	"$PROXY" --listen 127.0.0.1:0 --target "$target" --log-level debug \
	    "$@" </dev/null >"$TMP/proxy$PROXY_SEQ.out" 2>"$PROXY_LOG" &
	PROXY_PID=$!
	track_client "$PROXY_PID"
	wait_listening "$PROXY_PID" "$TMP/proxy$PROXY_SEQ.out" "proxy $*"
	PROXY_ADDR=$LISTENING
}

stop_proxy() {
	stop_proc "$PROXY_PID" "proxy" "$PROXY_LOG"
}

# client WHAT ARGS...: runs fpcheck client against the proxy (60 s cap);
# sets RESULT to its line.
client() {
	what=$1
	shift
	RESULT=$("$FPCHECK" client "$PROXY_ADDR" "$@" 2>"$TMP/client.err") ||
	    fail "$what: fpcheck client failed: $RESULT $(cat "$TMP/client.err")"
	note "$what: $RESULT"
}

# field NAME: a NAME=VALUE field of RESULT.
field() {
	printf '%s\n' "$RESULT" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

expect_ok() {
	case $RESULT in
	ok\ *) ;;
	*) fail "$1: expected every byte back, got '$RESULT'; proxy log: $(tail -n 20 "$PROXY_LOG")" ;;
	esac
}

# --- bad options ---------------------------------------------------------

# bad_option ARGS...: exit status 2 within 5 s, one line on stderr.
bad_option() {
	"$PROXY" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null &
	wait_exit $! 5
	[ "$EXIT_STATUS" -eq 2 ] ||
	    fail "'$*': exit status $EXIT_STATUS, expected 2 (124: still running)"
	[ "$(wc -l <"$TMP/bad.err")" -eq 1 ] ||
	    fail "'$*': expected one line on stderr, got: $(cat "$TMP/bad.err")"
}
bad_option --bogus
bad_option --listen 127.0.0.1:0
bad_option --listen 127.0.0.1:0 --target 127.0.0.1:1 --loss-pct 100
bad_option --listen 127.0.0.1:0 --target 127.0.0.1:1 --delay-ms -5
bad_option --listen 127.0.0.1:0 --target 127.0.0.1:1 --bandwidth 1k
bad_option --listen nowhere --target 127.0.0.1:1
"$PROXY" --help >"$TMP/help" || fail "--help: exit status $?"
grep -q -- '--reset-every' "$TMP/help" || fail "--help lists no --reset-every"
"$PROXY" --version | grep -q '^broadside-faultproxy [0-9]' ||
    fail "--version prints no version"

# --- the echo server ------------------------------------------------------

"$FPCHECK" echo >"$TMP/echo.out" 2>"$TMP/echo.log" </dev/null &
ECHO_PID=$!
track_client "$ECHO_PID"
wait_listening "$ECHO_PID" "$TMP/echo.out" "fpcheck echo"
ECHO_ADDR=$LISTENING

# --- plain relaying: byte-exact, both ways --------------------------------

start_proxy "$ECHO_ADDR"
client "plain, 3 x 1 MiB" --bytes 1048576 --rounds 3
expect_ok "plain relaying"
# Several connections at once, each its own upstream.
i=0
while [ $i -lt 8 ]; do
	"$FPCHECK" client "$PROXY_ADDR" --bytes 262144 --rounds 2 \
	    >"$TMP/par$i.out" 2>&1 &
	eval "par$i=\$!"
	track_client "$(eval echo "\$par$i")"
	i=$((i + 1))
done
i=0
while [ $i -lt 8 ]; do
	wait_exit "$(eval echo "\$par$i")" 30
	grep -q '^ok ' "$TMP/par$i.out" ||
	    fail "parallel client $i: $(cat "$TMP/par$i.out")"
	i=$((i + 1))
done
note "8 parallel clients: every byte back"
stop_proxy

# And HTTP through it: a 1 MiB static file from the daemon, byte-exact.
WWW=$TMP/www
mkdir -p "$WWW"
cp "$BS_SRCDIR/www/index.html" "$WWW/"
head -c 1048576 /dev/urandom >"$WWW/big.bin"
DAEMON_WWW=$WWW
start_daemon
start_proxy "127.0.0.1:$DAEMON_PORT"
http GET "http://$PROXY_ADDR/big.bin"
expect_status 200 "GET /big.bin through the proxy"
cmp -s "$TMP/body" "$WWW/big.bin" ||
    fail "GET /big.bin through the proxy: body differs from the file"
note "GET of 1 MiB through the proxy: byte-exact"
stop_proxy

# --- delay ------------------------------------------------------------------

# 200 ms each way: a round trip takes 400 ms at least.
start_proxy "$ECHO_ADDR" --delay-ms 200
client "delay 200 ms" --bytes 1000 --rounds 3
expect_ok "--delay-ms 200"
[ "$(field min_ms)" -ge 400 ] ||
    fail "--delay-ms 200: a round trip took $(field min_ms) ms, expected >= 400"
stop_proxy
# And an HTTP request to the daemon through the same delay.
start_proxy "127.0.0.1:$DAEMON_PORT" --delay-ms 200
t=$("$CURL" -sS --max-time 10 -o /dev/null -w '%{time_total}' \
    "http://$PROXY_ADDR/healthz") || fail "GET /healthz through the delay"
num_ge "$t" 0.4 || fail "--delay-ms 200: GET /healthz took $t s, expected >= 0.4"
note "delay 200 ms: GET /healthz in $t s"
stop_proxy

# Per direction: only the way up is delayed.
start_proxy "$ECHO_ADDR" --up-delay-ms 300
client "up-delay 300 ms" --bytes 1000 --rounds 2
expect_ok "--up-delay-ms 300"
[ "$(field min_ms)" -ge 300 ] ||
    fail "--up-delay-ms 300: a round trip took $(field min_ms) ms, expected >= 300"
stop_proxy

# Jitter bunches chunks but never reorders them.
start_proxy "$ECHO_ADDR" --jitter-ms 40 --seed 3
client "jitter 40 ms, 2 x 1 MiB" --bytes 1048576 --rounds 2
expect_ok "--jitter-ms 40"
stop_proxy

# --- loss -----------------------------------------------------------------

# With a fixed seed, 20 % of chunks lost: some round trips wait a
# retransmission timeout (200 ms), and every byte still arrives in order.
start_proxy "$ECHO_ADDR" --loss-pct 20 --seed 7
client "loss 20 %, 16 small rounds" --bytes 1000 --rounds 16
expect_ok "--loss-pct 20"
[ "$(field max_ms)" -ge 200 ] ||
    fail "--loss-pct 20: no round trip waited 200 ms (max $(field max_ms) ms)"
client "loss 20 %, 128 KiB" --bytes 131072 --rounds 1
expect_ok "--loss-pct 20, 128 KiB"
grep -q 'lost [0-9]* time' "$PROXY_LOG" ||
    fail "--loss-pct 20: the proxy logged no loss"
stop_proxy

# --- bandwidth --------------------------------------------------------------

# 200,000 bytes each way at 100,000 B/s, a 10,000-byte bucket: 1.9 s at
# least (1.85 s asserted: the clocks are read to the millisecond).
start_proxy "$ECHO_ADDR" --bandwidth 100000
client "bandwidth 100 kB/s, 200 kB" --bytes 200000 --rounds 1
expect_ok "--bandwidth 100000"
[ "$(field total_ms)" -ge 1850 ] ||
    fail "--bandwidth 100000: 200 kB took $(field total_ms) ms, expected >= 1850"
stop_proxy

# --- resets -----------------------------------------------------------------

# A reset every 0.5 s on average: a client doing a round every 100 ms for
# up to 20 s sees ECONNRESET.
start_proxy "$ECHO_ADDR" --reset-every 0.5 --seed 11
client "reset-every 0.5 s" --bytes 100 --rounds 200 --pause-ms 100
case $RESULT in
reset\ *) ;;
*) fail "--reset-every 0.5: expected a reset, got '$RESULT'" ;;
esac
grep -q 'conn 0: reset' "$PROXY_LOG" || fail "--reset-every: no reset logged"
stop_proxy

# --- blackhole ---------------------------------------------------------------

# After 1 s nothing moves: the first round works, the second one (1.5 s
# later) gets no answer for 2 s, and the socket is still established.
start_proxy "$ECHO_ADDR" --blackhole-after 1
client "blackhole after 1 s" --bytes 1000 --rounds 2 --pause-ms 1500 \
    --timeout-ms 2000
[ "$RESULT" = "timeout round=1 open=1" ] ||
    fail "--blackhole-after 1: expected 'timeout round=1 open=1', got '$RESULT'"
grep -q 'conn 0: blackholed' "$PROXY_LOG" ||
    fail "--blackhole-after: no blackhole logged"
stop_proxy

# What the blackhole is for: a sender with TCP_USER_TIMEOUT (1 s here)
# notices it.  The proxy no longer reads, so once the socket buffers are
# full the sender's data goes unacknowledged (zero-window probes) and the
# kernel gives up with ETIMEDOUT.
start_proxy "$ECHO_ADDR" --blackhole-after 1
client "blackhole against TCP_USER_TIMEOUT" --bytes 1000 --rounds 1 \
    --pause-ms 1500 --flood-bytes 268435456 --user-timeout-ms 1000 \
    --timeout-ms 15000
case $RESULT in
flood\ timedout\ *) ;;
*) fail "--blackhole-after 1: a flooding sender with TCP_USER_TIMEOUT 1 s expected ETIMEDOUT, got '$RESULT'" ;;
esac
stop_proxy

# --blackhole-pct 0 leaves every connection alone.
start_proxy "$ECHO_ADDR" --blackhole-after 0 --blackhole-pct 0
client "blackhole-pct 0" --bytes 1000 --rounds 2
expect_ok "--blackhole-pct 0"
stop_proxy

stop_proc "$ECHO_PID" "fpcheck echo" "$TMP/echo.log"
stop_daemon
note "pass"
