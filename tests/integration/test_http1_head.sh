#!/bin/sh
# HTTP/1.1 request heads: each request smuggling shape of RFC 9112 is
# refused with 400 (501 for an unknown transfer coding) and the
# connection closed, as a connection's first request and as a later one
# (rawhttp.c, raw bytes); 16 KB of ordinary headers are served; clients
# that dribble a head one line a second are closed at --head-timeout
# while others are served; event streams with heads at and past the
# streams instance's 2 KB get their snapshots, as do streams whose head
# comes in pieces or with a body, and one without its token gets a 401
# and a close; the daemon is well throughout.
. "${BS_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

RAWHTTP=$BS_BUILDDIR/tests/integration/rawhttp
[ -x "$RAWHTTP" ] || fail "no client at $RAWHTTP (make check builds it)"

start_daemon --head-timeout 2

"$RAWHTTP" smuggling "$DAEMON_PORT" >"$TMP/smuggling.out" 2>&1 || {
	cat "$TMP/smuggling.out" >&2
	fail "request smuggling shapes were not all refused (see above)"
}
cat "$TMP/smuggling.out"

# 20 slow clients (10 on their first request, 10 on their second); each
# must be closed by 2 s (--head-timeout) and a little.
"$RAWHTTP" slowloris "$DAEMON_PORT" 20 4 >"$TMP/slow.out" 2>&1 &
slow_pid=$!
track_client "$slow_pid"
sleep 1
http GET "$BASE_URL/healthz" --max-time 5
expect_status 200 "GET /healthz while 20 clients dribble their heads"
wait_exit "$slow_pid" 10
cat "$TMP/slow.out"
[ "$EXIT_STATUS" -eq 0 ] ||
    fail "slow request heads outlived --head-timeout 2 (status $EXIT_STATUS)"

http GET "$BASE_URL/healthz"
expect_status 200 "GET /healthz afterwards"

# Event streams whose heads are as large as the small pool of the streams
# instance takes (2048 bytes in 32 fields), and larger (more bytes, more
# fields: the other instance): each gets its snapshot.
http POST "$BASE_URL/v1/battles" -H 'Content-Type: application/json' \
    -d '{"name":"Long heads"}'
expect_status 201 "create a battle"
ID=$(json_string id)
GM=$(json_string gm_token)
EVENTS=/v1/battles/$ID/events?access_token=$GM
# stream_with_head LEN NFIELDS: the stream with a head of LEN bytes, with
# NFIELDS X-Pad-N fields of about the same length besides Host and Accept.
stream_with_head() {
	len=$1 n=$2
	set -- -H 'User-Agent:' -H 'Accept: text/event-stream'
	head=$(printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAccept: text/event-stream\r\n\r\n' \
	    "$EVENTS" "$DAEMON_PORT" | wc -c)
	i=1
	while [ $i -le "$n" ]; do
		# "X-Pad-I: " and CRLF around each value; the last takes the rest.
		name=X-Pad-$i
		room=$(( (len - head) / (n - i + 1) - ${#name} - 4 ))
		value=$(head -c "$room" /dev/zero | tr '\0' 'p')
		set -- "$@" -H "$name: $value"
		head=$((head + ${#name} + 4 + room))
		i=$((i + 1))
	done
	[ "$head" -eq "$len" ] || fail "stream_with_head: made $head bytes, not $len"
	"$CURL" -sS -N --max-time 2 "$@" "$BASE_URL$EVENTS" \
	    >"$TMP/stream.$len.$n" 2>/dev/null || :
	grep -q '^event: snapshot' "$TMP/stream.$len.$n" ||
	    fail "an event stream with a $len-byte head in $n fields got no snapshot: $(head -c 300 "$TMP/stream.$len.$n")"
}
stream_with_head 2048 1
stream_with_head 2048 30
stream_with_head 2048 60
stream_with_head 2100 30
# Streams served without libmicrohttpd (http1_direct.c): a head in two
# pieces, a head with a body (libmicrohttpd's), a 401 and its close.
"$RAWHTTP" streams "$DAEMON_PORT" "$EVENTS" >"$TMP/streams.out" 2>&1 || {
	cat "$TMP/streams.out" >&2
	fail "event streams as a connection's first request (see above)"
}
cat "$TMP/streams.out"
stop_daemon
note "ok"
