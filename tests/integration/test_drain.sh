#!/bin/sh
# Drain on SIGTERM and SIGINT: /readyz turns 503 at once, the listener
# keeps accepting for --drain-delay and then closes, requests in flight
# still get their whole answer, and the process exits 0 within
# --drain-delay + --drain-grace.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

DELAY=2
GRACE=8

# A www root with a large file (under the daemon's 8 MiB cap on static
# files): a download still running when the listener closes.
WWW=$TMP/www
mkdir -p "$WWW"
cp "$BS_SRCDIR/www/index.html" "$WWW/"
head -c 8000000 /dev/urandom >"$WWW/big.bin"

# slow_body: 40,000 bytes (under --max-body) over 5 s, so that the upload
# is still in flight when the listener closes.
slow_body() {
	n=0
	while [ $n -lt 10 ]; do
		head -c 4000 /dev/zero | tr '\0' 's'
		sleep 0.5	# the trickle: 4,000 bytes every 0.5 s
		n=$((n + 1))
	done
}

# now_ms: milliseconds since the epoch, for messages only.
now_ms() {
	date +%s%3N
}

DAEMON_WWW=$WWW
start_daemon --drain-delay "$DELAY" --drain-grace "$GRACE"

http GET "$BASE_URL/readyz"
expect_status 200 "GET /readyz before SIGTERM"

# Two requests in flight: an upload whose chunked body trickles in, and a
# rate-limited download of 8 MB (about 4 s).
slow_body | "$CURL" -sS --max-time 30 -X POST -T - -H 'Expect:' \
    -o "$TMP/up.body" -D "$TMP/up.headers" -w '%{http_code}' \
    "$BASE_URL/healthz" >"$TMP/up.status" 2>"$TMP/up.err" &
up_pid=$!
track_client "$up_pid"
"$CURL" -sS --max-time 30 --limit-rate 2M -o "$TMP/big.out" \
    -w '%{http_code}' "$BASE_URL/big.bin" \
    >"$TMP/down.status" 2>"$TMP/down.err" &
down_pid=$!
track_client "$down_pid"

# both_in_flight: whether the download has its first bytes and the daemon
# has the upload's first bytes too.  The daemon counts a connection once
# its first bytes are in; so far it has had GET /readyz, the download, the
# upload and each scrape made here.
SCRAPES=0
both_in_flight() {
	[ -s "$TMP/big.out" ] || return 1
	SCRAPES=$((SCRAPES + 1))
	scrape "$TMP/inflight"
	num_ge "$(metric_sum "$TMP/inflight" broadside_connections_total \
	    'protocol="http1"')" $((3 + SCRAPES))
}
wait_until 10 "the upload and the download to be in flight" \
    both_in_flight ||
    fail "the two requests are not both in flight: $(cat "$TMP/up.err" "$TMP/down.err")"

t0=$(now_ms)
kill -TERM "$DAEMON_PID"

# /readyz is 503 at once (well within the drain delay)...
# readyz_not STATUS: whether GET /readyz answers other than STATUS.
readyz_not() {
	http GET "$BASE_URL/readyz" --connect-timeout 1
	[ "$STATUS" != "$1" ]
}
wait_until "$DELAY" "/readyz to stop answering 200" readyz_not 200 ||
    fail "/readyz still 200 ${DELAY} s after SIGTERM"
expect_problem 503 "$(json_string type | sed 's/^urn:broadside:problem://')" \
    "GET /readyz while draining"
expect_header Connection '^close$' "GET /readyz while draining"
note "/readyz 503 after $(( $(now_ms) - t0 )) ms"

# ...while the listener still accepts: /healthz keeps answering.
http GET "$BASE_URL/healthz" --connect-timeout 1
expect_status 200 "GET /healthz during the drain delay"

# Then the listener closes: new connections are refused, while the two
# requests above are still running.
# refused: whether a new connection is refused (curl exit 7).
refused() {
	http GET "$BASE_URL/healthz" --connect-timeout 1 --max-time 2
	[ "$CURL_RC" -eq 7 ]
}
wait_until $((DELAY + 4)) "new connections to be refused" refused ||
    fail "new connections not refused $((DELAY + 4)) s after SIGTERM (last: status $STATUS, curl exit $CURL_RC)"
refused_ms=$(( $(now_ms) - t0 ))
proc_alive "$DAEMON_PID" ||
    fail "the daemon exited before the requests in flight finished"
note "listener closed after $refused_ms ms"
[ "$refused_ms" -ge $(( DELAY * 1000 - 500 )) ] ||
    fail "listener closed $refused_ms ms after SIGTERM, before --drain-delay $DELAY"

# The requests in flight get their answers.
wait_exit "$up_pid" 25
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "slow upload in flight during the drain: curl exit $EXIT_STATUS: $(cat "$TMP/up.err")"
case $(cat "$TMP/up.status") in
[1-5][0-9][0-9]) note "slow upload answered $(cat "$TMP/up.status")" ;;
*) fail "slow upload in flight: no HTTP answer ($(cat "$TMP/up.status"))" ;;
esac
tr -d '\r' <"$TMP/up.headers" | grep -qi '^connection: *close' ||
    fail "the answer to the upload in flight has no Connection: close"

wait_exit "$down_pid" 25
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "download in flight during the drain: curl exit $EXIT_STATUS: $(cat "$TMP/down.err")"
[ "$(cat "$TMP/down.status")" = 200 ] ||
    fail "download in flight: status $(cat "$TMP/down.status")"
cmp -s "$TMP/big.out" "$WWW/big.bin" ||
    fail "download in flight: got $(wc -c <"$TMP/big.out") bytes of 8000000, or other bytes"

# And the process exits 0 within the bound.
wait_exit "$DAEMON_PID" $((DELAY + GRACE + 5))
[ "$EXIT_STATUS" -ne 124 ] ||
    fail "still running $((DELAY + GRACE + 5)) s after SIGTERM"
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "exit status $EXIT_STATUS after SIGTERM (23: leaks under ASan)"
note "exited 0 after $(( $(now_ms) - t0 )) ms"
DAEMON_PID=

# An event stream that connects during the drain delay gets its snapshot
# and a short retry: and is closed at once: it must not hold the exit for
# the whole grace.
GRACE=20
start_daemon --drain-delay "$DELAY" --drain-grace "$GRACE"
http POST "$BASE_URL/v1/battles" -d '{"name":"Drain"}'
expect_status 201 "create a battle to stream"
ID=$(json_string id) GM=$(json_string gm_token)
t0=$(now_ms)
kill -TERM "$DAEMON_PID"
wait_until "$DELAY" "/readyz to stop answering 200" readyz_not 200 ||
    fail "/readyz still 200 ${DELAY} s after SIGTERM"
"$CURL" -sN --max-time 15 -H "Authorization: Bearer $GM" \
    "$BASE_URL/v1/battles/$ID/events" >"$TMP/late.sse" 2>"$TMP/late.err" &
late_pid=$!
track_client "$late_pid"
wait_exit "$late_pid" 5
[ "$EXIT_STATUS" -ne 124 ] ||
    fail "an event stream opened during the drain delay was still open 5 s later"
grep -q '^event: snapshot' "$TMP/late.sse" ||
    fail "the stream opened during the drain got no snapshot: $(head -c 400 "$TMP/late.sse")"
tail -n 3 "$TMP/late.sse" | grep -q '^retry: 1000' ||
    fail "the stream opened during the drain did not end with retry: 1000: $(tail -c 200 "$TMP/late.sse")"
wait_exit "$DAEMON_PID" $((DELAY + 5))
[ "$EXIT_STATUS" -ne 124 ] ||
    fail "still running $((DELAY + 5)) s after SIGTERM with a stream opened during the drain (grace $GRACE s)"
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "exit status $EXIT_STATUS after SIGTERM with a late stream"
note "a stream opened during the drain delay was sent off; exit after $(( $(now_ms) - t0 )) ms"
DAEMON_PID=

# SIGINT drains the same way.  (Started from a script, the daemon inherits
# SIGINT ignored, as every background job does; it must set its own
# disposition rather than keep that one.)
start_daemon --drain-delay 1 --drain-grace 2
kill -INT "$DAEMON_PID"
# readyz_is STATUS: whether GET /readyz answers STATUS.
readyz_is() {
	http GET "$BASE_URL/readyz" --connect-timeout 1
	[ "$STATUS" = "$1" ]
}
wait_until 3 "/readyz to answer 503" readyz_is 503 ||
    fail "/readyz not 503 within 3 s of SIGINT (last: status $STATUS, curl exit $CURL_RC)"
wait_exit "$DAEMON_PID" 8
[ "$EXIT_STATUS" -ne 124 ] || fail "still running 8 s after SIGINT"
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "exit status $EXIT_STATUS after SIGINT (23: leaks under ASan)"
DAEMON_PID=

note "ok"
